#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, then builds and tests three
# ways, each in its own build folder:
#   build/        RelWithDebInfo: unit, integration and interoperability tests
#   build-asan/   AddressSanitizer + UndefinedBehaviorSanitizer: the same tests
#   build-fuzz/   clang + libFuzzer: every fuzz target for a bounded time from its seed corpus
# Usage: scripts/test.sh [--quick]   (--quick: only build/, for a fast local loop)
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc)

scripts/install-deps.sh

passed=0
failed=0
suites_failed=()

# run_suite NAME BUILD_DIR CMAKE_ARGS...: configure, build and run CTest in BUILD_DIR.
run_suite() {
  local name=$1 dir=$2
  shift 2
  echo
  echo "=== $name: configure and build ($dir) ==="
  if ! cmake -S . -B "$dir" -G Ninja "$@" >"$dir.configure.log" 2>&1; then
    cat "$dir.configure.log"
    echo "test: $name: CMake configuration FAILED (log above)" >&2
    suites_failed+=("$name (configure)")
    failed=$((failed + 1))
    return
  fi
  if ! cmake --build "$dir" -j "$jobs"; then
    echo "test: $name: build FAILED" >&2
    suites_failed+=("$name (build)")
    failed=$((failed + 1))
    return
  fi
  echo "=== $name: tests ==="
  local log="$dir/ctest.log"
  set +e
  ctest --test-dir "$dir" --output-on-failure --timeout 900 -j "$jobs" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  set -e
  # CTest closes with "N% tests passed, F tests failed out of T".
  local line total f
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [ -z "$line" ]; then
    echo "test: $name: CTest ran no test or crashed (status $status)" >&2
    suites_failed+=("$name (no tests)")
    failed=$((failed + 1))
    return
  fi
  f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
  passed=$((passed + total - f))
  failed=$((failed + f))
  if [ "$status" -ne 0 ]; then suites_failed+=("$name"); fi
}

run_suite "release" build -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [ $quick -eq 0 ]; then
  run_suite "sanitizers" build-asan -DCMAKE_BUILD_TYPE=Debug -DECF_SANITIZE=ON -DECF_BENCH=OFF
  run_suite "fuzz" build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DECF_FUZZ=ON \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
fi

echo
if [ ${#suites_failed[@]} -gt 0 ]; then
  echo "test: FAILED in: ${suites_failed[*]}" >&2
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ ${#suites_failed[@]} -eq 0 ]
