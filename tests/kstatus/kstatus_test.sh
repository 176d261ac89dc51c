#!/usr/bin/env bash
# What kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status, as used by Flux health checks) computes
# for FeatureRollouts, checked against tests/kstatus/expected.txt.
#   kstatus_test.sh fixtures <kstatus_fixtures binary>
#     1. runs kstatus_fixtures (the real planner driven to every state) into a temp dir and checks
#        tests/kstatus/cases/*.json are exactly its output (FRO_UPDATE_FIXTURES=1 rewrites them);
#     2. feeds the cases to hack/kstatus-check and compares each object's status with expected.txt.
#   kstatus_test.sh live
#     the same cases through the real API server (KUBECONFIG: hack/cluster.sh up; eval "$(hack/cluster.sh
#     env)"): each is created in a fresh namespace, its status written through the status subresource
#     as the operator writes it, its generation moved on by a spec edit where the case's is, deleted
#     (held by the finalizer) where the case is; read back with `kubectl get -o json`, the status must
#     be unchanged by the CRD's schema, and kstatus must say what expected.txt says. Plus Deployments
#     (kwok runs the pods): kstatus on a paused Deployment, for comparison with a paused rollout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mode=${1:-}
usage() { echo "usage: $0 fixtures <kstatus_fixtures binary> | $0 live" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
pass=0

# check_expected <kstatus-check output> <cases...>: each case has the status expected.txt gives it,
# and every object in the output is one of the cases.
check_expected() {
  local actual=$1; shift
  local -A got msg listed only
  local name status rest want
  for name in "$@"; do only[$name]=1; done
  while read -r name status rest; do got[$name]=$status; msg[$name]=$rest; done <"$actual"
  while read -r name want; do
    [[ -z $name || $name == \#* ]] && continue
    [[ -z ${only[$name]:-} ]] && continue
    listed[$name]=1
    if [[ ${got[$name]:-missing} == "$want" ]]; then
      pass=$((pass + 1))
    else
      fail=$((fail + 1))
      echo "FAIL: $name: kstatus says ${got[$name]:-nothing} (${msg[$name]:-}), expected $want"
    fi
    # InProgress and Failed come with the operator's reason for Flux to show.
    if [[ $want == InProgress || $want == Failed ]] && [[ -z ${msg[$name]:-} ]]; then
      fail=$((fail + 1))
      echo "FAIL: $name: $want without a message"
    fi
  done <"$here/expected.txt"
  for name in "${!got[@]}"; do
    [[ -n ${listed[$name]:-} ]] || { fail=$((fail + 1)); echo "FAIL: $name is not in expected.txt"; }
  done
  for name in "$@"; do
    [[ -n ${listed[$name]:-} ]] || { fail=$((fail + 1)); echo "FAIL: case $name is not in expected.txt"; }
  done
}

kstatus_bin=$(bash "$root/hack/kstatus-check/build.sh")
mapfile -t cases < <(cd "$here/cases" && ls -- *.json | sed 's/\.json$//')

if [[ $mode == fixtures ]]; then
[[ -n ${2:-} ]] || usage
fixtures_bin=$2

# 1. The checked-in cases are the planner's output.
"$fixtures_bin" "$tmp/cases"
if [[ ${FRO_UPDATE_FIXTURES:-0} == 1 ]]; then
  rm -f "$here"/cases/*.json
  mkdir -p "$here/cases"
  cp "$tmp"/cases/*.json "$here/cases/"
  echo "rewrote $here/cases from the planner"
fi
if diff -r -u "$here/cases" "$tmp/cases" >"$tmp/cases.diff"; then
  pass=$((pass + 1))
  echo "ok: tests/kstatus/cases equals the planner's output ($(ls "$tmp"/cases | wc -l) cases)"
else
  fail=$((fail + 1))
  head -n 60 "$tmp/cases.diff"
  echo "FAIL: tests/kstatus/cases differs from what the planner writes now;" \
       "if the change is intended: FRO_UPDATE_FIXTURES=1 $0 $*"
fi

# 2. kstatus on each case.
cat "$here"/cases/*.json | "$kstatus_bin" >"$tmp/actual.txt"
cat "$tmp/actual.txt"
check_expected "$tmp/actual.txt" "${cases[@]}"
echo "$pass passed, $fail failed"
((fail == 0))
exit
fi

[[ $mode == live ]] || usage
[[ -n ${KUBECONFIG:-} ]] || { echo "FAIL: KUBECONFIG is not set; hack/cluster.sh up && eval \"\$(hack/cluster.sh env)\"" >&2; exit 1; }
command -v kubectl >/dev/null || { echo "FAIL: kubectl is not on PATH (eval \"\$(hack/cluster.sh env)\" adds it)" >&2; exit 1; }
CRD=featurerollouts.rollouts.featureflags.dev
NS=kstatus-live-$(date +%s)-$$
# Own discovery cache: a resource type created a moment ago is never looked up in a stale one.
k() { kubectl --cache-dir="$tmp/cache" --request-timeout=20s "$@"; }
cleanup() {
  local rc=$?
  # The deleted rollout waits on our finalizer: no operator here to remove it.
  k -n "$NS" patch fr succeeded-deleting --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  k delete namespace "$NS" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT

k apply --server-side --force-conflicts --field-manager=fro-kstatus-test -f "$root/crds/$CRD.yaml" >/dev/null
k wait --for=condition=Established --timeout=30s "crd/$CRD" >/dev/null
k create namespace "$NS" >/dev/null

# Each case as the API server would hold it. The spec is the first case's (valid for the CRD; kstatus
# never reads the spec); the status is the planner's, with observedGeneration counted from 1.
mkdir -p "$tmp/live"
python3 - "$here/cases" "$tmp/live" "$NS" <<'PY'
import json, os, sys
src, out, ns = sys.argv[1:]
names = sorted(f[:-5] for f in os.listdir(src) if f.endswith(".json"))
spec = json.load(open(os.path.join(src, "unreconciled.json")))["spec"]
plan = []
for n in names:
    o = json.load(open(os.path.join(src, n + ".json")))
    md = o["metadata"]
    st = o.get("status")
    lag = md["generation"] - st["observedGeneration"] if st else 0
    obj = {"apiVersion": o["apiVersion"], "kind": o["kind"],
           "metadata": {"name": n, "namespace": ns, **({"finalizers": md["finalizers"]} if "finalizers" in md else {})},
           "spec": spec}
    json.dump(obj, open(os.path.join(out, n + ".obj.json"), "w"))
    if st:
        shift = st["observedGeneration"] - 1
        st["observedGeneration"] = 1
        for c in st.get("conditions", []):
            if "observedGeneration" in c:
                c["observedGeneration"] -= shift
        json.dump({"status": st}, open(os.path.join(out, n + ".status.json"), "w"))
    plan.append(f"{n} {1 if st else 0} {lag} {1 if 'deletionTimestamp' in md else 0}")
open(os.path.join(out, "plan.txt"), "w").write("\n".join(plan) + "\n")
PY
cat "$tmp"/live/*.obj.json | k create -f - >/dev/null
while read -r name has_status lag deleting; do
  ((has_status)) && k -n "$NS" patch fr "$name" --subresource=status --type=merge \
    --patch-file "$tmp/live/$name.status.json" >/dev/null
  # A spec edit the operator has not seen: metadata.generation 2, observedGeneration 1.
  ((lag)) && k -n "$NS" patch fr "$name" --type=merge -p '{"spec":{"paused":true}}' >/dev/null
  ((deleting)) && k -n "$NS" delete fr "$name" --wait=false >/dev/null
done <"$tmp/live/plan.txt"
k -n "$NS" get fr -o json >"$tmp/live/got.json"

# The CRD keeps every status field the planner writes (no pruning, no defaulting).
if python3 - "$tmp/live" <<'PY'
import json, os, sys
d = sys.argv[1]
bad = 0
for o in json.load(open(os.path.join(d, "got.json")))["items"]:
    n = o["metadata"]["name"]
    p = os.path.join(d, n + ".status.json")
    want = json.load(open(p))["status"] if os.path.exists(p) else None
    if o.get("status") != want:
        bad += 1
        print(f"FAIL: {n}: the status read back differs from the one written:\n  wrote {json.dumps(want)}\n  read  {json.dumps(o.get('status'))}")
    gen = o["metadata"]["generation"]
    print(f"  {n}: generation {gen}, observedGeneration {(o.get('status') or {}).get('observedGeneration', '-')}"
          f"{', deleting' if 'deletionTimestamp' in o['metadata'] else ''}")
sys.exit(1 if bad else 0)
PY
then pass=$((pass + 1)); echo "ok: every status read back as written"
else fail=$((fail + 1)); fi
"$kstatus_bin" <"$tmp/live/got.json" >"$tmp/live/actual.txt"
cat "$tmp/live/actual.txt"
check_expected "$tmp/live/actual.txt" "${cases[@]}"

# For comparison: kstatus on a Deployment paused with `kubectl rollout pause` (kwok runs the pods).
k -n "$NS" create deployment web --image=registry.example/web:1 --replicas=2 >/dev/null
k -n "$NS" rollout status deployment/web --timeout=60s >/dev/null
deploy_status() { # name: kstatus of deployment/web once its controller observed the latest generation
  local i
  for i in $(seq 1 30); do
    k -n "$NS" get deployment web -o json >"$tmp/deploy.json"
    python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); sys.exit(o["metadata"]["generation"]!=o.get("status",{}).get("observedGeneration"))' \
      "$tmp/deploy.json" && break
    sleep 1
  done
  python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); o["metadata"]["name"]=sys.argv[2]; print(json.dumps(o))' \
    "$tmp/deploy.json" "$1" | "$kstatus_bin"
}
{
  deploy_status deployment-rolled-out
  k -n "$NS" rollout pause deployment/web >/dev/null
  deploy_status deployment-paused
  k -n "$NS" set image deployment/web web=registry.example/web:2 >/dev/null
  deploy_status deployment-paused-with-new-template
  k -n "$NS" rollout resume deployment/web >/dev/null
  k -n "$NS" rollout status deployment/web --timeout=60s >/dev/null
  deploy_status deployment-resumed
} >"$tmp/deploy.txt"
cat "$tmp/deploy.txt"
check_expected "$tmp/deploy.txt" deployment-rolled-out deployment-paused deployment-paused-with-new-template deployment-resumed
echo "$pass passed, $fail failed"
((fail == 0))
