#!/usr/bin/env bash
# Installs every Debian package the project needs to build, test and run. Idempotent: when all
# are there it changes nothing and asks no mirror; otherwise `apt-get update` once, then install.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev clang-format
  # libraries
  libboost1.81-dev librabbitmq-dev libssl-dev libprotobuf-dev protobuf-compiler
  libpugixml-dev libyaml-cpp-dev libspdlog-dev libre2-dev libsqlite3-dev libcli11-dev
  libsodium-dev libargon2-dev prometheus-cpp-dev libsystemd-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev rabbitmq-server
  python3 python3-pytest python3-pika python3-requests python3-cloudpickle
  curl
)

# Node.js 20 and npm (for the interoperability tests against the reference Biscuit library) come
# with the machine; Debian's nodejs conflicts with them, so they are checked, not installed.
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "install-deps: $tool (Node.js 20) is required" >&2; exit 1; }
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} Debian packages are installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian starts rabbitmq-server as a system service on install; the project never uses that one
# (tests and the demo start their own private node), so leave it as the machine's owner wants it.
