#!/usr/bin/env bash
# Builds and runs the coverage-guided fuzz targets of fuzz/ (libFuzzer, clang, ASan + UBSan).
#   hack/fuzz.sh                      every target, 60 s each
#   hack/fuzz.sh yaml_lint --seconds 300
#   hack/fuzz.sh --runs 1000000 --seconds 1800    the long run (whichever comes first)
#   hack/fuzz.sh --build-only         configure and build only (hack/test.sh, before ctest)
# Options: --seconds N (default 60), --runs N (default: no limit), --jobs N (targets run at once,
# default 1), --no-build (use what is built), --keep-corpus (go on from the last run's working
# corpus instead of the seeds), --list.
# Each target starts from a copy of its seeds, fuzz/corpus/<target>/, in a working corpus under
# the build directory (the source tree is never written), and prints executions, exec/s, coverage
# edges (libFuzzer's cov:), corpus size and what it found. Exits non-zero on any finding: crash,
# leak, timeout (-timeout=10 s), memory over -rss_limit_mb=2048, or an abort on a violated property.
# Build directory: ${FRO_FUZZ_BUILD_DIR:-$FRO_ROOT/build-fuzz}; logs in $FRO_LOG_DIR/fuzz-<target>.log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

BUILD=${FRO_FUZZ_BUILD_DIR:-$FRO_ROOT/build-fuzz}
seconds=60 runs="" jobs=1 build=1 run=1 keep=0 list=0
targets=()
while (($#)); do
  case $1 in
    --seconds) seconds=${2:?--seconds N}; shift ;;
    --runs) runs=${2:?--runs N}; shift ;;
    --jobs) jobs=${2:?--jobs N}; shift ;;
    --build-only) run=0 ;;
    --no-build) build=0 ;;
    --keep-corpus) keep=1 ;;
    --list) list=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) die "unknown option $1 (see hack/fuzz.sh --help)" ;;
    *) targets+=("$1") ;;
  esac
  shift
done
[[ $seconds =~ ^[0-9]+$ && $jobs =~ ^[1-9][0-9]*$ && ( -z $runs || $runs =~ ^[0-9]+$ ) ]] \
  || die "--seconds, --runs and --jobs take whole numbers (--jobs at least 1)"

if ((build)); then
  command -v clang++ >/dev/null 2>&1 || die "clang++ not found (Debian packages clang and libclang-rt-14-dev: hack/install-deps.sh)"
  if [[ ! -f $BUILD/CMakeCache.txt ]]; then
    log "configuring the fuzz build in $BUILD (clang, -DFRO_FUZZ=ON)"
    # -O1 with assertions on (nlohmann's, libstdc++'s container checks) and line tables only: what
    # fuzzing wants, and it builds faster than RelWithDebInfo.
    CC=clang CXX=clang++ cmake -S "$FRO_ROOT" -B "$BUILD" -G Ninja -DFRO_FUZZ=ON -DFRO_BUILD_TESTS=OFF \
      -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only -D_GLIBCXX_ASSERTIONS" \
      >"$FRO_LOG_DIR/fuzz-configure.log" 2>&1 || die "cmake configure of the fuzz build failed (log: $FRO_LOG_DIR/fuzz-configure.log)"
  fi
  log "building the fuzz targets in $BUILD"
  if ! cmake --build "$BUILD" --target fro_fuzz -j "$(nproc)" >"$FRO_LOG_DIR/fuzz-build.log" 2>&1; then
    grep -E 'error|FAILED' "$FRO_LOG_DIR/fuzz-build.log" | head -n 40 >&2 || true
    die "fuzz build failed (log: $FRO_LOG_DIR/fuzz-build.log)"
  fi
fi
((run)) || exit 0

# name max_len dict, one target a line, written by fuzz/CMakeLists.txt.
table=$BUILD/bin/fuzz-targets.txt
[[ -f $table ]] || die "$table is missing: build the fuzz targets first (hack/fuzz.sh without --no-build)"
declare -A maxlen dict
all=()
while read -r name len d; do
  all+=("$name") maxlen[$name]=$len dict[$name]=$d
done <"$table"
if ((list)); then printf '%s\n' "${all[@]}"; exit 0; fi
((${#targets[@]})) || targets=("${all[@]}")
for t in "${targets[@]}"; do
  [[ -n ${maxlen[$t]:-} ]] || die "unknown fuzz target '$t' (known: ${all[*]})"
  [[ -x $BUILD/bin/fuzz_$t ]] || die "$BUILD/bin/fuzz_$t is not built"
done

work=$BUILD/fuzz-work
# Leaks count as findings; symbolized stacks for the report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Runs one target; writes its summary line to $work/<t>/summary and returns libFuzzer's status.
fuzz_one() {
  local t=$1 dir=$work/$1
  local corpus=$dir/corpus artifacts=$dir/artifacts/ logf=$FRO_LOG_DIR/fuzz-$1.log
  ((keep)) || rm -rf "$corpus"
  rm -rf "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  [[ -d $FRO_ROOT/fuzz/corpus/$t ]] && cp -n "$FRO_ROOT/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null || true
  local args=(-max_len="${maxlen[$t]}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
              -artifact_prefix="$artifacts" -max_total_time="$seconds")
  [[ -n $runs ]] && args+=(-runs="$runs")
  [[ ${dict[$t]} != - ]] && args+=(-dict="${dict[$t]}")
  local rc=0 start=$SECONDS
  "$BUILD/bin/fuzz_$t" "${args[@]}" "$corpus" >"$logf" 2>&1 || rc=$?
  local execs eps cov files bytes found
  # -a throughout: a log can hold the input's raw bytes.
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logf" | tail -n 1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logf" | tail -n 1)
  cov=$(grep -aoE 'cov: [0-9]+' "$logf" | tail -n 1 | cut -d' ' -f2)
  files=$(find "$corpus" -type f | wc -l)
  bytes=$(du -sb "$corpus" | cut -f1)
  found=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
  local verdict="nothing found"
  if [[ -n $found ]]; then
    verdict="FOUND: $(tr '\n' ' ' <<<"$found")"
    ((rc)) || rc=1
  elif ((rc)); then
    verdict="FAILED (exit $rc, no artifact: see $logf)"
  fi
  printf '%-14s %9s execs in %4ss  %7s exec/s  cov %5s  corpus %5s files (%s bytes)  %s\n' \
    "$t" "${execs:-?}" "$((SECONDS - start))" "${eps:-?}" "${cov:-?}" "$files" "$bytes" "$verdict" >"$dir/summary"
  if ((rc)); then
    # What was violated or caught, the top of the first stack, and libFuzzer's last words.
    { echo "--- $t ($logf):"
      grep -a -m 8 -E 'property violated|runtime error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|terminate called|what\(\):|out-of-memory|timeout after' "$logf" || true
      grep -aE '^ +#[0-9]+ 0x' "$logf" | grep -vE 'fuzzer::|__sanitizer|libc\.so|libstdc\+\+|pthread_kill|raise|abort' \
        | head -n 10 | cut -c1-220 || true
      grep -aE '^(SUMMARY|artifact_prefix|Base64):' "$logf" | tail -n 3 || true
    } >"$dir/report"
  fi
  return "$rc"
}

log "fuzzing ${#targets[@]} target(s), ${seconds}s${runs:+ or $runs runs} each, $jobs at once (logs: $FRO_LOG_DIR/fuzz-<target>.log)"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  rm -f "$work/$t/summary" "$work/$t/report" "$work/$t/rc"
done
for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  ( rc=0; fuzz_one "$t" || rc=$?; echo "$rc" >"$work/$t/rc" ) &
done
wait
for t in "${targets[@]}"; do
  cat "$work/$t/summary" 2>/dev/null || echo "$t: no summary (see $FRO_LOG_DIR/fuzz-$t.log)"
  if [[ $(cat "$work/$t/rc" 2>/dev/null || echo 1) != 0 ]]; then
    failed+=("$t")
    cat "$work/$t/report" >&2 2>/dev/null || true
  fi
done
if ((${#failed[@]})); then
  die "fuzzing found something in: ${failed[*]} (reproduce: $BUILD/bin/fuzz_<target> <artifact>)"
fi
log "no findings"
