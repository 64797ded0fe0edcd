#!/usr/bin/env bash
# Builds the Debian package cognit-ecf_<version>_<arch>.deb into build-package/ (release build,
# no tests), and prints its path. Usage: scripts/package.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-package}
scripts/install-deps.sh >/dev/null
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DECF_TESTS=OFF -DECF_BENCH=OFF >/dev/null
cmake --build "$dir" -j "$(nproc)" --target ecf ecf-runtime
(cd "$dir" && cpack -G DEB >/dev/null)
ls "$dir"/cognit-ecf_*.deb
