#!/usr/bin/env bash
# The whole product in a few minutes, from a fresh machine (the README's first command):
#   - installs dependencies, builds the control plane (cached) and the project, installs the demo
#     app's npm dependencies (hack/install-demo-app.sh, cached),
#   - starts the local control plane with Prometheus (hack/cluster.sh) and the operator,
#   - applies the CRD and a FeatureRollout shaped like the shared unified-workflow plan (seconds
#     instead of days), gated on error rate and p95 latency, with file delivery,
#   - runs the demo app (demo/openfeature-app: synthetic users, every request evaluated through the
#     OpenFeature SDK's flagd provider on the mounted flag file) with the env the operator wrote
#     into deploy/shop's pod template, and hack/kubelet-mirror.py in kubelet's place (kwok runs
#     no containers) putting the ConfigMap where that env points,
#   - shows it advancing phase by phase, with deploy/shop's generation and the share of users the
#     app serves at each step, then injects errors into the AI feature at 10% of users and shows
#     the gate trip and the rollback, with the reason in `kubectl describe`.
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
APP=shop CONTAINER=shop       # the target workload and the container the app stands in for
USERS=10000  # the issue: the served share within 1.5 points of the percent needs about this many
MIRROR_DELAY=${FRO_DEMO_MIRROR_DELAY:-2}  # the kubelet stand-in's sync lag, seconds
POD_ROOT=$DEMO_DIR/pod-$APP   # the stand-in pod's filesystem: a mount path P is $POD_ROOT/P
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
  stop_pid demo-app openfeature-app/app.js
  stop_pid mirror kubelet-mirror.py
  stop_pid demo-service fro-demo-service  # an older demo's C++ service
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
node_path=$("$here/install-demo-app.sh")
log "building the operator and the kubectl plugin in $BUILD"
cmake -S "$FRO_ROOT" -B "$BUILD" -G Ninja >"$FRO_LOG_DIR/demo-cmake.log" 2>&1 || die "cmake failed (log: $FRO_LOG_DIR/demo-cmake.log)"
targets=(feature-rollout-operator)
if cmake --build "$BUILD" --target help 2>/dev/null | grep -q kubectl-featurerollout; then targets+=(kubectl-featurerollout); fi
cmake --build "$BUILD" -j "$(nproc)" --target "${targets[@]}" \
  >>"$FRO_LOG_DIR/demo-cmake.log" 2>&1 || die "build failed (log: $FRO_LOG_DIR/demo-cmake.log)"

if ! "$here/cluster.sh" status >/dev/null 2>&1; then touch "$DEMO_DIR/started-cluster"; fi
"$here/cluster.sh" up
eval "$("$here/cluster.sh" env)"
export PATH=$BUILD/bin:$PATH  # kubectl featurerollout ...

# A previous run's processes and rollout go first, so the demo always starts from the beginning.
# The rollout goes while its operator still runs: its finalizer takes the injection out of
# deploy/shop. Without an operator to do that, the finalizer is dropped (the demo re-applies
# shop.yaml anyway).
running_pid() {  # name pattern: is the process the demo recorded still running?
  local f=$DEMO_DIR/$1.pid
  [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null && grep -q "$2" "/proc/$(cat "$f")/cmdline" 2>/dev/null
}
if kubectl get crd featurerollouts.rollouts.featureflags.dev >/dev/null 2>&1 && \
   kubectl -n $NS get featurerollout $FR >/dev/null 2>&1; then
  if ! running_pid operator feature-rollout-operator ||
     ! kubectl -n $NS delete featurerollout $FR --wait=true --timeout=30s >/dev/null 2>&1; then
    log "no operator of this demo runs the previous FeatureRollout's finalizer: dropping it"
    kubectl -n $NS patch featurerollout $FR --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
    kubectl -n $NS delete featurerollout $FR --ignore-not-found --wait=true --timeout=30s >/dev/null
  fi
fi
stop_pid operator feature-rollout-operator
stop_pid demo-app openfeature-app/app.js
stop_pid mirror kubelet-mirror.py
stop_pid demo-service fro-demo-service
rm -rf "$POD_ROOT"
log "installing the CRD and the demo workload"
kubectl apply --server-side --field-manager=fro-demo -f "$FRO_ROOT/crds/featurerollouts.rollouts.featureflags.dev.yaml" >/dev/null
kubectl wait --for condition=established --timeout=30s crd/featurerollouts.rollouts.featureflags.dev >/dev/null
kubectl apply -f "$here/demo/shop.yaml" >/dev/null
kubectl -n $NS delete featurerollout $FR --ignore-not-found --wait=true >/dev/null
kubectl -n $NS rollout status deploy/shop --timeout=60s >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
metrics_port=$(free_port); control_port=$(free_port); op_metrics=$(free_port); op_probe=$(free_port)
targets_json() {  # the Prometheus file_sd targets: the app, and the operator once it runs
  local t='[{"targets":["127.0.0.1:'"$metrics_port"'"],"labels":{"job":"fro-demo"}}'
  [[ -n ${1:-} ]] && t+=',{"targets":["127.0.0.1:'"$1"'"],"labels":{"job":"feature-rollout-operator"}}'
  echo "$t]"
}
echo "$PROMETHEUS_TARGETS_DIR/fro-demo.json" >"$DEMO_DIR/targets-file"

log "starting the operator (metrics :$op_metrics, probes :$op_probe; log: $DEMO_DIR/operator.log)"
nohup "$BUILD/bin/feature-rollout-operator" --kubeconfig "$KUBECONFIG" --default-prometheus-address "$PROMETHEUS_URL" \
  --metrics-bind-address "127.0.0.1:$op_metrics" --health-probe-bind-address "127.0.0.1:$op_probe" --log-format text \
  >"$DEMO_DIR/operator.log" 2>&1 &
echo $! >"$DEMO_DIR/operator.pid"
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$op_probe/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$op_probe/readyz" >/dev/null || die "the operator did not become ready (log: $DEMO_DIR/operator.log)"
targets_json "$op_metrics" >"$PROMETHEUS_TARGETS_DIR/fro-demo.json"

log "applying the FeatureRollout (hack/demo/rollout.yaml): 3 phases, gates error-rate and latency-p95, file delivery"
# --validate=warn: an operator whose CRD has no spec.delivery yet (no file delivery) still runs the
# demo, with the fallback below; its warning is shown.
gen0=$(kubectl -n $NS get deploy $APP -o jsonpath='{.metadata.generation}')
kubectl apply --validate=warn -f "$here/demo/rollout.yaml" 2>&1 >/dev/null | sed 's/^/  kubectl: /' >&2

# The app runs with the env the operator wrote into deploy/shop's pod template, as a pod of it
# would: FLAGD_* from the container's env, the flag file under the ConfigMap volume's mountPath,
# which the mirror fills in $POD_ROOT<mountPath> while the template mounts it.
pod_env() {  # prints NAME=VALUE lines of the container's FLAGD_* env and MOUNT=<mountPath>
  kubectl -n $NS get deploy $APP -o json | jq -r --arg c $CONTAINER --arg cm "$FR-flags" '
    .spec.template.spec as $s
    | ($s.volumes // [] | map(select(.configMap.name == $cm)) | map(.name)) as $vols
    | $s.containers[] | select(.name == $c)
    | ((.env // [])[] | select(.name | startswith("FLAGD_")) | "\(.name)=\(.value)"),
      ((.volumeMounts // [])[] | select((.name as $n | $vols | index($n)) and (.subPath // "") == "") | "MOUNT=\(.mountPath)")'
}
app_env=() mount_path="" source_path="" mirror_args=()
if [[ -z $(kubectl -n $NS get featurerollout $FR -o jsonpath='{.spec.delivery}') ]]; then
  log "this operator's CRD pruned spec.delivery: no file delivery yet, so nothing is mounted into deploy/$APP"
else
  log "waiting for the operator to mount ConfigMap $FR-flags into deploy/$APP (file delivery)"
  for _ in $(seq 120); do
    env_lines=$(pod_env)
    grep -q '^FLAGD_OFFLINE_FLAG_SOURCE_PATH=' <<<"$env_lines" && grep -q '^MOUNT=' <<<"$env_lines" && break
    sleep 0.5
  done
  while IFS='=' read -r k v; do
    case $k in
      MOUNT) mount_path=$v ;;
      FLAGD_OFFLINE_FLAG_SOURCE_PATH) source_path=$v ;;
      FLAGD_*) app_env+=("$k=$v") ;;
    esac
  done < <(pod_env)
fi
if [[ -n $mount_path && -n $source_path ]]; then
  [[ $source_path == "$mount_path"/* ]] || die "deploy/$APP: FLAGD_OFFLINE_FLAG_SOURCE_PATH=$source_path is not under the ConfigMap's mountPath $mount_path"
  flag_dir=$POD_ROOT$mount_path
  app_env+=("FLAGD_OFFLINE_FLAG_SOURCE_PATH=$POD_ROOT$source_path")
  mirror_args=(--workload "Deployment/$APP" --container $CONTAINER)
  log "deploy/$APP's pod template (generation $(kubectl -n $NS get deploy $APP -o jsonpath='{.metadata.generation}')) mounts ConfigMap $FR-flags at $mount_path and sets $(pod_env | grep '^FLAGD_' | tr '\n' ' ')"
  log "the app runs with that env, the flag file path mapped to the mirror's copy of the mount: $flag_dir"
else
  flag_dir=$POD_ROOT/etc/feature-flags
  app_env=(FLAGD_RESOLVER=in-process "FLAGD_OFFLINE_FLAG_SOURCE_PATH=$flag_dir/flags.flagd.json")
  log "FALLBACK: deploy/$APP's pod template has no FLAGD_OFFLINE_FLAG_SOURCE_PATH and no mount of $FR-flags (the operator does not inject file delivery yet); mirroring the ConfigMap unconditionally into $flag_dir and running the app with ${app_env[*]}"
fi

log "starting the kubelet stand-in (hack/kubelet-mirror.py, ${MIRROR_DELAY} s delay; log: $DEMO_DIR/mirror.log)"
nohup python3 "$here/kubelet-mirror.py" --namespace $NS --configmap $FR-flags --dir "$flag_dir" --delay "$MIRROR_DELAY" \
  "${mirror_args[@]}" >"$DEMO_DIR/mirror.log" 2>&1 &
echo $! >"$DEMO_DIR/mirror.pid"
log "starting the demo app (OpenFeature SDK + flagd provider, in-process; metrics :$metrics_port, control :$control_port; log: $DEMO_DIR/demo-app.log)"
env "${app_env[@]}" NODE_PATH="$node_path" nohup node "$FRO_ROOT/demo/openfeature-app/app.js" --users $USERS --rate 100 \
  --metrics-address "127.0.0.1:$metrics_port" --control-address "127.0.0.1:$control_port" \
  >"$DEMO_DIR/demo-app.log" 2>&1 &
echo $! >"$DEMO_DIR/demo-app.pid"
targets_json "$op_metrics" >"$PROMETHEUS_TARGETS_DIR/fro-demo.json"
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$control_port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$control_port/healthz" >/dev/null || die "the demo app did not start (log: $DEMO_DIR/demo-app.log)"

# Live view: one line whenever the rollout's phase, step, percent, state or gates change; for the
# first flag of the running phase, one line when the app (through the OpenFeature SDK) serves the
# percent the ConfigMap now holds, with deploy/shop's generation; one line when the generation moves.
field() { kubectl -n $NS get featurerollout $FR -o jsonpath="$1" 2>/dev/null; }
phase_flag() { kubectl -n $NS get featurerollout $FR -o json | jq -r --arg p "$1" '.spec.phases[] | select(.name == $p) | .enable[0]'; }
cm_flag() {  # <flag>: "<percent> <revision or ->" as the ConfigMap's flag document declares it
  kubectl -n $NS get configmap $FR-flags -o json 2>/dev/null | jq -r --arg f "$1" '
    .data["flags.flagd.json"] // empty | fromjson
    | [(.flags[$f] // {state: "DISABLED"} | if .state == "DISABLED" then 0
        elif .targeting.fractional then ([.targeting.fractional[] | select(.[0] == "on") | .[1]] | add // 0)
        elif .defaultVariant == "on" then 100 else 0 end), (.metadata.revision // "-")] | "\(.[0]) \(.[1])"'
}
steps=()  # the summary: one row per percent step the app was seen serving
gen_last=$gen0 cm_key="" cm_seen_at=0 served_key="" last=""  # last: the rollout line last printed
watch_until() {  # watch_until <jsonpath> <value> <timeout seconds>
  local line deadline=$((SECONDS + $3)) phase flag cm pct rev gen users n total urev dpct ok now
  while ((SECONDS < deadline)); do
    line=$(kubectl -n $NS get featurerollout $FR --no-headers 2>/dev/null | awk '{$NF=""; print}')
    if [[ -n $line && $line != "$last" ]]; then
      printf '  %s  %s\n' "$(date +%H:%M:%S)" "$line"
      last=$line
    fi
    gen=$(kubectl -n $NS get deploy $APP -o jsonpath='{.metadata.generation}')
    if [[ -n $gen && $gen != "$gen_last" ]]; then
      printf '  %s      deploy/%s generation %s -> %s (its pod template changed: pods roll)\n' "$(date +%H:%M:%S)" $APP "$gen_last" "$gen"
      gen_last=$gen
    fi
    phase=$(field '{.status.phase}')
    flag=$([[ -n $phase ]] && phase_flag "$phase")
    cm=$([[ -n $flag ]] && cm_flag "$flag")
    if [[ -n $cm ]]; then
      read -r pct rev <<<"$cm"
      now=$(date +%s.%N)
      if [[ $flag/$pct/$rev != "$cm_key" ]]; then cm_key=$flag/$pct/$rev; cm_seen_at=$now; fi
      if [[ $cm_key != "$served_key" ]]; then
        users=$(curl -fs "http://127.0.0.1:$control_port/users?flag=$flag" 2>/dev/null || true)
        if [[ -n $users ]]; then
          read -r n total urev dpct <<<"$(jq -r '"\(.count) \(.total) \(.revision // "-") \(.declaredPercent // "-")"' <<<"$users")"
          # Served once the SDK answers from the ConfigMap's revision (or, for a document without
          # one, once the app has read the new percent from the file).
          if [[ $rev != - ]]; then ok=$([[ $urev == "$rev" ]] && echo 1); else ok=$([[ $dpct == "$pct" ]] && echo 1); fi
          if [[ -n $ok ]]; then
            local share lat
            share=$(awk -v n="$n" -v t="$total" 'BEGIN{printf "%.1f", 100*n/t}')
            lat=$(awk -v a="$cm_seen_at" -v b="$now" 'BEGIN{printf "%.1f", b-a}')
            printf '  %s      %s at %s%%: the app serves it to %s of %s users (%s%%), %s s after the ConfigMap write was seen; deploy/%s generation %s\n' \
              "$(date +%H:%M:%S)" "$flag" "$pct" "$n" "$total" "$share" "$lat" $APP "$gen"
            steps+=("$(printf '%-14s %-31s %5s%% %8s%% %9ss %10s' "$phase" "$flag" "$pct" "$share" "$lat" "$gen")")
            served_key=$cm_key
          fi
        fi
      fi
    fi
    if [[ $(field "$1") == "$2" ]]; then
      line=$(kubectl -n $NS get featurerollout $FR --no-headers 2>/dev/null | awk '{$NF=""; print}')
      [[ $line == "$last" ]] || printf '  %s  %s\n' "$(date +%H:%M:%S)" "$line"
      last=$line
      return 0
    fi
    sleep 0.5
  done
  return 1
}
print_steps() {
  echo
  log "each step as the app served it (deploy/$APP generation was $gen0 before the rollout):"
  printf '  %-14s %-31s %6s %9s %10s %10s\n' PHASE FLAG PERCENT SERVED LATENCY GENERATION
  local r
  for r in "${steps[@]}"; do echo "  $r"; done
}
echo
echo "  kubectl get featurerollout -n $NS -w   (NAME PHASE STEP PERCENT STATE GATES)"
echo "                and what the app serves (demo/openfeature-app, OpenFeature SDK, flagd provider on the mirrored file)"
if [[ ${FRO_DEMO_NO_FAULT:-0} == 1 ]]; then
  watch_until '{.status.state}' Succeeded 300 || die "the rollout did not succeed in time; see kubectl describe fr -n $NS $FR"
else
  watch_until '{.status.phase}' advanced 300 || die "the rollout did not reach phase advanced in time; see kubectl describe fr -n $NS $FR"
  echo
  log "phase advanced runs at 10%: injecting errors into the AI feature's code path (every user who has $FAULT_FLAG fails)"
  curl -fs -X POST "http://127.0.0.1:$control_port/faults?flag=$FAULT_FLAG&errorRate=1" >/dev/null
  watch_until '{.status.state}' RolledBack 120 || die "the gate did not trip in time; see kubectl describe fr -n $NS $FR"
fi
print_steps
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
  curl "http://127.0.0.1:$control_port/users?flag=$FAULT_FLAG"   # the users the app serves a flag to
  ls -la $flag_dir                # the kubelet stand-in's ConfigMap volume (..data swaps)
  Prometheus: $PROMETHEUS_URL   operator log: $DEMO_DIR/operator.log
  app log: $DEMO_DIR/demo-app.log   mirror log: $DEMO_DIR/mirror.log
Stop it with:  bash hack/demo.sh down
EOF
