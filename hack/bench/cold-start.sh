#!/usr/bin/env bash
# Cold start of N three-step FeatureRollouts (issue 12 / issue 18): every Deployment and rollout is
# created before the operator starts; prints how long the operator takes until all are Succeeded,
# the API writes it caused (by resource, ours and everyone's), the ReplicaSets created (restarts),
# its CPU seconds and peak RSS. A benchmark: it prints figures and never fails on time, only when
# something does not come up or --timeout passes.
#
#   hack/bench/cold-start.sh --count N --restart-on Never|BooleanChange|EveryChange
#       [--file true|false]     spec.delivery.file.enabled (default true)
#       [--allowance D]         spec.delivery.propagation.allowance (default: unset, the CRD's 90s)
#       [--pause D]             pause of the 10% and 50% steps (default 1s)
#       [--operator PATH]       operator binary (default build/bin/feature-rollout-operator)
#       [--timeout S]           bound on operator start -> all Succeeded (default 1500)
#       [--settle-timeout S]    bound on the Deployments becoming available before the start (default 900)
#       [--delete-timeout S]    bound on deleting the namespace afterwards (default 300)
#       [--keep-namespace]      leave the namespace and its objects in place
#       [-- OPERATOR-ARGS...]   extra operator flags (e.g. --kube-qps 2000)
#
# Uses the running local control plane of FRO_CLUSTER_DIR (hack/cluster.sh up first). Each
# Deployment (1 or 2 replicas, no real containers: kwok makes the pods Ready) gets its own rollout of
# one flag, 10% -> 50% -> 100%, no gates. The Deployments are waited for (available) before the
# first snapshot of the API server's counters, so their own creation is not counted. The operator
# runs with --leader-elect=false --watch-namespaces <ns>, otherwise default flags, kubeconfig from
# KUBECONFIG, metrics and probes on free loopback ports; its log is kept in the work directory
# (printed at the end). Events' writes are split ours/others by the Event objects whose
# reportingComponent is feature-rollout-operator; the operator's own request counter
# (fro_kube_requests_total) is printed beside as a cross-check.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
py="python3 $here/cold_start.py"

count=
restart_on=
file=true
allowance=
pause=1s
operator=$FRO_ROOT/build/bin/feature-rollout-operator
timeout=1500
settle_timeout=900
delete_timeout=300
keep_ns=0
op_args=()
usage() { sed -n '8,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while (($#)); do
  case $1 in
    --count) count=$2; shift 2 ;;
    --restart-on) restart_on=$2; shift 2 ;;
    --file) file=$2; shift 2 ;;
    --allowance) allowance=$2; shift 2 ;;
    --pause) pause=$2; shift 2 ;;
    --operator) operator=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --settle-timeout) settle_timeout=$2; shift 2 ;;
    --delete-timeout) delete_timeout=$2; shift 2 ;;
    --keep-namespace) keep_ns=1; shift ;;
    --) shift; op_args=("$@"); break ;;
    -h|--help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
[[ $count =~ ^[0-9]+$ && $count -ge 1 ]] || { echo "--count N (N >= 1) is required" >&2; usage; }
[[ $restart_on =~ ^(Never|BooleanChange|EveryChange)$ ]] || { echo "--restart-on Never|BooleanChange|EveryChange is required" >&2; usage; }
[[ $file =~ ^(true|false)$ ]] || die "--file must be true or false"
[[ $file == true || $restart_on != Never ]] || die "--file false with --restart-on Never delivers nothing (the CRD refuses it)"
[[ $timeout =~ ^[0-9]+$ ]] || die "--timeout takes whole seconds"
[[ -x $operator ]] || die "no operator binary at $operator (build it, or give --operator PATH)"

"$FRO_ROOT/hack/cluster.sh" status >/dev/null 2>&1 \
  || die "the local control plane of FRO_CLUSTER_DIR=${FRO_CLUSTER_DIR:-<default>} is not running (hack/cluster.sh up)"
eval "$("$FRO_ROOT/hack/cluster.sh" env)"
kubectl version >/dev/null 2>&1 || die "kubectl cannot reach the API server ($KUBECONFIG)"

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }
ns=fro-cold-$(date +%H%M%S)-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/fro-cold-start.XXXXXX")
op_pid=
ns_created=0
node_created=0
node=

stop_operator() {
  [[ -n $op_pid ]] || return 0
  if kill -0 "$op_pid" 2>/dev/null; then
    kill -TERM "$op_pid" 2>/dev/null || true
    for _ in $(seq 1 70); do kill -0 "$op_pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$op_pid" 2>/dev/null; then
      log "operator (pid $op_pid) still running 35 s after SIGTERM: SIGKILL"
      kill -KILL "$op_pid" 2>/dev/null || true
    fi
  fi
  wait "$op_pid" 2>/dev/null || true
  op_pid=
}

# Deletes the namespace. With the operator still running, its finalizer cleanup lets the rollouts
# go; whatever rollout is left once it is stopped loses the finalizer by a patch.
delete_namespace() {
  ((ns_created)) || return 0
  ns_created=0
  if ((keep_ns)); then log "keeping namespace $ns"; stop_operator; return 0; fi
  log "deleting namespace $ns (bounded: ${delete_timeout}s)"
  kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  local deadline=$(( $(date +%s) + delete_timeout )) left
  if [[ -n $op_pid ]] && kill -0 "$op_pid" 2>/dev/null; then
    while (( $(date +%s) < deadline )); do
      left=$(kubectl get featurerollouts -n "$ns" -o name 2>/dev/null | wc -l)
      ((left == 0)) && break
      sleep 2
    done
  fi
  stop_operator
  left=$(kubectl get featurerollouts -n "$ns" -o name 2>/dev/null || true)
  if [[ -n $left ]]; then
    log "$(wc -l <<<"$left") rollouts still hold the finalizer without an operator: removing it"
    xargs -r -P 8 -n 20 kubectl patch -n "$ns" --type=merge -p '{"metadata":{"finalizers":null}}' \
      <<<"$left" >/dev/null 2>&1 || true
  fi
  while (( $(date +%s) < deadline )); do
    kubectl get namespace "$ns" >/dev/null 2>&1 || { log "namespace $ns deleted"; return 0; }
    sleep 2
  done
  log "WARNING: namespace $ns still terminating after ${delete_timeout}s (it goes on in the background)"
}

on_exit() {
  local rc=$?
  trap - EXIT
  delete_namespace || true
  stop_operator || true
  if ((node_created && !keep_ns)); then kubectl delete node "$node" --wait=false >/dev/null 2>&1 || true; fi
  log "work directory (operator log, metric snapshots): $work"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

title="$count rollouts x 3 steps, delivery file=$file env.restartOn=$restart_on allowance=${allowance:-default(90s)} pause=$pause"
log "cold start: $title; namespace $ns; work dir $work"

kubectl apply --server-side --force-conflicts -f "$FRO_ROOT/crds/featurerollouts.rollouts.featureflags.dev.yaml" >/dev/null \
  || die "could not install the CRD"
kubectl wait --for condition=established --timeout=60s crd/featurerollouts.rollouts.featureflags.dev >/dev/null \
  || die "the CRD did not become established"
kubectl create namespace "$ns" >/dev/null || die "could not create namespace $ns"
ns_created=1

# A kwok node of our own, big enough for every pod plus the surge pods of rolling updates
# (hack/cluster.sh's kwok-node-0 takes 1,000 pods: 1,000 Deployments of 1-2 replicas fill it, and a
# full node leaves every restart waiting for a surge pod that never schedules). The Deployments
# are pinned to it with a nodeSelector; it is deleted at the end.
node=$ns-node
pods_cap=$(( count * 4 + 16 ))
kubectl create -f - >/dev/null <<NODE || die "could not create the kwok node $node"
apiVersion: v1
kind: Node
metadata:
  name: $node
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {type: kwok, kubernetes.io/hostname: $node, kubernetes.io/os: linux, kubernetes.io/arch: amd64}
status:
  allocatable: {cpu: "256", memory: 1Ti, pods: "$pods_cap"}
  capacity: {cpu: "256", memory: 1Ti, pods: "$pods_cap"}
NODE
node_created=1
kubectl taint node "$node" node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
for i in $(seq 1 60); do
  [[ $(kubectl get node "$node" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]] && break
  ((i < 60)) || die "the kwok node $node did not become Ready within 60 s (is kwok running?)"
  sleep 1
done
kubectl taint node "$node" node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true

# Create in 4 parallel kubectl clients (one multi-document stream each).
create_all() {  # kind
  local kind=$1 shards=4 i pids=() failed=0
  ((count < 40)) && shards=1
  for ((i = 0; i < shards; i++)); do
    $py manifest --kind "$kind" --ns "$ns" --node "$node" --count "$count" --restart-on "$restart_on" --file "$file" \
      --allowance "$allowance" --pause "$pause" --shard "$i" --shards "$shards" >"$work/$kind-$i.yaml"
    kubectl create -f "$work/$kind-$i.yaml" >"$work/create-$kind-$i.log" 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || failed=1; done
  ((failed == 0)) || { tail -n 5 "$work"/create-"$kind"-*.log >&2; die "creating $kind failed"; }
}
t0=$(now)
create_all deployments
log "created $count Deployments in $(printf '%.1f' "$(calc "$(now) - $t0")") s; waiting for them to be available (bounded: ${settle_timeout}s)"
deadline=$(( $(date +%s) + settle_timeout ))
while :; do
  ready=$(kubectl get deployments -n "$ns" -o json | $py deploy-ready "$count" || true)
  [[ $ready == "$count" ]] && break
  (( $(date +%s) < deadline )) || die "only $ready of $count Deployments became available within ${settle_timeout}s"
  sleep 3
done
t1=$(now)
create_all rollouts
log "Deployments available; created $count FeatureRollouts in $(printf '%.1f' "$(calc "$(now) - $t1")") s"

# The quiet point: kube-controller-manager is done with the Deployments' own creation.
sleep 2
kubectl get --raw /metrics >"$work/apiserver-before.txt" || die "could not read the API server's /metrics"

metrics_port=$($py free-port)
health_port=$($py free-port)
[[ $health_port != "$metrics_port" ]] || health_port=$($py free-port)
log "starting $operator (metrics 127.0.0.1:$metrics_port, probes 127.0.0.1:$health_port)"
start=$(now)
"$operator" --leader-elect=false --watch-namespaces "$ns" \
  --metrics-bind-address "127.0.0.1:$metrics_port" --health-probe-bind-address "127.0.0.1:$health_port" \
  ${op_args[@]+"${op_args[@]}"} >"$work/operator.log" 2>&1 &
op_pid=$!

up=0
for _ in $(seq 1 60); do
  kill -0 "$op_pid" 2>/dev/null || { tail -n 20 "$work/operator.log" >&2; die "the operator exited at start (log: $work/operator.log)"; }
  if curl -fsS -o /dev/null "http://127.0.0.1:$health_port/healthz" 2>/dev/null; then up=1; break; fi
  sleep 0.5
done
((up)) || die "the operator's /healthz did not answer within 30 s (log: $work/operator.log)"

deadline=$(calc "$start + $timeout")
last_report=0
while :; do
  kill -0 "$op_pid" 2>/dev/null || { tail -n 20 "$work/operator.log" >&2; die "the operator exited during the run (log: $work/operator.log)"; }
  read -r succeeded seen states < <(kubectl get featurerollouts -n "$ns" \
      -o jsonpath='{range .items[*]}{.status.state}{"\n"}{end}' 2>/dev/null | $py states) || true
  t=$(now)
  [[ ${succeeded:-0} == "$count" ]] && { end=$t; break; }
  elapsed=$(calc "$t - $start")
  if (( $(date +%s) - last_report >= 30 )); then
    log "$(printf '%.0f' "$elapsed") s: ${succeeded:-0}/$count Succeeded (${states:--})"
    last_report=$(date +%s)
  fi
  if awk "BEGIN { exit !($t > $deadline) }"; then
    echo "TIMEOUT: ${succeeded:-0} of $count rollouts Succeeded after ${timeout}s (states: ${states:--}); operator log: $work/operator.log" >&2
    exit 1
  fi
  sleep 2
done
elapsed=$(printf '%.1f' "$(calc "$end - $start")")
log "all $count Succeeded after $elapsed s"

procfig=$($py proc "$op_pid")
curl -fsS "http://127.0.0.1:$metrics_port/metrics" >"$work/operator-metrics.txt" 2>/dev/null \
  || log "WARNING: could not scrape the operator's /metrics"
sleep 1
kubectl get --raw /metrics >"$work/apiserver-after.txt" || die "could not read the API server's /metrics"
rs=$(kubectl get replicasets -n "$ns" -o name | wc -l)
kubectl get events -n "$ns" -o jsonpath='{range .items[*]}{.reportingComponent}{"|"}{.source.component}{"\n"}{end}' \
  >"$work/events.txt" 2>/dev/null || true

$py report --title "$title" --count "$count" --elapsed "$elapsed" --proc "$procfig" \
  --before "$work/apiserver-before.txt" --after "$work/apiserver-after.txt" \
  --operator-metrics "$work/operator-metrics.txt" --events "$work/events.txt" --replicasets "$rs" \
  --log "$work/operator.log"

delete_namespace
