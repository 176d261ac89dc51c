#!/usr/bin/env bash
# The unit and integration suites under ThreadSanitizer (not part of hack/test.sh: the TSan build
# takes about 25 minutes from scratch on 2 shared cores, the tests about 5). Builds build-tsan with
# -DFRO_SANITIZE=thread, uses the running local control plane (or starts one and stops it
# afterwards), runs the tests and prints a summary: tests passed/failed and each distinct race
# report with its frames and test. The RUN_SERIAL tests restart control-plane components, so they
# run only on a control plane this script started (FRO_TSAN_SERIAL=1 or 0 decides otherwise).
#   hack/tsan.sh                  every test (on a running control plane: but the serial ones)
#   hack/tsan.sh -R WorkQueue     extra arguments go to ctest
# FRO_TSAN_BUILD_DIR (build-tsan), FRO_TSAN_JOBS (build jobs, nproc), FRO_TSAN_CTEST_JOBS (2).
# Exit status 0 only when every test passed and TSan reported nothing.
# Reports: $FRO_TSAN_BUILD_DIR/tsan-reports/tsan.<executable>.<pid>.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
start=$SECONDS

"$here/install-deps.sh"
"$here/build-tools.sh" all

BUILD=${FRO_TSAN_BUILD_DIR:-$FRO_ROOT/build-tsan}
log "building the project with -fsanitize=thread in $BUILD"
cmake -S "$FRO_ROOT" -B "$BUILD" -G Ninja -DFRO_SANITIZE=thread >"$FRO_LOG_DIR/tsan-configure.log" 2>&1 \
  || die "cmake configure failed (log: $FRO_LOG_DIR/tsan-configure.log)"
if ! cmake --build "$BUILD" -j "${FRO_TSAN_JOBS:-$(nproc)}" >"$FRO_LOG_DIR/tsan-build.log" 2>&1; then
  grep -E 'error|FAILED' "$FRO_LOG_DIR/tsan-build.log" | head -n 40 >&2 || true
  die "build failed (log: $FRO_LOG_DIR/tsan-build.log)"
fi

# The tests' control plane (the one hack/test.sh uses). A running one is used as it is: never
# restarted or stopped, since others may be testing against it.
export FRO_CLUSTER_DIR=${FRO_CLUSTER_DIR:-$FRO_ROOT/.local/test-cluster}
started_here=0
if ! "$here/cluster.sh" status >/dev/null 2>&1; then
  started_here=1
  "$here/cluster.sh" up
fi
cleanup() { if ((started_here)) && [[ ${FRO_KEEP_CLUSTER:-0} != 1 ]]; then "$here/cluster.sh" down; fi; }
trap cleanup EXIT
eval "$("$here/cluster.sh" env)"

# RUN_SERIAL tests restart or stop control-plane components: on a control plane others may be
# using, exclude them by name, read from ctest itself so that a new serial test is excluded too.
exclude=()
if [[ ${FRO_TSAN_SERIAL:-$started_here} != 1 ]]; then
  serial=$(ctest --test-dir "$BUILD" --show-only=json-v1 | python3 -c '
import json, re, sys
tests = json.load(sys.stdin)["tests"]
names = [t["name"] for t in tests
         if any(p["name"] == "RUN_SERIAL" and p["value"] for p in t.get("properties", []))]
print("|".join("^" + re.escape(n) + "$" for n in names))')
  if [[ -n $serial ]]; then
    log "excluding $(tr '|' '\n' <<<"$serial" | wc -l) RUN_SERIAL tests"
    exclude=(-E "$serial")
  fi
fi

reports=$BUILD/tsan-reports
rm -rf "$reports" && mkdir -p "$reports"
supp_opt=""
# Races inside uninstrumented system libraries only; each entry says why.
[[ -f $here/tsan.supp ]] && supp_opt="suppressions=$here/tsan.supp"
# halt_on_error=0 and exitcode=0: a race does not stop or fail the process, so a test's result
# says whether it works under TSan and the reports are counted apart. history_size=4 keeps the
# older access's stack in long-running processes (the operator children of the integration tests).
export TSAN_OPTIONS="halt_on_error=0 exitcode=0 log_path=$reports/tsan log_exe_name=1 history_size=4 second_deadlock_stack=1 $supp_opt ${TSAN_OPTIONS:-}"
ctest_log=$FRO_LOG_DIR/tsan-ctest.log
log "running tests under TSan (log: $ctest_log, reports: $reports)"
rc=0
ctest --test-dir "$BUILD" --output-on-failure --timeout 1800 -j "${FRO_TSAN_CTEST_JOBS:-2}" \
  "${exclude[@]}" "$@" >"$ctest_log" 2>&1 || rc=$?

echo
echo "=== TSan summary ($(date +%H:%M:%S), $((SECONDS - start))s) ==="
grep -E 'tests passed|tests failed out of' "$ctest_log" | tail -n 1 || echo "ctest printed no result line (rc=$rc)"
sed -n '/The following tests FAILED/,$p' "$ctest_log" | grep -E '^\s+[0-9]+ - ' || true
races=0
python3 - "$reports" "$FRO_ROOT" <<'PY' || races=$?
import os, re, sys
from collections import OrderedDict

reports, root = sys.argv[1], sys.argv[2].rstrip("/") + "/"
frame_re = re.compile(r"^\s+#(\d+) (.*?) (\S+?)(?::(\d+))?(?::\d+)? \((.*)\)$")

def frames(lines):
    out = []
    for l in lines:
        m = frame_re.match(l)
        if m:
            out.append((m.group(2), m.group(3), m.group(4)))
    return out

def where(fr):
    fn, path, line = fr
    path = path[len(root):] if path.startswith(root) else path
    return f"{fn} {path}:{line}" if line else f"{fn} {path}"

def top(stack):
    """The first frame in the project's own sources, else the innermost frame."""
    for f in stack:
        if f[1].startswith(root):
            return f
    return stack[0] if stack else ("?", "?", None)

def test_name(fr):
    """Suite.Name of the TEST/TEST_F/TEST_P whose body holds this TestBody frame."""
    fn, path, line = fr
    try:
        lines = open(path, errors="replace").read().splitlines()[: int(line)]
    except (OSError, TypeError, ValueError):
        return where(fr)
    for l in reversed(lines):
        m = re.match(r"\s*TEST(?:_F|_P)?\(\s*(\w+)\s*,\s*(\w+)", l)
        if m:
            return f"{m.group(1)}.{m.group(2)} ({fr[1][len(root):]})"
    return where(fr)

distinct = OrderedDict()
total = 0
for name in sorted(os.listdir(reports)):
    exe = name.split(".")[1] if name.count(".") >= 2 else "?"
    text = open(os.path.join(reports, name), errors="replace").read()
    for block in text.split("==================\n"):
        m = re.search(r"WARNING: ThreadSanitizer: ([^(\n]+)", block)
        if not m:
            continue
        total += 1
        kind = m.group(1).strip()
        # Sections: a heading line, then its frames. The first two are the two accesses (races)
        # or the operation and where it happened (other kinds).
        sections, cur = [], None
        for l in block.splitlines():
            if frame_re.match(l):
                if cur is not None:
                    cur[1].append(l)
            elif l.strip():
                cur = (l.strip(), [])
                sections.append(cur)
        stacks = [(h, frames(ls)) for h, ls in sections if ls]
        access = [(h, top(fs)) for h, fs in stacks[:2] if not h.startswith("Thread ")]
        key = (kind, tuple(sorted(where(f) for _, f in access)))
        tests = set(test_name(f) for _, fs in stacks for f in fs if f[0].endswith("TestBody"))
        d = distinct.setdefault(key, {"n": 0, "exes": set(), "tests": set(), "access": access,
                                      "example": name})
        d["n"] += 1
        d["exes"].add(exe)
        d["tests"] |= tests

print(f"TSan reports: {total} in {len(os.listdir(reports))} log files, {len(distinct)} distinct")
for i, ((kind, _), d) in enumerate(distinct.items(), 1):
    print(f"[{i}] {kind} x{d['n']} in {', '.join(sorted(d['exes']))}")
    for heading, f in d["access"]:
        print(f"    {heading.split(' at 0x')[0].rstrip(':')}: {where(f)}")
    for t in sorted(d["tests"])[:5]:
        print(f"    test: {t}")
    print(f"    report: {os.path.join(reports, d['example'])}")
sys.exit(1 if total else 0)
PY
log "TSan run finished in $((SECONDS - start))s (ctest rc=$rc)"
((rc == 0 && races == 0))
