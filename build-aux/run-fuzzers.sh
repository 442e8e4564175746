#!/bin/bash
# Builds Duet's libFuzzer targets (tests/fuzz, clang with
# -fsanitize=fuzzer,address) and runs them.
#
#   build-aux/run-fuzzers.sh [--builddir DIR] [SECONDS [TARGET...]]
#
# Without SECONDS: a regression run, every target once over its seed corpus
# (tests/fuzz/corpus/<target>/) with no mutation, through `meson test
# --suite fuzz`; the last line is "N passed, N failed" (count-tests.py),
# as in CI.  With SECONDS: each target in turn fuzzes for SECONDS (one job,
# at low priority), starting from its seeds; new inputs go to
# DIR/fuzz-corpus/<target>/ (the committed seeds stay as they are) and a
# crash leaves DIR/fuzz-artifacts/<target>/crash-*: copy it into the seed
# folder as regress-<what>, with the fix.  TARGETs (sync, direct-map, mxc, json-stream)
# pick some; the default is all.
#
# Missing Debian packages (clang, its fuzzer runtime) are installed first.
set -euo pipefail

usage() {
  echo "usage: build-aux/run-fuzzers.sh [--builddir DIR] [SECONDS [TARGET...]]" >&2
  exit 2
}

srcdir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
start_dir=$(pwd)
builddir=$srcdir/_build/fuzz
seconds=
chosen=()
while [ "$#" -gt 0 ]; do
  case $1 in
    --builddir) [ "$#" -ge 2 ] || usage; builddir=$2; shift 2 ;;
    --builddir=*) builddir=${1#*=}; shift ;;
    -h|--help) usage ;;
    [0-9]*) [ -z "$seconds" ] || usage; seconds=$1; shift ;;
    -*) usage ;;
    *) [ -n "$seconds" ] || usage; chosen+=("$1"); shift ;;
  esac
done
case $builddir in
  /*) ;;
  *) builddir=$start_dir/$builddir ;;
esac
cd "$srcdir"

targets=(sync direct-map mxc json-stream room-raw store)

build_failed() {
  echo "run-fuzzers.sh: $1" >&2
  echo
  echo "0 passed, 1 failed"
  exit 1
}

build-aux/install-deps.sh || build_failed "could not install the build dependencies"

# Not -Dwerror: clang flags the g_autoptr() owners that only free at scope
# end as unused variables, where gcc (the -Werror build) does not.
options=(-Dfuzzing=true -Db_sanitize=address -Db_lundef=false -Ddemo=false -Dwerror=false)
if [ -f "$builddir/meson-private/coredata.dat" ]; then
  meson setup --reconfigure "${options[@]}" "$builddir" >/dev/null ||
    build_failed "meson setup failed"
else
  CC=clang meson setup "${options[@]}" "$builddir" || build_failed "meson setup failed"
fi
# Only the targets (and the libraries they link), not the whole app.
ninja -C "$builddir" "${targets[@]/#/tests/fuzz/fuzz-}" || build_failed "the build failed"

# Leaks count; GLib's slice allocator would hide them from the sanitizer.
export G_SLICE=always-malloc
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
# Crash reports with function names and lines.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi

if [ -z "$seconds" ]; then
  testlog=$builddir/meson-logs/testlog.json
  rm -f -- "$testlog"
  status=0
  meson test -C "$builddir" --suite fuzz --no-rebuild --print-errorlogs || status=$?
  [ -f "$testlog" ] || build_failed "meson test wrote no $testlog"
  line=$(python3 build-aux/count-tests.py "$testlog")
  echo
  echo "$line"
  case $line in *", 0 failed"*) ;; *) status=1 ;; esac
  exit "$status"
fi

[ "${#chosen[@]}" -eq 0 ] || targets=("${chosen[@]}")
status=0
for target in "${targets[@]}"; do
  [ -x "$builddir/tests/fuzz/fuzz-$target" ] || { echo "no target fuzz-$target" >&2; exit 2; }
  corpus=$builddir/fuzz-corpus/$target
  artifacts=$builddir/fuzz-artifacts/$target/
  log=$builddir/fuzz-logs/$target.log
  mkdir -p "$corpus" "$artifacts" "$(dirname -- "$log")"
  echo "== fuzz-$target for $seconds s (log: $log)"
  if ! nice -n 19 "$builddir/tests/fuzz/fuzz-$target" \
      -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$artifacts" \
      "$corpus" "tests/fuzz/corpus/$target" >"$log" 2>&1; then
    status=1
  fi
  # The INITED line (seeds and their coverage), the last progress line and
  # the final statistics, or the crash report.
  grep -E '^#[0-9]+[[:space:]]+INITED' "$log" | tail -n 1 || true
  grep -E '^#[0-9]+[[:space:]]+(pulse|NEW|REDUCE|DONE)' "$log" | tail -n 1 || true
  grep -E '^stat::|ERROR|SUMMARY|^artifact_prefix|Test unit written' "$log" || true
done
exit "$status"
