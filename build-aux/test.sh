#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The test command: installs missing Debian packages, builds Mailpeek twice
# (_build: normal; _build-asan: AddressSanitizer + UndefinedBehaviorSanitizer)
# with warnings as errors, runs the whole meson test suite in both, and
# ends with one line "N passed, N failed" summed over both builds.
# Exits non-zero if anything failed.  A build directory that does not
# configure or compile counts as one failure.
#
# Extra arguments are passed on to `meson test` (e.g. a suite or test name).

set -uo pipefail

cd "$(dirname "$0")/.."
srcdir=$PWD

bash build-aux/install-deps.sh || { echo "test.sh: install-deps failed" >&2; exit 1; }

jobs=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0
skipped=0

# meson setup on a fresh directory, meson configure on an existing one,
# so that options given here win over whatever was there before.
configure () {
  local dir=$1; shift
  if [[ -f $dir/meson-private/coredata.dat ]]; then
    meson configure "$dir" "$@" && return 0
    echo "test.sh: reconfiguring $dir failed, wiping it" >&2
    meson setup --wipe "$dir" "$@"
  else
    rm -rf "$dir"
    meson setup "$dir" "$@"
  fi
}

# Prints "passed failed skipped" from meson's machine-readable test log.
count_results () {
  /usr/bin/python3 - "$1" <<'PYEOF'
import json, sys
passed = failed = skipped = 0
with open(sys.argv[1], encoding='utf-8') as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        result = json.loads(line).get('result')
        if result in ('OK', 'EXPECTEDFAIL'):
            passed += 1
        elif result == 'SKIP':
            skipped += 1
        else:
            failed += 1
print(passed, failed, skipped)
PYEOF
}

run_suite () {
  local dir=$1; shift
  local -a test_env=("${!1}"); shift
  local -a setup_args=("$@")

  echo "=== $dir: configure"
  if ! configure "$dir" "${setup_args[@]}"; then
    echo "test.sh: $dir: configure FAILED"
    failed=$((failed + 1))
    return
  fi
  echo "=== $dir: compile"
  if ! meson compile -C "$dir" -j "$jobs"; then
    echo "test.sh: $dir: compile FAILED"
    failed=$((failed + 1))
    return
  fi
  echo "=== $dir: test"
  rm -f "$dir/meson-logs/testlog.json"
  env "${test_env[@]}" \
    meson test -C "$dir" --no-rebuild --print-errorlogs \
      --num-processes 2 "${meson_test_args[@]}"
  local rc=$?
  if [[ ! -f $dir/meson-logs/testlog.json ]]; then
    echo "test.sh: $dir: meson test wrote no log (exit $rc)"
    failed=$((failed + 1))
    return
  fi
  local p f s
  read -r p f s < <(count_results "$dir/meson-logs/testlog.json")
  echo "=== $dir: $p passed, $f failed, $s skipped"
  if [[ $rc -ne 0 && $f -eq 0 ]]; then
    # meson failed without a failed test in the log (e.g. no test matched).
    echo "test.sh: $dir: meson test exited with $rc"
    f=1
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
}

meson_test_args=("$@")

plain_env=()
run_suite _build plain_env[@] \
  -Dwerror=true

# LeakSanitizer suppressions are for third-party libraries only (see the
# file); a leak in our own code must fail the run.
lsan_options=print_suppressions=0
if [[ -f $srcdir/tests/lsan.supp ]]; then
  lsan_options="suppressions=$srcdir/tests/lsan.supp:$lsan_options"
fi
asan_env=(
  # GLib is built without frame pointers: only slow unwinding gives LSan
  # stacks deep enough to tell its caches (suppressed) from our leaks.
  ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0
  LSAN_OPTIONS="$lsan_options"
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # GLib 2.74 still has its slice allocator, which hides leaks from LSan.
  G_SLICE=always-malloc
)
meson_test_args+=(--timeout-multiplier 3)
run_suite _build-asan asan_env[@] \
  -Dwerror=true --buildtype=debug \
  -Db_sanitize=address,undefined -Db_lundef=false

echo
if [[ $skipped -gt 0 ]]; then
  echo "($skipped skipped)"
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
