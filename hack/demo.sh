#!/usr/bin/env bash
# The whole product in a few minutes, from a fresh machine (the README's first command):
#   - installs dependencies, builds the control plane (cached) and the project,
#   - starts the local control plane with Prometheus (hack/cluster.sh), the demo service
#     (synthetic users reading the flags, scraped by Prometheus) and the operator,
#   - applies the CRD and a FeatureRollout shaped like the shared unified-workflow plan (seconds
#     instead of days), gated on error rate and p95 latency,
#   - shows it advancing phase by phase, then injects errors into the AI feature at 10% of users
#     and shows the gate trip and the rollback, with the reason in `kubectl describe`.
#   hack/demo.sh          run it (everything it starts keeps running so you can look around)
#   hack/demo.sh down     stop what the demo started (and the control plane, if the demo started it)
# FRO_DEMO_NO_FAULT=1 lets the rollout run to Succeeded instead of injecting the fault.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

DEMO_DIR=$FRO_ROOT/.local/demo
export FRO_CLUSTER_DIR=${FRO_CLUSTER_DIR:-$FRO_ROOT/.local/cluster}
BUILD=${FRO_BUILD_DIR:-$FRO_ROOT/build}
NS=demo
FR=unified-workflow
FAULT_FLAG=unified_workflow_ai_generation
mkdir -p "$DEMO_DIR"

stop_pid() {  # name: stop the process whose pid the demo recorded, if it is still ours
  local f=$DEMO_DIR/$1.pid
  [[ -f $f ]] || return 0
  local pid
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null && grep -q "$2" "/proc/$pid/cmdline" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    log "stopped $1 (pid $pid)"
  fi
  rm -f "$f"
}

cmd_down() {
  stop_pid operator feature-rollout-operator
  stop_pid demo-service fro-demo-service
  if [[ -f $DEMO_DIR/targets-file ]]; then rm -f "$(cat "$DEMO_DIR/targets-file")" "$DEMO_DIR/targets-file"; fi
  if [[ -f $DEMO_DIR/started-cluster ]]; then
    "$here/cluster.sh" down
    rm -f "$DEMO_DIR/started-cluster"
  fi
  log "demo stopped"
}

if [[ ${1:-} == down ]]; then cmd_down; exit 0; fi
[[ -z ${1:-} ]] || die "usage: $0 [down]"

"$here/install-deps.sh"
"$here/build-tools.sh" all
log "building the operator, the demo service and the kubectl plugin in $BUILD"
cmake -S "$FRO_ROOT" -B "$BUILD" -G Ninja >"$FRO_LOG_DIR/demo-cmake.log" 2>&1 || die "cmake failed (log: $FRO_LOG_DIR/demo-cmake.log)"
targets=(feature-rollout-operator fro-demo-service)
if cmake --build "$BUILD" --target help 2>/dev/null | grep -q kubectl-featurerollout; then targets+=(kubectl-featurerollout); fi
cmake --build "$BUILD" -j "$(nproc)" --target "${targets[@]}" \
  >>"$FRO_LOG_DIR/demo-cmake.log" 2>&1 || die "build failed (log: $FRO_LOG_DIR/demo-cmake.log)"

if ! "$here/cluster.sh" status >/dev/null 2>&1; then touch "$DEMO_DIR/started-cluster"; fi
"$here/cluster.sh" up
eval "$("$here/cluster.sh" env)"
export PATH=$BUILD/bin:$PATH  # kubectl featurerollout ...

# A previous run's processes and rollout go first, so the demo always starts from the beginning.
stop_pid operator feature-rollout-operator
stop_pid demo-service fro-demo-service
log "installing the CRD and the demo workload"
kubectl apply --server-side --field-manager=fro-demo -f "$FRO_ROOT/crds/featurerollouts.rollouts.featureflags.dev.yaml" >/dev/null
kubectl wait --for condition=established --timeout=30s crd/featurerollouts.rollouts.featureflags.dev >/dev/null
kubectl apply -f "$here/demo/shop.yaml" >/dev/null
kubectl -n $NS delete featurerollout $FR --ignore-not-found --wait=true >/dev/null
kubectl -n $NS rollout status deploy/shop --timeout=60s >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
metrics_port=$(free_port); control_port=$(free_port); op_metrics=$(free_port); op_probe=$(free_port)

log "starting the demo service (metrics :$metrics_port, faults :$control_port)"
nohup "$BUILD/bin/fro-demo-service" --kubeconfig "$KUBECONFIG" --namespace $NS --configmap $FR-flags \
  --users 1000 --rate 100 --metrics-address "127.0.0.1:$metrics_port" --control-address "127.0.0.1:$control_port" \
  >"$DEMO_DIR/demo-service.log" 2>&1 &
echo $! >"$DEMO_DIR/demo-service.pid"
echo "$PROMETHEUS_TARGETS_DIR/fro-demo.json" >"$DEMO_DIR/targets-file"
printf '[{"targets":["127.0.0.1:%s"],"labels":{"job":"fro-demo"}}]\n' "$metrics_port" >"$PROMETHEUS_TARGETS_DIR/fro-demo.json"

log "starting the operator (metrics :$op_metrics, probes :$op_probe; log: $DEMO_DIR/operator.log)"
nohup "$BUILD/bin/feature-rollout-operator" --kubeconfig "$KUBECONFIG" --default-prometheus-address "$PROMETHEUS_URL" \
  --metrics-bind-address "127.0.0.1:$op_metrics" --health-probe-bind-address "127.0.0.1:$op_probe" --log-format text \
  >"$DEMO_DIR/operator.log" 2>&1 &
echo $! >"$DEMO_DIR/operator.pid"
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$op_probe/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$op_probe/readyz" >/dev/null || die "the operator did not become ready (log: $DEMO_DIR/operator.log)"
printf '[{"targets":["127.0.0.1:%s"],"labels":{"job":"fro-demo"}},{"targets":["127.0.0.1:%s"],"labels":{"job":"feature-rollout-operator"}}]\n' \
  "$metrics_port" "$op_metrics" >"$PROMETHEUS_TARGETS_DIR/fro-demo.json"

log "applying the FeatureRollout (hack/demo/rollout.yaml): 3 phases, gates error-rate and latency-p95"
kubectl apply -f "$here/demo/rollout.yaml" >/dev/null

# Live view: one line whenever the rollout's phase, step, percent, state or gates change.
field() { kubectl -n $NS get featurerollout $FR -o jsonpath="$1" 2>/dev/null; }
watch_until() {  # watch_until <jsonpath> <value> <timeout seconds>
  local last="" line deadline=$((SECONDS + $3))
  while ((SECONDS < deadline)); do
    line=$(kubectl -n $NS get featurerollout $FR --no-headers 2>/dev/null | awk '{$NF=""; print}')
    if [[ -n $line && $line != "$last" ]]; then
      printf '  %s  %s\n' "$(date +%H:%M:%S)" "$line"
      last=$line
    fi
    [[ $(field "$1") == "$2" ]] && return 0
    sleep 0.5
  done
  return 1
}
echo
echo "  kubectl get featurerollout -n $NS -w   (NAME PHASE STEP PERCENT STATE GATES)"
if [[ ${FRO_DEMO_NO_FAULT:-0} == 1 ]]; then
  watch_until '{.status.state}' Succeeded 300 || die "the rollout did not succeed in time; see kubectl describe fr -n $NS $FR"
else
  watch_until '{.status.phase}' advanced 300 || die "the rollout did not reach phase advanced in time; see kubectl describe fr -n $NS $FR"
  echo
  log "phase advanced runs at 10%: injecting errors into the AI feature's code path (every user who has $FAULT_FLAG fails)"
  curl -fs -X POST "http://127.0.0.1:$control_port/faults?flag=$FAULT_FLAG&errorRate=1" >/dev/null
  watch_until '{.status.state}' RolledBack 120 || die "the gate did not trip in time; see kubectl describe fr -n $NS $FR"
fi
echo
log "kubectl describe featurerollout -n $NS $FR"
kubectl -n $NS describe featurerollout $FR | sed -n '/^Status:/,$p'
echo
log "flag values now in ConfigMap $FR-flags:"
kubectl -n $NS get configmap $FR-flags -o json | jq -r '.data | to_entries[] | select(.key | endswith("_PERCENT")) | "  \(.key) = \(.value)"'
cat <<EOF

The demo keeps running. Look around:
  eval "\$(hack/cluster.sh env)"; export PATH=$BUILD/bin:\$PATH
  kubectl featurerollout status -n $NS $FR            # the plugin's view
  kubectl describe featurerollout -n $NS $FR
  curl -X DELETE "http://127.0.0.1:$control_port/faults"   # clear the fault, then:
  kubectl featurerollout retry -n $NS $FR             # the gates must pass at the rolled-back values
                                                      # first (refused while the errors are still in
                                                      # the 20 s rate window), then the phase runs again
  Prometheus: $PROMETHEUS_URL   operator log: $DEMO_DIR/operator.log
Stop it with:  bash hack/demo.sh down
EOF
