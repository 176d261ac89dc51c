#!/usr/bin/env bash
# The FeatureRollout CRD against the real API server (no mocks):
#   1. applies crds/featurerollouts.rollouts.featureflags.dev.yaml with server-side apply, waits for
#      Established, and lints the schema as stored (descriptions, maxItems, maxLength);
#   2. creates every valid document (crds/samples/*.yaml and tests/crd/valid-base.yaml) for real in
#      a namespace of its own, reads each back and checks that the schema defaults were filled in;
#   3. applies every document of tests/crd/invalid/ and checks that it is rejected, with server-side
#      apply and with a plain create, and that the error names the field: the first line of each
#      file is `# expect: <fragment>`, which must occur in kubectl's error output;
#   4. proves the status subresource (a status patch is stored, a spec change sent through it is
#      ignored, an invalid status is refused, status sent to the main resource is ignored);
#   5. checks the printer columns of `kubectl get fr` and the `featureflags` category.
# Needs KUBECONFIG (hack/cluster.sh up; eval "$(hack/cluster.sh env)") and kubectl and python3 on
# PATH. The namespace is deleted at the end, also on failure. The CRD stays installed: other tests
# on the same control plane may use it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CRD_FILE=$root/crds/featurerollouts.rollouts.featureflags.dev.yaml
CRD=featurerollouts.rollouts.featureflags.dev
MANAGER=fro-crd-test
start=$SECONDS

die() { echo "FAIL: $*" >&2; exit 1; }
[[ -n ${KUBECONFIG:-} ]] || die "KUBECONFIG is not set; start the local control plane with
  hack/cluster.sh up && eval \"\$(hack/cluster.sh env)\""
[[ -r ${KUBECONFIG%%:*} ]] || die "KUBECONFIG=$KUBECONFIG is not a readable file"
command -v kubectl >/dev/null || die "kubectl is not on PATH (eval \"\$(hack/cluster.sh env)\" adds it)"
command -v python3 >/dev/null || die "python3 is not on PATH (needed to lint the stored schema)"

tmp=$(mktemp -d)
NS=crd-test-$(date +%s)-$$
cleanup() {
  local rc=$?
  kubectl delete namespace "$NS" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT

# Own discovery cache: a resource type created a moment ago is never looked up in a stale one.
k() { kubectl --cache-dir="$tmp/cache" --request-timeout=20s "$@"; }

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
# expect_eq WHAT GOT WANT
expect_eq() { if [[ $2 == "$3" ]]; then ok "$1 = ${3:-<empty>}"; else fail "$1: got '${2}', want '${3}'"; fi; }

# --- 1. the CRD -----------------------------------------------------------------------------------
gen_before=$(k get crd "$CRD" -o jsonpath='{.metadata.generation}' 2>/dev/null || echo absent)
k apply --server-side --force-conflicts --field-manager="$MANAGER" -f "$CRD_FILE" >/dev/null \
  || die "the API server refused the CRD (kubectl apply --server-side -f $CRD_FILE)"
k wait --for=condition=Established --timeout=30s "crd/$CRD" >/dev/null || die "CRD $CRD not Established within 30s"
k wait --for=condition=NamesAccepted --timeout=30s "crd/$CRD" >/dev/null || die "CRD $CRD names not accepted"
gen_after=$(k get crd "$CRD" -o jsonpath='{.metadata.generation}')
if [[ $gen_before != absent && $gen_before != "$gen_after" ]]; then
  # An existing CRD was changed: the API server's CRD handler swaps the served schema in from
  # its informer, asynchronously. Give it a moment so everything below sees the schema just applied.
  sleep 1
fi
ok "CRD applied and Established (generation $gen_after)"
if lint=$(k get crd "$CRD" -o json | python3 "$here/lint_schema.py"); then
  ok "stored schema: every field described, every list and string bounded, no preserve-unknown-fields"
else
  fail "stored schema lint:"$'\n'"$lint"
fi

k create namespace "$NS" >/dev/null || die "cannot create namespace $NS"
k label namespace "$NS" app.kubernetes.io/created-by=fro-crd-test >/dev/null

# --- 2. valid documents: created for real, read back with their defaults --------------------------
# in_ns FILE: the document with its namespace (if any) replaced by ours.
in_ns() { sed -E "s/^(  namespace:).*/\1 $NS/" "$1"; }
valid=("$root"/crds/samples/*.yaml "$here/valid-base.yaml")
for f in "${valid[@]}"; do
  rel=${f#"$root"/}
  if out=$(in_ns "$f" | k apply --server-side --field-manager="$MANAGER" -n "$NS" -f - 2>&1); then
    ok "accepted: $rel"
  else
    fail "valid document $rel was refused:"$'\n'"$out"
  fi
done

# The largest document the schema admits: the CEL rules stay within their runtime cost budget, and
# so do the messages computed for its defects.
if out=$(python3 "$here/gen_max.py" | k apply --server-side --dry-run=server --field-manager="$MANAGER" -n "$NS" -f - 2>&1); then
  ok "accepted (server dry run): the document at every maxItems/maxLength bound (tests/crd/gen_max.py)"
else
  fail "the document at the schema's bounds was refused:"$'\n'"${out:0:2000}"
fi
out=$(python3 "$here/gen_max.py" defects | k apply --server-side --dry-run=server --field-manager="$MANAGER" -n "$NS" -f - 2>&1) || true
for want in "enables unknown flag undeclared-flag" "names unknown gate undeclared-gate" \
            "spec.flags[].envVar must be unique; FLAG_62_"; do
  [[ $out == *"$want"* ]] && ok "at the bounds, refused with: ...$want..." || fail "at the bounds, no '$want' in:"$'\n'"${out:0:2000}"
done

# fields NAME JSONPATH...: the values, one line each, from a single read of the object.
fields() {
  local name=$1 tpl="" p; shift
  for p in "$@"; do tpl+="{$p}{\"\\n\"}"; done
  k get "$CRD" "$name" -n "$NS" -o "jsonpath=$tpl"
}
# expect_fields NAME < lines of "JSONPATH WANT" (WANT may contain spaces, or be empty)
expect_fields() {
  local name=$1 paths=() wants=() p w got i
  while read -r p w; do paths+=("$p"); wants+=("$w"); done
  mapfile -t got < <(fields "$name" "${paths[@]}")
  for i in "${!paths[@]}"; do expect_eq "$name ${paths[i]}" "${got[i]-}" "${wants[i]}"; done
}
# Defaults must be filled in on every stored object, whatever the sample: every listed field set,
# and no step, flag or gate without its defaulted field (an empty pair of brackets).
for name in $(k get "$CRD" -n "$NS" -o jsonpath='{.items[*].metadata.name}'); do
  mapfile -t got < <(fields "$name" .spec.analysis.interval .spec.analysis.consecutiveSuccesses \
    .spec.analysis.maxConsecutiveErrors .spec.prometheus.timeout .spec.rollback .spec.paused .spec.progressDeadline \
    'range .spec.phases[*].steps[*]}[{.pause}]{end' 'range .spec.flags[*]}[{.default}]{end' \
    'range .spec.analysis.gates[*]}[{.onNoData}]{end')
  ((${#got[@]} == 10)) || { fail "$name: could not read its defaults back"; continue; }
  missing=0
  for v in "${got[@]}"; do [[ -n $v && $v != *"[]"* ]] || missing=1; done
  if ((missing == 0)); then ok "$name: every defaulted field filled in"; else fail "$name: a default is missing: ${got[*]}"; fi
done
# ... and exactly as documented (quick.yaml leaves everything optional out but the Prometheus address).
expect_fields quick <<'EOF'
.spec.analysis.interval 1m
.spec.analysis.consecutiveSuccesses 1
.spec.analysis.maxConsecutiveErrors 5
.spec.analysis.gates[0].onNoData hold
.spec.prometheus.address http://prometheus.monitoring.svc:9090
.spec.prometheus.timeout 5s
.spec.rollback automatic
.spec.paused false
.spec.progressDeadline 10m
.spec.phases[0].steps[0].pause 30s
.spec.phases[0].steps[1].pause 0s
.spec.flags[1].default false
.spec.configMapName
.spec.targets[0].containers
.spec.delivery.file.enabled true
.spec.delivery.file.mountPath /etc/feature-flags
.spec.delivery.file.volumeName feature-flags
.spec.delivery.env.restartOn BooleanChange
.spec.delivery.propagation.allowance 90s
EOF
expect_fields unified-workflow <<'EOF'
.spec.flags[*].envVar VITE_UNIFIED_WORKFLOW_SCHEMA VITE_UNIFIED_WORKFLOW_READ VITE_UNIFIED_WORKFLOW_WRITE VITE_UNIFIED_WORKFLOW_SEARCH VITE_UNIFIED_WORKFLOW_FRONTEND VITE_UNIFIED_WORKFLOW_AI_GENERATION VITE_UNIFIED_WORKFLOW_ANALYTICS VITE_UNIFIED_WORKFLOW_GENERATOR VITE_EXPERIMENTAL_FEATURES VITE_UNIFIED_WORKFLOW_MIGRATION
.spec.phases[*].name infrastructure core advanced experimental legacy-deprecation
.spec.phases[1].steps[*].percent 10 50 100
.spec.phases[1].steps[2].pause 24h
.spec.analysis.interval 1m
.spec.analysis.gates[0].onNoData hold
.spec.analysis.gates[1].onNoData hold
.spec.analysis.gates[2].critical.above 40
.spec.rollback automatic
.spec.progressDeadline 10m
.spec.targets[0].containers ["web"]
.spec.configMapName unified-workflow-flags
EOF
expect_fields base <<'EOF'
.spec.analysis.interval 30s
.spec.analysis.gates[1].onNoData pass
.spec.phases[1].onFailure.enable ["legacy"]
EOF

# --- 3. invalid documents: each refused, naming its field ----------------------------------------
# check_invalid FILE: prints nothing when FILE is refused as expected, else what went wrong.
check_invalid() {
  local f=$1 rel=${1#"$root"/} first expect out
  first=$(head -n 1 "$f")
  expect=${first#"# expect: "}
  if [[ $first != "# expect: "* || -z $expect ]]; then echo "$rel: first line is not '# expect: <fragment>'"; return; fi
  if out=$(k apply --server-side --field-manager="$MANAGER" -n "$NS" -f "$f" 2>&1); then
    echo "$rel was ACCEPTED by server-side apply (expected: $expect)"
  elif [[ $out != *"$expect"* ]]; then
    echo "$rel: refused, but the error does not contain '$expect':"$'\n'"$out"
  # Not only the apply machinery: a plain create (what client-side tools send) is refused as well.
  elif k create --dry-run=server -n "$NS" -f "$f" >/dev/null 2>&1; then
    echo "$rel was ACCEPTED by kubectl create"
  fi
}
invalid=("$here"/invalid/*.yaml)
((${#invalid[@]} >= 25)) || fail "only ${#invalid[@]} documents in tests/crd/invalid (want at least 25)"
mkdir -p "$tmp/invalid"
for f in "${invalid[@]}"; do   # three at a time: kubectl start-up, not the API server, is the cost
  check_invalid "$f" >"$tmp/invalid/${f##*/}.out" 2>&1 &
  while (($(jobs -rp | wc -l) >= 3)); do wait -n || true; done
done
wait
refused=0
for f in "${invalid[@]}"; do
  res=$(<"$tmp/invalid/${f##*/}.out")
  if [[ -z $res ]]; then refused=$((refused + 1)); else fail "$res"; fi
done
ok "$refused of ${#invalid[@]} invalid documents refused with the expected message"
leaked=$(k get "$CRD" -n "$NS" -o jsonpath='{.items[*].metadata.name}' | tr ' ' '\n' | grep -c '^invalid-' || true)
expect_eq "invalid documents stored" "$leaked" 0

# --- 4. status subresource ------------------------------------------------------------------------
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
status=$(cat <<JSON
{"spec": {"paused": true},
 "status": {"observedGeneration": 1, "phase": "checkout", "phaseIndex": 0, "step": 0, "currentStep": "1/2", "percent": 10,
  "state": "Progressing", "stepStartedAt": "$now", "message": "step 0 of phase checkout active at 10%",
  "gatesSummary": "1/1 passed", "configMapName": "quick-flags", "checksum": "sha256:0123abcd",
  "flags": [{"name": "new-checkout", "envVar": "NEW_CHECKOUT", "enabled": true, "percent": 10}],
  "gates": [{"name": "error-rate", "query": "vector(0)", "value": "NaN", "threshold": "critical > 0.05",
             "result": "Passed", "message": "", "evaluatedAt": "$now", "consecutivePasses": 1}],
  "history": [{"phase": "checkout", "step": 0, "state": "Progressing", "reason": "StepStarted", "at": "$now"}],
  "phases": [{"name": "checkout", "state": "Progressing", "startedAt": "$now"}],
  "conditions": [{"type": "Ready", "status": "False", "observedGeneration": 1, "lastTransitionTime": "$now",
                  "reason": "Progressing", "message": "phase checkout step 0"}]}}
JSON
)
if out=$(k patch "$CRD" quick -n "$NS" --subresource=status --type=merge -p "$status" \
    -o jsonpath='{.status.state}|{.status.currentStep}|{.status.gates[0].value}|{.status.conditions[0].type}|{.spec.paused}|{.metadata.generation}' 2>&1); then
  expect_eq "status patch: state|currentStep|gate value|condition|spec.paused|generation" "$out" "Progressing|1/2|NaN|Ready|false|1"
else
  fail "status patch through the status subresource refused:"$'\n'"$out"
fi
if out=$(k patch "$CRD" quick -n "$NS" --subresource=status --type=merge -p '{"status":{"state":"Exploded"}}' 2>&1); then
  fail "status.state Exploded accepted"
elif [[ $out == *'status.state: Unsupported value: "Exploded"'* ]]; then
  ok "status.state outside its enum refused"
else
  fail "status.state Exploded refused with an unexpected message:"$'\n'"$out"
fi
if out=$(k patch "$CRD" quick -n "$NS" --type=merge -p '{"status":{"state":"Succeeded"}}' -o jsonpath='{.status.state}' 2>&1); then
  expect_eq "status sent to the main resource is ignored: status.state" "$out" Progressing
else
  fail "patch of the main resource refused:"$'\n'"$out"
fi

# --- 5. printer columns and category --------------------------------------------------------------
squeeze() { tr -s ' ' | sed 's/ $//'; }
table=$(k get fr -n "$NS" 2>&1) || fail "kubectl get fr failed:"$'\n'"$table"
expect_eq "kubectl get fr header" "$(head -n 1 <<<"$table" | squeeze)" "NAME PHASE STEP PERCENT STATE GATES AGE"
row=$(grep '^quick ' <<<"$table" | squeeze || true)
# STEP is 1-based like everything else (status.currentStep, "1/2"), not the 0-based status.step.
[[ $row == "quick checkout 1/2 10 Progressing 1/1 passed "* ]] && ok "kubectl get fr row: $row" || fail "kubectl get fr row for quick: '$row'"
wide=$(k get fr -n "$NS" -o wide 2>&1) || fail "kubectl get fr -o wide failed:"$'\n'"$wide"
expect_eq "kubectl get fr -o wide header" "$(head -n 1 <<<"$wide" | squeeze)" "NAME PHASE STEP PERCENT STATE GATES AGE MESSAGE"
grep -q 'step 0 of phase checkout active at 10%$' <<<"$wide" && ok "message column shown with -o wide" \
  || fail "message column missing from -o wide:"$'\n'"$wide"
expect_eq "kubectl get featureflags (category)" \
  "$(k get featureflags -n "$NS" -o name | sort | tr '\n' ' ')" \
  "featurerollout.rollouts.featureflags.dev/base featurerollout.rollouts.featureflags.dev/quick featurerollout.rollouts.featureflags.dev/unified-workflow "

echo "crd_test: $((SECONDS - start))s, ${#valid[@]} valid and ${#invalid[@]} invalid documents, $failures failure(s)"
((failures == 0))
