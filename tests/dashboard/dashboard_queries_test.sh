#!/usr/bin/env bash
# The Grafana dashboard of the chart (charts/feature-rollout-operator/dashboards/) against the real
# local Prometheus while it scrapes a running operator that carries out a rollout:
#   - a fresh namespace with a Deployment (kwok runs its pods) and a FeatureRollout of two phases
#     and two steps each, two flags, a gate whose query is a constant (vector(0.01), under its
#     warning and critical thresholds, so it passes without an app);
#   - the operator (the binary given as $1) watches that namespace only; its metrics port becomes a
#     Prometheus target through a file_sd file in $PROMETHEUS_TARGETS_DIR (job fro-dashboard-test);
#   - once Prometheus has the rollout's gate value and the rollout has moved a step,
#     check_queries.py runs every panel target's expression (and the variables' label_values) twice:
#     with every variable as the all-matching regex .* and with the variables set to this test's job,
#     namespace and rollout; every one must return a non-empty result with a number that is not NaN.
#     It also checks that every fro_*/process_* name a query uses is on the operator's /metrics.
# Every wait is bounded; the namespace, the target file and the operator process are removed on exit.
# Needs KUBECONFIG, PROMETHEUS_URL, PROMETHEUS_TARGETS_DIR (hack/cluster.sh up; eval "$(hack/cluster.sh env)"),
# kubectl, curl and python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
OPERATOR=${1:?usage: dashboard_queries_test.sh PATH/TO/feature-rollout-operator}
DASHBOARD=$root/charts/feature-rollout-operator/dashboards/feature-rollout-operator.json
die() { echo "FAIL: $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*"; }
for v in KUBECONFIG PROMETHEUS_URL PROMETHEUS_TARGETS_DIR; do
  [[ -n ${!v:-} ]] || die "$v is not set; start the local control plane: hack/cluster.sh up && eval \"\$(hack/cluster.sh env)\""
done
[[ -x $OPERATOR ]] || die "no operator binary at $OPERATOR"
[[ -d $PROMETHEUS_TARGETS_DIR ]] || die "PROMETHEUS_TARGETS_DIR=$PROMETHEUS_TARGETS_DIR is not a directory"
for c in kubectl curl python3; do command -v $c >/dev/null || die "$c is not on PATH"; done
curl -fsS --max-time 5 "$PROMETHEUS_URL/-/ready" >/dev/null || die "Prometheus at $PROMETHEUS_URL is not ready"

id=$(date +%s)-$$
NS=fro-dash-$id FR=dash JOB=fro-dashboard-test
TARGET_FILE=$PROMETHEUS_TARGETS_DIR/fro-dashboard-$id.json
tmp=$(mktemp -d)
op_pid=""
cleanup() {
  local rc=$?
  rm -f "$TARGET_FILE"
  if [[ -n $op_pid ]] && kill -0 "$op_pid" 2>/dev/null; then
    kill -TERM "$op_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$op_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$op_pid" 2>/dev/null || true
  fi
  # The operator is gone, so nothing removes the rollout's finalizer: drop it, then the namespace.
  kubectl -n "$NS" patch featurerollout "$FR" --type merge -p '{"metadata":{"finalizers":null}}' --request-timeout=10s >/dev/null 2>&1 || true
  kubectl delete namespace "$NS" --wait=false --request-timeout=10s >/dev/null 2>&1 || true
  if (( rc != 0 )) && [[ -f $tmp/operator.log ]]; then echo "--- operator log (last 30 lines)" >&2; tail -n 30 "$tmp/operator.log" >&2; fi
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
op_metrics=$(free_port) op_probe=$(free_port)

log "namespace $NS: CRD, Deployment web"
kubectl apply --server-side --field-manager=fro-dashboard-test -f "$root/crds/featurerollouts.rollouts.featureflags.dev.yaml" >/dev/null
kubectl wait --for condition=established --timeout=30s crd/featurerollouts.rollouts.featureflags.dev >/dev/null
kubectl create namespace "$NS" >/dev/null
kubectl apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: $NS}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.invalid/web:1}]
YAML
kubectl -n "$NS" rollout status deploy/web --timeout=60s >/dev/null || die "Deployment web did not become available (kwok)"

log "operator: metrics 127.0.0.1:$op_metrics, probes 127.0.0.1:$op_probe"
"$OPERATOR" --kubeconfig "$KUBECONFIG" --default-prometheus-address "$PROMETHEUS_URL" --watch-namespaces "$NS" \
  --metrics-bind-address "127.0.0.1:$op_metrics" --health-probe-bind-address "127.0.0.1:$op_probe" --log-format text \
  >"$tmp/operator.log" 2>&1 &
op_pid=$!
for _ in $(seq 100); do curl -fs --max-time 2 "http://127.0.0.1:$op_probe/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs --max-time 2 "http://127.0.0.1:$op_probe/readyz" >/dev/null || die "the operator did not become ready in 20 s"
printf '[{"targets":["127.0.0.1:%s"],"labels":{"job":"%s"}}]\n' "$op_metrics" "$JOB" >"$TARGET_FILE.tmp"
mv "$TARGET_FILE.tmp" "$TARGET_FILE"

log "FeatureRollout $FR: 2 phases x 2 steps, gate error-rate = vector(0.01)"
kubectl apply -f - >/dev/null <<YAML
apiVersion: rollouts.featureflags.dev/v1alpha1
kind: FeatureRollout
metadata: {name: $FR, namespace: $NS}
spec:
  targets: [{kind: Deployment, name: web}]
  flags:
    - {name: new-checkout, envVar: NEW_CHECKOUT}
    - {name: checkout-banner, envVar: CHECKOUT_BANNER}
  delivery:
    propagation: {allowance: 2s}   # kwok runs the pods: nothing to wait for
  analysis:
    interval: 2s
    gates:
      - name: error-rate
        query: vector(0.01)
        warning: {above: 0.02}
        critical: {above: 0.05}
  phases:
    - name: banner
      enable: [checkout-banner]
      steps:
        - {percent: 20, pause: 10s}
        - {percent: 100, pause: 10s}
      gates: [error-rate]
    - name: checkout
      enable: [new-checkout]
      steps:
        - {percent: 10, pause: 60s}
        - {percent: 100, pause: 60s}
      gates: [error-rate]
YAML

# prom_has EXPR: the instant query returns at least one series.
prom_has() {
  curl -fsS --max-time 5 "$PROMETHEUS_URL/api/v1/query" --data-urlencode "query=$1" 2>/dev/null \
    | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["data"]["result"] else 1)' 2>/dev/null
}
log "waiting (at most 120 s) for Prometheus to scrape the rollout's gate value and a step change"
missing=()
for _ in $(seq 120); do
  missing=()
  prom_has "fro_gate_value{job=\"$JOB\",namespace=\"$NS\",rollout=\"$FR\"}" || missing+=("gate value")
  prom_has "fro_rollout_phase_index{job=\"$JOB\",namespace=\"$NS\",rollout=\"$FR\"} >= 1" || missing+=("second phase")
  prom_has "increase(fro_flag_changes_total{job=\"$JOB\",namespace=\"$NS\",rollout=\"$FR\"}[1m]) > 0" || missing+=("flag change in the last minute")
  (( ${#missing[@]} == 0 )) && break
  sleep 1
done
(( ${#missing[@]} == 0 )) || die "after 120 s Prometheus still lacks: ${missing[*]} (rollout: $(kubectl -n "$NS" get featurerollout "$FR" -o jsonpath='{.status.state} {.status.phase}' 2>&1))"
log "rollout state: $(kubectl -n "$NS" get featurerollout "$FR" -o jsonpath='{.status.state}') phase $(kubectl -n "$NS" get featurerollout "$FR" -o jsonpath='{.status.phase} step {.status.step}')"
curl -fsS --max-time 5 "http://127.0.0.1:$op_metrics/metrics" >"$tmp/metrics.txt" || die "cannot scrape the operator's /metrics"
python3 "$here/check_queries.py" "$DASHBOARD" "$PROMETHEUS_URL" "$tmp/metrics.txt" "$JOB" "$NS" "$FR"
