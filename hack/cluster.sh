#!/usr/bin/env bash
# Local control plane on loopback: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
# kwok (fake nodes) and Prometheus, each started and stopped by pid.
#   hack/cluster.sh up      start (idempotent); waits for /readyz and the default ServiceAccount
#   hack/cluster.sh down    stop exactly the processes `up` started, remove nothing else
#   hack/cluster.sh status  what runs, on which ports
#   hack/cluster.sh env     shell exports: KUBECONFIG, PROMETHEUS_URL, PROMETHEUS_TARGETS_DIR, PATH
#   hack/cluster.sh restart COMPONENT   stop one component and start it again (fault tests)
#   hack/cluster.sh stop COMPONENT      stop one component; `up` starts it again (fault tests)
# FRO_CLUSTER_DIR picks the state directory (default .local/cluster in the checkout), so two
# checkouts or two names never collide. Ports are picked free at `up` unless set:
# FRO_ETCD_PORT FRO_ETCD_PEER_PORT FRO_APISERVER_PORT FRO_PROMETHEUS_PORT FRO_KWOK_PORT.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/versions.sh"

DIR=${FRO_CLUSTER_DIR:-$FRO_ROOT/.local/cluster}
PKI=$DIR/pki RUN=$DIR/run LOGS=$DIR/logs
KUBE_BIN=$FRO_CACHE/bin/kubernetes-$K8S_VERSION
ETCD_BIN=$FRO_CACHE/bin/etcd-$ETCD_VERSION/etcd
KWOK_BIN=$FRO_CACHE/bin/kwok-$KWOK_VERSION/kwok
HELM_BIN=$FRO_CACHE/bin/helm-$HELM_VERSION/helm
KUBECONFIG_FILE=$DIR/kubeconfig
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok prometheus)

pidfile() { echo "$RUN/$1.pid"; }
# A pid is ours only if it is alive and still runs the binary we started (pids get reused).
is_running() {
  local pf; pf=$(pidfile "$1")
  [[ -f $pf ]] || return 1
  local pid exe; pid=$(<"$pf")
  kill -0 "$pid" 2>/dev/null || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  [[ -z $exe || $exe == *"$(<"$pf.exe")"* ]]
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

choose_ports() {
  if [[ -f $DIR/ports.env ]]; then . "$DIR/ports.env"; return; fi
  local name var val
  for name in ETCD ETCD_PEER APISERVER PROMETHEUS KWOK; do
    var=FRO_${name}_PORT val=${!var:-}
    if [[ -n $val ]]; then
      port_in_use "$val" && die "port $val ($var) is already in use on 127.0.0.1"
    else
      val=$(free_port)
    fi
    printf '%s_PORT=%s\n' "$name" "$val" >>"$DIR/ports.env.tmp"
  done
  mv "$DIR/ports.env.tmp" "$DIR/ports.env"
  . "$DIR/ports.env"
}

# start NAME BINARY ARGS...: runs in the background with its own log, records pid and binary.
start() {
  local name=$1 bin=$2; shift 2
  if is_running "$name"; then return; fi
  [[ -x $bin ]] || die "$name binary not found at $bin (run hack/build-tools.sh)"
  setsid "$bin" "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$name")"
  echo "$bin" >"$(pidfile "$name").exe"
  log "started $name (pid $!, log $LOGS/$name.log)"
}

stop() {
  local name=$1 pf; pf=$(pidfile "$1")
  [[ -f $pf ]] || return 0
  local pid; pid=$(<"$pf")
  if is_running "$name"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  log "stopped $name (pid $pid)"
  rm -f "$pf" "$pf.exe"
}

wait_for() { # description, seconds, component-to-check, command...
  local what=$1 secs=$2 comp=$3; shift 3
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [[ -n $comp ]] && ! is_running "$comp"; then
      die "$comp exited while waiting for $what; last log lines:
$(tail -n 15 "$LOGS/$comp.log" 2>/dev/null)"
    fi
    ((SECONDS < deadline)) || die "timed out after ${secs}s waiting for $what (logs: $LOGS)"
    sleep 0.2
  done
}

gen_pki() {
  [[ -f $PKI/done ]] && return
  mkdir -p "$PKI"
  log "generating CA, serving and client certificates, service-account keys in $PKI"
  (
    cd "$PKI"
    exec 2>"$LOGS/pki.log"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=fro-local-ca" >/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" >/dev/null
    printf 'subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.0.0.1\nextendedKeyUsage=serverAuth\n' >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 3650 -extfile apiserver.ext >/dev/null
    client() { # file, CN, O
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2${3:+/O=$3}" >/dev/null
      printf 'extendedKeyUsage=clientAuth\n' >client.ext
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 3650 -extfile client.ext >/dev/null
    }
    client admin admin system:masters
    client controller-manager system:kube-controller-manager
    client scheduler system:kube-scheduler
    client kwok kwok system:masters
    openssl genrsa -out sa.key 2048 >/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub >/dev/null
    rm -f ./*.csr ./*.ext
  ) || die "certificate generation failed (log: $LOGS/pki.log)"
  touch "$PKI/done"
}

write_kubeconfig() { # file, client-name, user
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: fro-local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: $3
  user:
    client-certificate: $PKI/$2.crt
    client-key: $PKI/$2.key
contexts:
- name: fro-local
  context: {cluster: fro-local, user: $3, namespace: default}
current-context: fro-local
KC
}

write_prometheus_config() {
  mkdir -p "$DIR/prometheus/targets" "$DIR/prometheus/data"
  # Tests add loopback scrape targets by dropping file_sd JSON files into targets/.
  cat >"$DIR/prometheus/prometheus.yml" <<PY
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ["127.0.0.1:$PROMETHEUS_PORT"]}]
  - job_name: kube-apiserver
    scheme: https
    tls_config: {ca_file: $PKI/ca.crt, cert_file: $PKI/admin.crt, key_file: $PKI/admin.key}
    static_configs: [{targets: ["127.0.0.1:$APISERVER_PORT"]}]
  - job_name: loopback
    file_sd_configs:
      - files: ["$DIR/prometheus/targets/*.json", "$DIR/prometheus/targets/*.yaml"]
        refresh_interval: 1s
PY
}

kc() { "$KUBE_BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

cmd_up() {
  mkdir -p "$DIR" "$RUN" "$LOGS"
  "$here/build-tools.sh" all
  command -v prometheus >/dev/null || die "prometheus not found (run hack/install-deps.sh)"
  # A half-started control plane is torn down, never left running.
  trap 'rc=$?; if ((rc)); then log "up failed; stopping what was started"; cmd_down; fi' EXIT
  local c any=0
  for c in "${COMPONENTS[@]}"; do is_running "$c" && any=1; done
  # Nothing of ours runs (a previous session ended without `down`): start clean on fresh ports.
  ((any)) || rm -rf "$DIR/ports.env" "$DIR/etcd" "$DIR/prometheus/data" "$RUN"/*
  choose_ports
  gen_pki
  write_kubeconfig "$KUBECONFIG_FILE" admin admin
  write_kubeconfig "$DIR/controller-manager.kubeconfig" controller-manager system:kube-controller-manager
  write_kubeconfig "$DIR/scheduler.kubeconfig" scheduler system:kube-scheduler
  write_kubeconfig "$DIR/kwok.kubeconfig" kwok kwok

  start etcd "$ETCD_BIN" --name fro-local --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "fro-local=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync --quota-backend-bytes 4294967296 --log-level warn
  wait_for "etcd health" 30 etcd curl -sf "http://127.0.0.1:$ETCD_PORT/health"

  start kube-apiserver "$KUBE_BIN/kube-apiserver" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 --authorization-mode RBAC \
    --allow-privileged=true --enable-priority-and-fairness=false \
    --cert-dir "$DIR/apiserver-certs" --v 1
  wait_for "kube-apiserver /readyz" 90 kube-apiserver \
    curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$APISERVER_PORT/readyz"

  start kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig "$DIR/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$DIR/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$DIR/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 0 \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --use-service-account-credentials=true --leader-elect=false \
    --controllers '*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service,-route,-persistentvolume-binder,-attachdetach' \
    --concurrent-deployment-syncs 10 --concurrent-replicaset-syncs 10 --v 1
  start kube-scheduler "$KUBE_BIN/kube-scheduler" \
    --kubeconfig "$DIR/scheduler.kubeconfig" \
    --authentication-kubeconfig "$DIR/scheduler.kubeconfig" \
    --authorization-kubeconfig "$DIR/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false --v 1
  start kwok "$KWOK_BIN" --kubeconfig "$DIR/kwok.kubeconfig" --config "$(dirname "$KWOK_BIN")/stages.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --cidr 10.0.0.1/24 --node-ip 10.0.0.1 --server-address "127.0.0.1:$KWOK_PORT"

  write_prometheus_config
  start prometheus "$(command -v prometheus)" --config.file "$DIR/prometheus/prometheus.yml" \
    --storage.tsdb.path "$DIR/prometheus/data" --web.listen-address "127.0.0.1:$PROMETHEUS_PORT" \
    --web.enable-lifecycle --storage.tsdb.retention.time 2h --log.level warn

  wait_for "default ServiceAccount" 90 kube-controller-manager kc get serviceaccount default -n default
  kc apply -f - >/dev/null <<NODE
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {type: kwok, kubernetes.io/hostname: kwok-node-0, kubernetes.io/os: linux, kubernetes.io/arch: amd64}
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "1000"}
  capacity: {cpu: "64", memory: 256Gi, pods: "1000"}
NODE
  # Admission taints new nodes not-ready; the node lifecycle controller (off here: kwok nodes have
  # no kubelet) would lift it, so we do.
  kc taint node kwok-node-0 node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
  wait_for "kwok node Ready" 60 kwok sh -c "'$KUBE_BIN/kubectl' --kubeconfig '$KUBECONFIG_FILE' get node kwok-node-0 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"
  wait_for "Prometheus ready" 60 prometheus curl -sf "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"
  trap - EXIT
  log "control plane up: apiserver https://127.0.0.1:$APISERVER_PORT, prometheus http://127.0.0.1:$PROMETHEUS_PORT"
  log "use it with: eval \"\$($0 env)\""
}

cmd_down() {
  local i c
  # Signal everything first, then reap: components stop in parallel, not one after another.
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    c=${COMPONENTS[i]}
    is_running "$c" && kill -TERM "$(<"$(pidfile "$c")")" 2>/dev/null || true
  done
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop "${COMPONENTS[i]}"; done
  # Data is disposable; ports are re-picked next time. PKI and logs stay for inspection.
  rm -rf "$DIR/etcd" "$DIR/prometheus/data" "$DIR/ports.env"
}

cmd_status() {
  [[ -f $DIR/ports.env ]] && . "$DIR/ports.env"
  local c any=0
  for c in "${COMPONENTS[@]}"; do
    if is_running "$c"; then printf '%-24s running (pid %s)\n' "$c" "$(<"$(pidfile "$c")")"; any=1
    else printf '%-24s stopped\n' "$c"; fi
  done
  if ((any)); then
    printf 'apiserver   https://127.0.0.1:%s\nprometheus  http://127.0.0.1:%s\nkubeconfig  %s\n' \
      "${APISERVER_PORT:-?}" "${PROMETHEUS_PORT:-?}" "$KUBECONFIG_FILE"
  fi
  ((any))
}

cmd_env() {
  [[ -f $DIR/ports.env ]] || die "control plane not up (run $0 up)"
  . "$DIR/ports.env"
  cat <<ENV
export KUBECONFIG=$KUBECONFIG_FILE
export PROMETHEUS_URL=http://127.0.0.1:$PROMETHEUS_PORT
export PROMETHEUS_TARGETS_DIR=$DIR/prometheus/targets
export FRO_CLUSTER_DIR=$DIR
export FRO_APISERVER_URL=https://127.0.0.1:$APISERVER_PORT
export PATH=$KUBE_BIN:$(dirname "$HELM_BIN"):$(dirname "$KWOK_BIN"):\$PATH
ENV
}

cmd_restart() {
  local c=${1:-}
  [[ " ${COMPONENTS[*]} " == *" $c "* ]] || die "unknown component '$c' (one of: ${COMPONENTS[*]})"
  [[ -f $DIR/ports.env ]] || die "control plane not up (run $0 up)"
  stop "$c"
  cmd_up
}

# Stops one component (fault tests: "Prometheus down"); `up` starts it again.
cmd_stop() {
  local c=${1:-}
  [[ " ${COMPONENTS[*]} " == *" $c "* ]] || die "unknown component '$c' (one of: ${COMPONENTS[*]})"
  [[ -f $DIR/ports.env ]] || die "control plane not up (run $0 up)"
  stop "$c"
}

case ${1:-} in
  up) cmd_up ;;
  stop) cmd_stop "${2:-}" ;;
  restart) cmd_restart "${2:-}" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 up|down|status|env|restart COMPONENT|stop COMPONENT" >&2; exit 2 ;;
esac
