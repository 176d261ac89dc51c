#!/usr/bin/env bash
# The Argo CD health check (charts/feature-rollout-operator/argocd/health.lua) against its test
# cases (argocd/health_test.yaml, Argo CD's layout: inputPath + expected healthStatus). Each input
# FeatureRollout is converted from YAML to JSON by kubectl (offline: annotate --local), from JSON to
# a Lua table by json2lua.py (numbers as floats, as in Argo CD), and the script is run by lua5.4
# with it as the global `obj`; status and message must be exactly the expected ones.
# Also checks that every file in argocd/testdata/ is listed, and that a deliberately wrong
# expectation is reported (the runner can fail).
# Needs lua5.4, kubectl and python3 on PATH; no cluster.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=$root/charts/feature-rollout-operator/argocd
LUA=${LUA:-lua5.4}
start=$SECONDS

die() { echo "FAIL: $*" >&2; exit 1; }
command -v "$LUA" >/dev/null || die "$LUA is not on PATH (hack/install-deps.sh installs it: apt-get install lua5.4)"
command -v kubectl >/dev/null || die "kubectl is not on PATH (hack/install-deps.sh, or eval \"\$(hack/cluster.sh env)\")"
command -v python3 >/dev/null || die "python3 is not on PATH"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# The cases of health_test.yaml as "inputPath<TAB>status<TAB>message" lines. A strict reader of
# exactly this layout: any other line is an error, so a typo cannot silently drop a case.
parse_cases() {
  python3 - "$1" <<'PY'
import re, sys
cases, cur = [], None
for n, line in enumerate(open(sys.argv[1]), 1):
    s = line.rstrip("\n")
    if not s.strip() or s.lstrip().startswith("#") or s == "tests:":
        continue
    m = re.fullmatch(r"  - healthStatus:", s)
    if m:
        cur = {}; cases.append(cur); continue
    m = re.fullmatch(r"      (status|message): (?:\"((?:[^\"\\]|\\.)*)\"|(\S.*))", s)
    if m and cur is not None:
        cur[m.group(1)] = m.group(2) if m.group(2) is not None else m.group(3); continue
    m = re.fullmatch(r"    inputPath: (\S+)", s)
    if m and cur is not None:
        cur["inputPath"] = m.group(1); continue
    sys.exit("health_test.yaml:%d: unexpected line: %s" % (n, s))
for c in cases:
    if set(c) != {"status", "message", "inputPath"}:
        sys.exit("health_test.yaml: incomplete case %r" % c)
    print("\t".join([c["inputPath"], c["status"], c["message"]]))
PY
}

# run_case INPUT: prints "status<TAB>message" as health.lua returns them for INPUT.
run_case() {
  local input=$1 name
  name=$(basename "$input" .yaml)
  kubectl annotate --local -f "$input" fro-chart-test- -o json >"$tmp/$name.json" 2>"$tmp/$name.err" \
    || { echo "kubectl could not read $input: $(<"$tmp/$name.err")"; return 1; }
  python3 "$here/json2lua.py" <"$tmp/$name.json" >"$tmp/$name.lua"
  cat >>"$tmp/$name.lua" <<LUA
local hs = dofile("$dir/health.lua")
assert(type(hs) == "table", "health.lua returned " .. type(hs))
io.write(tostring(hs.status), "\t", tostring(hs.message), "\n")
LUA
  "$LUA" "$tmp/$name.lua" 2>&1
}

mapfile -t cases < <(parse_cases "$dir/health_test.yaml") || die "cannot read health_test.yaml"
((${#cases[@]} >= 10)) || die "only ${#cases[@]} cases in health_test.yaml"
listed=()
for c in "${cases[@]}"; do
  IFS=$'\t' read -r input want_status want_message <<<"$c"
  listed+=("$input")
  [[ -f $dir/$input ]] || { fail "$input: no such file"; continue; }
  got=$(run_case "$dir/$input") || { fail "$input: $got"; continue; }
  if [[ $got == "$want_status"$'\t'"$want_message" ]]; then
    ok "$input -> $want_status: $want_message"
  else
    fail "$input: got '${got/$'\t'/: }', want '$want_status: $want_message'"
  fi
done

# Every test input is used by a case.
for f in "$dir"/testdata/*.yaml; do
  rel=testdata/${f##*/}
  [[ " ${listed[*]} " == *" $rel "* ]] || fail "$rel is not listed in health_test.yaml"
done

# The comparison can fail: a wrong expectation is not reported as a match.
got=$(run_case "$dir/testdata/rolled_back.yaml")
if [[ $got == "Healthy"$'\t'* ]]; then fail "rolled_back.yaml reported Healthy"; else ok "a wrong expectation (rolled_back -> Healthy) does not match: got ${got%%$'\t'*}"; fi

echo "argocd_health_test: $((SECONDS - start))s, ${#cases[@]} cases, $failures failure(s)"
((failures == 0))
