#!/bin/bash
# Builds Duet and runs its whole test suite; the last line printed is
#
#   N passed, N failed
#
# counted over the GTest subtests (build-aux/count-tests.py). The exit status
# is non-zero when anything failed, including the build (which prints
# "0 passed, 1 failed").
#
# usage: build-aux/run-tests.sh [--builddir DIR] [--werror]
#                               [--sanitize address,undefined] [--summary-file FILE]
#
#   --builddir DIR       build folder (default: _build/tests in the source tree)
#   --werror             treat compiler warnings as errors
#   --sanitize LIST      build with -Db_sanitize=LIST (e.g. address,undefined)
#   --summary-file FILE  also write the final line to FILE
#
# Missing Debian packages are installed first (build-aux/install-deps.sh).
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
usage: build-aux/run-tests.sh [--builddir DIR] [--werror]
                              [--sanitize address,undefined] [--summary-file FILE]
EOF
  exit 2
}

builddir=
werror=false
sanitize=none
summary_file=
while [ "$#" -gt 0 ]; do
  case $1 in
    --builddir) [ "$#" -ge 2 ] || usage; builddir=$2; shift 2 ;;
    --builddir=*) builddir=${1#*=}; shift ;;
    --werror) werror=true; shift ;;
    --sanitize) [ "$#" -ge 2 ] || usage; sanitize=$2; shift 2 ;;
    --sanitize=*) sanitize=${1#*=}; shift ;;
    --summary-file) [ "$#" -ge 2 ] || usage; summary_file=$2; shift 2 ;;
    --summary-file=*) summary_file=${1#*=}; shift ;;
    -h|--help) usage ;;
    *) echo "run-tests.sh: unknown argument: $1" >&2; usage ;;
  esac
done
[ -n "$sanitize" ] || sanitize=none

# Paths given on the command line are relative to where we were started.
start_dir=$(pwd)
absolute() {
  case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$start_dir/$1" ;;
  esac
}
srcdir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
if [ -n "$builddir" ]; then
  builddir=$(absolute "$builddir")
else
  builddir=$srcdir/_build/tests
fi
[ -z "$summary_file" ] || summary_file=$(absolute "$summary_file")
cd "$srcdir"

# A log left from an earlier run must never be counted as this run's results.
testlog=$builddir/meson-logs/testlog.json
rm -f -- "$testlog"
[ -z "$summary_file" ] || rm -f -- "$summary_file"

finish() {
  local line=$1 status=$2
  echo
  echo "$line"
  if [ -n "$summary_file" ]; then
    mkdir -p "$(dirname -- "$summary_file")"
    printf '%s\n' "$line" >"$summary_file"
  fi
  exit "$status"
}

build_failed() {
  echo "run-tests.sh: $1" >&2
  finish "0 passed, 1 failed" 1
}

step() {
  printf '\n== %s\n' "$*"
}

step "Checking Debian packages"
build-aux/install-deps.sh || build_failed "could not install the build dependencies"

options=(
  "-Dwerror=$werror"
  "-Db_sanitize=$sanitize"
)
if [ "$sanitize" != none ]; then
  # Sanitized objects reference the runtime, which only the final link adds.
  options+=(-Db_lundef=false)
else
  options+=(-Db_lundef=true)
fi

step "Configuring $builddir (${options[*]})"
if [ -f "$builddir/meson-private/coredata.dat" ]; then
  if ! meson setup --reconfigure "${options[@]}" "$builddir"; then
    echo "run-tests.sh: reconfiguring failed; starting $builddir afresh" >&2
    meson setup --wipe "${options[@]}" "$builddir" || build_failed "meson setup failed"
  fi
else
  meson setup "${options[@]}" "$builddir" || build_failed "meson setup failed"
fi

step "Building"
meson compile -C "$builddir" || build_failed "the build failed"

test_args=(--print-errorlogs --num-processes 2)
if [ "$sanitize" != none ]; then
  # Sanitized code runs a few times slower.
  test_args+=(--timeout-multiplier 3)
  # GLib 2.74 still has its own slice allocator; let the sanitizer see every block.
  export G_SLICE=${G_SLICE:-always-malloc}
  # The same defaults as .ci/run, unless the caller chose otherwise. Full
  # unwinding: the suppressions name frames inside system libraries.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:fast_unwind_on_malloc=0}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  if [ -z "${LSAN_OPTIONS:-}" ] && [ -f build-aux/lsan.supp ]; then
    export LSAN_OPTIONS=suppressions=$srcdir/build-aux/lsan.supp:print_suppressions=0
  fi
fi

step "Testing"
test_status=0
meson test -C "$builddir" "${test_args[@]}" || test_status=$?

if [ ! -f "$testlog" ]; then
  if [ "$test_status" -eq 0 ]; then
    # "No tests defined": nothing ran and nothing failed.
    : >"$testlog"
  else
    build_failed "meson test failed without writing $testlog"
  fi
fi

line=$(python3 build-aux/count-tests.py "$testlog")
status=0
case $line in
  *", 0 failed"*) ;;
  *) status=1 ;;
esac
[ "$test_status" -eq 0 ] || status=1
finish "$line" "$status"
