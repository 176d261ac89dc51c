#!/usr/bin/env bash
# Scale benchmark (issue 18), one run on the running local control plane: the API server's own
# write limit, then N Deployments and N three-step FeatureRollouts created before the operator
# starts; cold-sync time, writes (ours against the limit), CPU and memory; writes at rest; the
# reaction to spec edits; restart to ready. Prints a table and one JSON line. A benchmark: it
# never fails on time, only when something does not come up or a bound passes.
#
#   hack/bench/scale.sh N [--mode file|env]
#       --mode file            spec.delivery.file.enabled true, env.restartOn Never (default)
#       --mode env             file disabled, env.restartOn BooleanChange (the CRD default)
#       [--edits E]            spec edits for the reaction figure (default 200)
#       [--edit-interval-ms M] between edits (default 50)
#       [--write-count W]      ConfigMap creates of the write-limit figure (default 20000)
#       [--write-clients C]    parallel clients of the write-limit figure (default 16)
#       [--write-sequential S] creates of the one sequential client (default 2000)
#       [--rest-seconds R]     at-rest window after all Succeeded (default 60)
#       [--restart-window T]   writes counted after the restart (default 30)
#       [--allowance D]        spec.delivery.propagation.allowance (default 0s: kwok pods read no files)
#       [--pause D]            pause of the 10% and 50% steps (default 1s)
#       [--operator PATH]      operator binary (default $FRO_BUILD_DIR/bin/feature-rollout-operator)
#       [--bench-bin DIR]      where bench_ApiWriteLimit and bench_Reaction are (default $FRO_BUILD_DIR/bin)
#       [--timeout S]          bound on operator start -> all Succeeded, and on each later wait (default 1800)
#       [--settle-timeout S]   bound on the Deployments becoming available before the start (default 900)
#       [--delete-timeout S]   bound on deleting the namespace afterwards (default 600)
#       [--perf-record FILE]   perf record -g the operator from its start to all Succeeded (FILE: perf.data)
#       [--perf-call-graph M]  perf's --call-graph mode: fp (default, as -g) or dwarf (8 KiB of stack)
#       [--perf-freq HZ]       sampling frequency (default 499 with fp, 99 with dwarf)
#       [--keep-namespace]     leave the namespace and its objects in place
#       [-- OPERATOR-ARGS...]  extra operator flags (e.g. --kube-qps 2000)
#
# Uses the local control plane of FRO_CLUSTER_DIR (hack/bench.sh scale starts it when it is not
# running). Deployments, kwok node and rollouts are made the way hack/bench/cold-start.sh makes them
# (its cold_start.py); the operator runs with --leader-elect=false --watch-namespaces <ns>, metrics
# and probes on free loopback ports, default flags otherwise. Work files (operator logs, metric
# snapshots, the programs' outputs) stay in the work directory printed at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
cold="python3 $here/cold_start.py"
sc="python3 $here/scale.py"
BUILD=${FRO_BUILD_DIR:-$FRO_ROOT/build}

count=
mode=file
edits=200
edit_interval=50
write_count=20000
write_clients=16
write_sequential=2000
rest_seconds=60
restart_window=30
allowance=0s
pause=1s
operator=$BUILD/bin/feature-rollout-operator
bench_bin=$BUILD/bin
timeout=1800
settle_timeout=900
delete_timeout=600
perf_file=
perf_cg=fp
perf_freq=
keep_ns=0
op_args=()
usage() { sed -n '8,29p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while (($#)); do
  case $1 in
    --mode) mode=$2; shift 2 ;;
    --edits) edits=$2; shift 2 ;;
    --edit-interval-ms) edit_interval=$2; shift 2 ;;
    --write-count) write_count=$2; shift 2 ;;
    --write-clients) write_clients=$2; shift 2 ;;
    --write-sequential) write_sequential=$2; shift 2 ;;
    --rest-seconds) rest_seconds=$2; shift 2 ;;
    --restart-window) restart_window=$2; shift 2 ;;
    --allowance) allowance=$2; shift 2 ;;
    --pause) pause=$2; shift 2 ;;
    --operator) operator=$2; shift 2 ;;
    --bench-bin) bench_bin=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --settle-timeout) settle_timeout=$2; shift 2 ;;
    --delete-timeout) delete_timeout=$2; shift 2 ;;
    --perf-record) perf_file=$2; shift 2 ;;
    --perf-call-graph) perf_cg=$2; shift 2 ;;
    --perf-freq) perf_freq=$2; shift 2 ;;
    --keep-namespace) keep_ns=1; shift ;;
    --) shift; op_args=("$@"); break ;;
    -h|--help) usage ;;
    -*) echo "unknown argument: $1" >&2; usage ;;
    *) [[ -z $count ]] || { echo "one N only (got $count and $1)" >&2; usage; }; count=$1; shift ;;
  esac
done
[[ $count =~ ^[0-9]+$ && $count -ge 1 ]] || { echo "N (>= 1) is required" >&2; usage; }
case $mode in
  file) file=true restart_on=Never ;;
  env) file=false restart_on=BooleanChange ;;
  *) die "--mode file|env" ;;
esac
for v in edits edit_interval write_count write_clients write_sequential rest_seconds restart_window timeout \
    settle_timeout delete_timeout; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "--${v//_/-} takes a whole number"
done
[[ $perf_cg =~ ^(fp|dwarf)$ ]] || die "--perf-call-graph fp|dwarf"
[[ -x $operator ]] || die "no operator binary at $operator (build it, or give --operator PATH)"
for b in bench_ApiWriteLimit bench_Reaction; do
  [[ -x $bench_bin/$b ]] || die "no $bench_bin/$b (cmake --build $BUILD --target $b, or give --bench-bin DIR)"
done
[[ -z $perf_file ]] || command -v perf >/dev/null || die "--perf-record needs perf on the PATH"

"$FRO_ROOT/hack/cluster.sh" status >/dev/null 2>&1 \
  || die "the local control plane of FRO_CLUSTER_DIR=${FRO_CLUSTER_DIR:-<default>} is not running (hack/cluster.sh up)"
eval "$("$FRO_ROOT/hack/cluster.sh" env)"
kubectl version >/dev/null 2>&1 || die "kubectl cannot reach the API server ($KUBECONFIG)"

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }
stamp=$(date +%H%M%S)-$$
ns=fro-scale-$stamp
wl_ns=fro-write-limit-$stamp
work=$(mktemp -d "${TMPDIR:-/tmp}/fro-scale.XXXXXX")
op_pid=
perf_pid=
ns_created=0
node_created=0
node=$ns-node
metrics_port=
health_port=
runs=0
stop_s=

# Starts the operator (a new log and new ports each time); sets op_pid, metrics_port, health_port.
start_operator() {
  runs=$((runs + 1))
  metrics_port=$($cold free-port)
  health_port=$($cold free-port)
  [[ $health_port != "$metrics_port" ]] || health_port=$($cold free-port)
  log "starting $operator (run $runs; metrics 127.0.0.1:$metrics_port, probes 127.0.0.1:$health_port)"
  "$operator" --leader-elect=false --watch-namespaces "$ns" \
    --metrics-bind-address "127.0.0.1:$metrics_port" --health-probe-bind-address "127.0.0.1:$health_port" \
    ${op_args[@]+"${op_args[@]}"} >"$work/operator-$runs.log" 2>&1 &
  op_pid=$!
}

stop_perf() {
  [[ -n $perf_pid ]] || return 0
  kill -INT "$perf_pid" 2>/dev/null || true
  for _ in $(seq 1 120); do kill -0 "$perf_pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$perf_pid" 2>/dev/null && kill -KILL "$perf_pid" 2>/dev/null
  wait "$perf_pid" 2>/dev/null || true
  perf_pid=
}

# SIGTERM, bounded (35 s, then SIGKILL); prints how long the exit took.
stop_operator() {
  [[ -n $op_pid ]] || return 0
  local t0; t0=$(now)
  if kill -0 "$op_pid" 2>/dev/null; then
    kill -TERM "$op_pid" 2>/dev/null || true
    for _ in $(seq 1 350); do kill -0 "$op_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$op_pid" 2>/dev/null; then
      log "operator (pid $op_pid) still running 35 s after SIGTERM: SIGKILL"
      kill -KILL "$op_pid" 2>/dev/null || true
    fi
  fi
  wait "$op_pid" 2>/dev/null || true
  op_pid=
  stop_s=$(printf '%.2f' "$(calc "$(now) - $t0")")
}

# Unlike cold-start.sh, the operator is stopped first: its finalizer cleanup in a terminating
# namespace crawls (each rollout's Event is refused with 403, the reconcile backs off: about 10
# rollouts a minute at 1,000), and the benchmark has measured what it came for. The rollouts then
# lose the finalizer by a patch and the namespace goes with everything in it.
delete_namespace() {
  ((ns_created)) || return 0
  ns_created=0
  stop_operator
  if ((keep_ns)); then log "keeping namespace $ns"; return 0; fi
  log "deleting namespace $ns (bounded: ${delete_timeout}s)"
  kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  local deadline=$(( $(date +%s) + delete_timeout )) left
  left=$(kubectl get featurerollouts -n "$ns" -o name 2>/dev/null || true)
  if [[ -n $left ]]; then
    log "removing the finalizer of $(wc -l <<<"$left") rollouts (no operator runs)"
    xargs -r -P 4 -n 50 kubectl patch -n "$ns" --type=merge -p '{"metadata":{"finalizers":null}}' \
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
  stop_perf || true
  delete_namespace || true
  stop_operator || true
  # The write-limit program deletes its namespace itself; this is for an interrupted run.
  kubectl delete namespace "$wl_ns" --wait=false --ignore-not-found >/dev/null 2>&1 || true
  if ((node_created && !keep_ns)); then kubectl delete node "$node" --wait=false >/dev/null 2>&1 || true; fi
  log "work directory (operator logs, metric snapshots, outputs): $work"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# Waits (bounded by --timeout) until all N rollouts are Succeeded; sets succeeded_at.
wait_all_succeeded() {  # what-for since-epoch
  local what=$1 since=$2 last_report succeeded seen states t
  last_report=$(date +%s)
  while :; do
    kill -0 "$op_pid" 2>/dev/null || { tail -n 20 "$work/operator-$runs.log" >&2; die "the operator exited during $what (log: $work/operator-$runs.log)"; }
    read -r succeeded seen states < <(kubectl get featurerollouts -n "$ns" \
        -o jsonpath='{range .items[*]}{.status.state}{"\n"}{end}' 2>/dev/null | $cold states) || true
    t=$(now)
    [[ ${succeeded:-0} == "$count" ]] && { succeeded_at=$t; return 0; }
    if (( $(date +%s) - last_report >= 30 )); then
      log "$what: $(printf '%.0f' "$(calc "$t - $since")") s: ${succeeded:-0}/$count Succeeded (${states:--})"
      last_report=$(date +%s)
    fi
    if awk "BEGIN { exit !($t > $since + $timeout) }"; then
      die "TIMEOUT ($what): ${succeeded:-0} of $count rollouts Succeeded after ${timeout}s (states: ${states:--}); log: $work/operator-$runs.log"
    fi
    sleep 1
  done
}

scrape_op() { curl -fsS --max-time 10 "http://127.0.0.1:$metrics_port/metrics" >"$1" 2>/dev/null || log "WARNING: could not scrape the operator's /metrics"; }
scrape_api() { kubectl get --raw /metrics >"$1" || die "could not read the API server's /metrics"; }

title="$count rollouts x 3 steps, mode $mode (file=$file env.restartOn=$restart_on), allowance=$allowance pause=$pause${op_args[*]:+, operator args: ${op_args[*]}}"
log "scale: $title; namespace $ns; work dir $work"

# 1. The API server's own limit, on a server with nothing else of ours in it yet.
log "write limit: $write_count ConfigMap creates from $write_clients clients, then $write_sequential from one (namespace $wl_ns)"
"$bench_bin/bench_ApiWriteLimit" --count "$write_count" --clients "$write_clients" --sequential "$write_sequential" \
  --namespace "$wl_ns" --cleanup-timeout "$delete_timeout" >"$work/write-limit.txt" 2>"$work/write-limit.err" \
  || { cat "$work/write-limit.txt" "$work/write-limit.err" >&2; die "bench_ApiWriteLimit failed"; }
grep -v '^JSON ' "$work/write-limit.txt" | sed 's/^/  /' >&2

# 2. Deployments and rollouts, before the operator.
kubectl apply --server-side --force-conflicts -f "$FRO_ROOT/crds/featurerollouts.rollouts.featureflags.dev.yaml" >/dev/null \
  || die "could not install the CRD"
kubectl wait --for condition=established --timeout=60s crd/featurerollouts.rollouts.featureflags.dev >/dev/null \
  || die "the CRD did not become established"
kubectl create namespace "$ns" >/dev/null || die "could not create namespace $ns"
ns_created=1

# A kwok node of our own, as cold-start.sh makes it: room for every pod and the surge pods.
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

create_all() {  # kind
  local kind=$1 shards=4 i pids=() failed=0
  ((count < 40)) && shards=1
  for ((i = 0; i < shards; i++)); do
    $cold manifest --kind "$kind" --ns "$ns" --node "$node" --count "$count" --restart-on "$restart_on" --file "$file" \
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
  ready=$(kubectl get deployments -n "$ns" -o json | $cold deploy-ready "$count" || true)
  [[ $ready == "$count" ]] && break
  (( $(date +%s) < deadline )) || die "only $ready of $count Deployments became available within ${settle_timeout}s"
  sleep 3
done
t1=$(now)
create_all rollouts
log "Deployments available; created $count FeatureRollouts in $(printf '%.1f' "$(calc "$(now) - $t1")") s"
sleep 2  # the quiet point: kube-controller-manager is done with the Deployments' own creation
scrape_api "$work/api-before.txt"

# 3. Cold sync.
start=$(now)
start_operator
if [[ -n $perf_file ]]; then
  # No frame pointers in the RelWithDebInfo build: dwarf unwinding gives the real call paths.
  if [[ $perf_cg == dwarf ]]; then cg=(--call-graph dwarf,8192) freq=${perf_freq:-99}; else cg=(-g) freq=${perf_freq:-499}; fi
  perf record "${cg[@]}" -F "$freq" -p "$op_pid" -o "$perf_file" >"$work/perf.log" 2>&1 &
  perf_pid=$!
  log "perf record (${cg[*]}, $freq Hz) of pid $op_pid into $perf_file"
fi
wait_all_succeeded "cold sync" "$start"
end=$succeeded_at
elapsed=$(printf '%.1f' "$(calc "$end - $start")")
proc_cold=$($cold proc "$op_pid")
stop_perf
scrape_op "$work/op-cold.txt"
scrape_api "$work/api-cold.txt"
kubectl get events -n "$ns" -o jsonpath='{range .items[*]}{.reportingComponent}{"|"}{.source.component}{"\n"}{end}' \
  >"$work/events.txt" 2>/dev/null || true
log "all $count Succeeded after $elapsed s; operator writes so far: $($sc opwrites "$work/op-cold.txt")"

# 4. At rest.
log "at rest: ${rest_seconds} s"
sleep "$rest_seconds"
proc_rest=$($cold proc "$op_pid")
scrape_op "$work/op-rest.txt"
scrape_api "$work/api-rest.txt"

# 5. Reaction to spec edits.
log "reaction: $edits edits ${edit_interval} ms apart"
rx_rc=0
"$bench_bin/bench_Reaction" --namespace "$ns" --count "$edits" --interval-ms "$edit_interval" --timeout "$timeout" \
  >"$work/reaction.txt" 2>"$work/reaction.err" || rx_rc=$?
cat "$work/reaction.err" >&2
grep -v '^JSON ' "$work/reaction.txt" | sed 's/^/  /' >&2
grep -q '^JSON ' "$work/reaction.txt" || die "bench_Reaction printed no figures (exit $rx_rc)"
((rx_rc == 0)) || log "WARNING: bench_Reaction exited $rx_rc (not every edit was seen, or some failed)"
rx_end=$(now)
wait_all_succeeded "after the edits" "$rx_end"
resettle=$(printf '%.1f' "$(calc "$succeeded_at - $rx_end")")
sleep 2
proc_reaction=$($cold proc "$op_pid")
scrape_op "$work/op-reaction.txt"

# 6. Restart to ready.
scrape_api "$work/api-restart-before.txt"
stop_operator
log "operator stopped ${stop_s} s after SIGTERM"
rs_start=$(now)
start_operator
ready_s=$($sc wait-ready --url "http://127.0.0.1:$health_port/readyz" --since "$rs_start" --timeout "$timeout") \
  || { tail -n 20 "$work/operator-$runs.log" >&2; die "the restarted operator's /readyz did not answer 200 within ${timeout}s"; }
log "restarted: /readyz 200 after $ready_s s; counting writes for ${restart_window} s"
sleep "$(calc "$rs_start + $restart_window - $(now)" | awk '{ print ($1 > 0) ? $1 : 0 }')"
scrape_op "$work/op-restart.txt"
scrape_api "$work/api-restart-after.txt"
kill -0 "$op_pid" 2>/dev/null || die "the restarted operator exited (log: $work/operator-$runs.log)"

$sc report --count "$count" --title "$title" --mode "$mode" --write-limit "$work/write-limit.txt" \
  --elapsed "$elapsed" --api-before "$work/api-before.txt" --api-cold "$work/api-cold.txt" \
  --op-cold "$work/op-cold.txt" --events "$work/events.txt" --proc-cold "$proc_cold" \
  --rest-seconds "$rest_seconds" --api-rest "$work/api-rest.txt" --op-rest "$work/op-rest.txt" --proc-rest "$proc_rest" \
  --reaction "$work/reaction.txt" --op-reaction "$work/op-reaction.txt" --proc-reaction "$proc_reaction" \
  --resettle "$resettle" --stop-s "$stop_s" --ready-s "$ready_s" --restart-window "$restart_window" \
  --op-restart "$work/op-restart.txt" --api-restart-before "$work/api-restart-before.txt" \
  --api-restart-after "$work/api-restart-after.txt"

delete_namespace
