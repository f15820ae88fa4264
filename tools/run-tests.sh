#!/bin/sh
# Runs the whole uspbridge test suite, as CI does:
#   1. build with -Werror and run every ctest test (unit + integration),
#   2. build every fuzz target with clang/libFuzzer and run each briefly,
#   3. build with AddressSanitizer + UndefinedBehaviorSanitizer and run the
#      whole ctest suite again.
# Usage: tools/run-tests.sh            (from the repository root)
# Environment: JOBS (default: nproc), FUZZ_SECONDS per target (default 20),
#              SKIP_ASAN=1 / SKIP_FUZZ=1 to shorten a local run.
set -eu
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
status=0

if [ -f tests/interop/package-lock.json ] && [ ! -d tests/interop/node_modules ]; then
  echo "== npm ci (interop test controller)"
  (cd tests/interop && npm ci --no-audit --no-fund)
fi

echo "== build (-Werror)"
cmake -S . -B build -DUB_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$JOBS"
echo "== ctest (normal build)"
(cd build && ctest --output-on-failure -j "$JOBS" --timeout 600) || status=1

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzz targets (${FUZZ_SECONDS}s each)"
  cmake -S . -B build-fuzz -DUB_FUZZ=ON -DCMAKE_C_COMPILER=clang \
        -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-fuzz -j "$JOBS"
  for f in build-fuzz/tests/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    work=$(mktemp -d)
    if [ -d "tests/fuzz/corpus/$name" ]; then cp -r "tests/fuzz/corpus/$name/." "$work/"; fi
    dict=""
    for d in tests/fuzz/"${name#fuzz_}".dict tests/fuzz/"$name".dict; do
      [ -f "$d" ] && dict="-dict=$d"
    done
    echo "-- $name"
    if "$f" $dict -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 \
         -artifact_prefix="$work/" -print_final_stats=0 "$work" >"$work.log" 2>&1; then
      echo "   ok: $(grep -E '^#[0-9]+.*(DONE|pulse)' "$work.log" | tail -1)"
    else
      echo "   FAILED: $name (log below)"; tail -40 "$work.log"; status=1
    fi
    rm -rf "$work" "$work.log"
  done
fi

if [ "${SKIP_ASAN:-0}" != 1 ]; then
  echo "== build (ASan + UBSan)"
  cmake -S . -B build-asan -DUB_SANITIZE=ON -DUB_WERROR=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build build-asan -j "$JOBS"
  echo "== ctest (ASan + UBSan)"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure -j "$JOBS" --timeout 900) || status=1
fi
exit $status
