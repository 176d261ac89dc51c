#!/usr/bin/env bash
# The Helm chart (charts/feature-rollout-operator).
#   chart_test.sh render    no cluster: the chart's CRD is a byte-identical copy of the root one;
#                           helm lint --strict is clean; helm template renders for each values set
#                           (defaults, watchNamespaces, ServiceMonitor + PrometheusRule,
#                           gates.readSecrets=false, leader election off) and check_render.py
#                           asserts the security context, probes, args and RBAC (no wildcard,
#                           exactly the golden verbs per resource: tests/chart/golden/rbac-*.txt,
#                           namespaced Roles, the Lease Role in the release namespace only); the
#                           alerts pass promtool check and promtool unit tests (alerts_test.yaml);
#                           values that cannot work are refused with a message; every value is
#                           in the chart README's values table with its default.
#   chart_test.sh install   against the local control plane: helm install into a fresh namespace
#                           that enforces the "restricted" Pod Security Standard, waits for the
#                           Deployment (kwok runs the pods), the CRD is Established, the
#                           ServiceAccount and RBAC exist; `kubectl auth can-i --as` the
#                           ServiceAccount for every granted verb (yes) and for verbs it must not
#                           have (no); a second release with watchNamespaces and
#                           gates.readSecrets=false is limited to its namespaces; ServiceAccounts
#                           bound to the standard view and edit roles can read (view) and change
#                           (edit) FeatureRollouts through the aggregated ClusterRoles; the PDB
#                           exists; the CRD upgrade path of the README works; helm uninstall
#                           removes everything but the CRD.
# Needs helm (hack/build-tools.sh helm), kubectl and python3; promtool (Debian prometheus package)
# for the alert tests; install also needs KUBECONFIG (hack/cluster.sh up; eval "$(hack/cluster.sh env)").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CHART=$root/charts/feature-rollout-operator
CRD_NAME=featurerollouts.rollouts.featureflags.dev
CRD_SRC=$root/crds/$CRD_NAME.yaml
CRD_COPY=$CHART/crds/$CRD_NAME.yaml
mode=${1:-render}
start=$SECONDS

# shellcheck source=chart_lib.sh
. "$here/chart_lib.sh"
tmp=$(mktemp -d)
cleanup_tmp() { rm -rf "$tmp"; }
trap cleanup_tmp EXIT

# to_json FILE: the YAML documents of FILE as a stream of JSON objects, converted offline by kubectl.
to_json() { kubectl annotate --local -f "$1" fro-chart-test- -o json; }

render_tests() {
  # --- the CRD copy -------------------------------------------------------------------------------
  if cmp -s "$CRD_SRC" "$CRD_COPY"; then
    ok "chart CRD is identical to crds/$CRD_NAME.yaml"
  else
    fail "charts/feature-rollout-operator/crds/$CRD_NAME.yaml differs from the root crds/$CRD_NAME.yaml (the source).
  Re-copy it: cp crds/$CRD_NAME.yaml charts/feature-rollout-operator/crds/"
  fi

  # --- the values are documented ---------------------------------------------------------------------
  if out=$(python3 "$here/values_doc_check.py" "$CHART/values.yaml" "$CHART/README.md"); then
    echo "$out" | sed 's/^ok: /ok: chart README values table: /'
  else
    fail "chart README values table:"$'\n'"$out"
  fi

  # --- lint -----------------------------------------------------------------------------------------
  local sets=("" "--set watchNamespaces={team-a,team-b}" "--set serviceMonitor.enabled=true --set prometheusRule.enabled=true"
              "--set gates.readSecrets=false" "--set leaderElection.enabled=false --set replicaCount=1")
  local s out
  for s in "${sets[@]}"; do
    # shellcheck disable=SC2086
    if out=$(helm lint --strict "$CHART" $s 2>&1) && ! grep -qE '^\[(WARNING|ERROR|INFO)\]' <<<"$out"; then
      ok "helm lint --strict ${s:-(defaults)}: clean"
    else
      fail "helm lint --strict ${s:-(defaults)}:"$'\n'"$out"
    fi
  done

  # --- render and check each values set -------------------------------------------------------------
  local case args
  for case in default namespaced monitoring no-secrets no-leader-election no-aggregation network-policy; do
    case $case in
      no-aggregation) args=(--set rbac.aggregateToStandardRoles=false) ;;
      network-policy) args=(--set networkPolicy.enabled=true) ;;
      default) args=() ;;
      namespaced) args=(--set 'watchNamespaces={team-a,team-b}') ;;
      monitoring) args=(--set serviceMonitor.enabled=true --set prometheusRule.enabled=true) ;;
      no-secrets) args=(--set gates.readSecrets=false) ;;
      no-leader-election) args=(--set leaderElection.enabled=false --set replicaCount=1) ;;
    esac
    if ! helm template fro "$CHART" --namespace fro-system "${args[@]}" >"$tmp/$case.yaml" 2>"$tmp/$case.err"; then
      fail "helm template ($case) failed: $(<"$tmp/$case.err")"
      continue
    fi
    ok "helm template renders ($case: ${args[*]:-defaults})"
    if ! to_json "$tmp/$case.yaml" >"$tmp/$case.json" 2>"$tmp/$case.err"; then
      fail "rendered YAML ($case) is not readable by kubectl: $(<"$tmp/$case.err")"
      continue
    fi
    if out=$(python3 "$here/check_render.py" "$case" fro-system "$tmp/rbac-$case.txt" <"$tmp/$case.json"); then
      echo "$out" | tail -n 1
    else
      echo "$out" | grep -v '^ok: ' >&2
      fail "render checks ($case)"
    fi
    if diff -u "$here/golden/rbac-$case.txt" "$tmp/rbac-$case.txt" >"$tmp/rbac-$case.diff"; then
      ok "RBAC ($case) is exactly tests/chart/golden/rbac-$case.txt ($(grep -c ' | ' "$here/golden/rbac-$case.txt") grants)"
    else
      fail "RBAC ($case) differs from tests/chart/golden/rbac-$case.txt (- golden, + rendered):"$'\n'"$(<"$tmp/rbac-$case.diff")"
    fi
  done
  # CRDs come from crds/, never from a template (Helm installs them before anything else).
  local with without
  with=$(helm template fro "$CHART" --include-crds) without=$(helm template fro "$CHART" --skip-crds)
  if grep -q "^kind: CustomResourceDefinition" <<<"$with" && ! grep -q "^kind: CustomResourceDefinition" <<<"$without"; then
    ok "the CRD ships in crds/ (installed first, not templated)"
  else
    fail "the CRD is not shipped through the chart's crds/ directory"
  fi

  # --- alerts ----------------------------------------------------------------------------------------
  if command -v promtool >/dev/null; then
    mkdir -p "$tmp/promtool"
    cp "$tmp/rbac-monitoring.txt.rules.json" "$tmp/promtool/rules.json"
    cp "$here/alerts_test.yaml" "$tmp/promtool/"
    if out=$(promtool check rules "$tmp/promtool/rules.json" 2>&1); then ok "promtool check rules: $(grep -o '[0-9]* rules found' <<<"$out")"; else fail "promtool check rules:"$'\n'"$out"; fi
    if out=$(promtool test rules "$tmp/promtool/alerts_test.yaml" 2>&1); then
      ok "promtool test rules: alerts fire (and stay quiet) as tests/chart/alerts_test.yaml expects"
    else
      fail "promtool test rules (tests/chart/alerts_test.yaml):"$'\n'"$out"
    fi
  else
    fail "promtool is not on PATH (Debian package prometheus, installed by hack/install-deps.sh)"
  fi

  # --- the Dockerfile --------------------------------------------------------------------------------
  # Its build stage installs the C++ packages of hack/install-deps.sh (all but the tools the tests
  # and the control plane use), so the image builds with what the checkout builds with.
  local deps docker_pkgs
  deps=$(sed -n '/^pkgs=(/,/^)/p' "$root/hack/install-deps.sh" | sed '1d;$d' | tr -s ' \n' '\n' | grep -v '^$' \
    | grep -vxE 'prometheus|kubectl|etcd-server|valgrind|lua5\.4|python3|jq|clang|libclang-rt-14-dev' | sort)
  docker_pkgs=$(sed -n '/^FROM debian:12 AS build/,/^FROM /p' "$root/Dockerfile" | sed -n '/apt-get install/,/rm -rf/p' \
    | tr -s ' \\&\n' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vxE 'apt-get|install|rm|rf|update' | sort)
  if [[ -n $deps && $deps == "$docker_pkgs" ]]; then
    ok "Dockerfile build stage installs the $(wc -l <<<"$deps") C++ packages of hack/install-deps.sh"
  else
    fail "Dockerfile build packages differ from hack/install-deps.sh (< install-deps, > Dockerfile):"$'\n'"$(diff <(echo "$deps") <(echo "$docker_pkgs"))"
  fi
  local user entry
  user=$(grep -E '^USER ' "$root/Dockerfile" | tail -n 1) entry=$(grep -E '^ENTRYPOINT ' "$root/Dockerfile" | tail -n 1)
  [[ $user == "USER 65532:65532" ]] && ok "image runs as 65532:65532 (the chart's runAsUser)" || fail "Dockerfile: last USER is '$user', want 'USER 65532:65532'"
  [[ $entry == 'ENTRYPOINT ["/usr/local/bin/feature-rollout-operator"]' ]] && ok "image entrypoint: the operator" || fail "Dockerfile ENTRYPOINT: $entry"
  grep -q '^FROM debian:12-slim' "$root/Dockerfile" && ok "runtime stage: debian:12-slim" || fail "Dockerfile runtime stage is not debian:12-slim"

  # --- values that cannot work are refused with a message ----------------------------------------------
  expect_refused <<'EOF'
--set leaderElection.enabled=false|replicaCount > 1 needs leaderElection.enabled=true
--set watchNamespaces={Team_A}|at '/watchNamespaces/0': 'Team_A' does not match pattern
--set logging.format=xml|at '/logging/format': value must be one of 'json', 'text'
--set serviceAccount.create=false|serviceAccount.name is required when serviceAccount.create is false
--set replicaCount=two|at '/replicaCount': got string, want integer
--set workers=0|at '/workers': minimum: got 0, want 1
--set workers=1001|at '/workers': maximum: got 1,001, want 1,000
--set serviceMonitor.enable=true|at '/serviceMonitor': additional properties 'enable' not allowed
--set replicaCoun=2|additional properties 'replicaCoun' not allowed
--set kubeClient.qps=-1|at '/kubeClient/qps': minimum: got -1, want 0
--set leaderElection.leaseDuration=15|at '/leaderElection/leaseDuration': got number, want string
--set shutdownTimeout=30sec|at '/shutdownTimeout': '30sec' does not match pattern
--set image.pullPolicy=Sometimes|at '/image/pullPolicy': value must be one of
--set image.digest=sha256:0123|at '/image/digest': 'sha256:0123' does not match pattern
--set defaultPrometheusAddress=prometheus:9090|at '/defaultPrometheusAddress': 'prometheus:9090' does not match pattern
--set podDisruptionBudget.maxUnavailable=0|at '/podDisruptionBudget/maxUnavailable': minimum: got 0, want 1
--set networkPolicy.apiServer.cidrs={10.0.0.1}|at '/networkPolicy/apiServer/cidrs/0': '10.0.0.1' does not match pattern
EOF
  # The image can be pinned: tag and digest.
  out=$(helm template fro "$CHART" --set image.repository=registry.example/fro --set image.tag=1.2.3 | grep 'image:' || true)
  [[ $out == *'image: "registry.example/fro:1.2.3"'* ]] && ok "image.repository/tag used" || fail "image.tag not used: $out"
  local digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  out=$(helm template fro "$CHART" --set image.digest=$digest | grep 'image:' || true)
  [[ $out == *"image: \"feature-rollout-operator@$digest\""* ]] && ok "image.digest used" || fail "image.digest not used: $out"
  # Every value of values.yaml passes the schema as it is (and the schema names each of them).
  if out=$(python3 - "$CHART/values.yaml" "$CHART/values.schema.json" <<'PY'
import json, re, sys
schema = json.load(open(sys.argv[2]))
stack, missing = [], []
for line in open(sys.argv[1]).read().splitlines():
    m = re.match(r"^( *)([A-Za-z0-9_]+):", line)
    if not m or line.lstrip().startswith("#"):
        continue
    depth = len(m.group(1)) // 2
    stack = stack[:depth] + [m.group(2)]
    node = schema
    for k in stack:
        node = node.get("properties", {}).get(k) if isinstance(node, dict) else None
        if node is None:
            break
    # A map the schema leaves open (resources, securityContext, ...) documents what is inside it.
    parent = schema
    for k in stack[:-1]:
        parent = parent.get("properties", {}).get(k, {}) if isinstance(parent, dict) else {}
    if node is None and parent.get("additionalProperties") is False:
        missing.append(".".join(stack))
print("\n".join(missing))
sys.exit(1 if missing else 0)
PY
  ); then ok "values.schema.json describes every value of values.yaml"; else fail "values.schema.json lacks:"$'\n'"$out"; fi
  # NOTES.txt names only files the packaged chart contains.
  helm package "$CHART" -d "$tmp/pkg" >/dev/null
  local tgz notes paths missing=""
  tgz=$(ls "$tmp"/pkg/*.tgz)
  # (helm renders NOTES only when installing, which needs a cluster; the paths are written as
  # {{ .Chart.Name }}/..., so they are read from the template itself.)
  notes=$(sed 's/{{ *\.Chart\.Name *}}/feature-rollout-operator/g' "$CHART/templates/NOTES.txt")
  paths=$(grep -oE 'feature-rollout-operator/[A-Za-z0-9_./-]+\.(yaml|yml|json|lua)' <<<"$notes" | sort -u)
  local listing; listing=$(tar -tzf "$tgz")  # once: grep -q in a pipe would SIGPIPE tar (pipefail)
  for p in $paths; do grep -qx "$p" <<<"$listing" || missing+=" $p"; done
  grep -q 'crds/samples' <<<"$notes" && missing+=" crds/samples/... (the repository's, not the chart's)"
  if [[ -n $paths && -z $missing ]]; then
    ok "NOTES.txt names only files in the packaged chart ($(wc -w <<<"$paths") paths)"
  else
    fail "NOTES.txt names files the packaged chart lacks:${missing:- (no path found in NOTES)}"
  fi
  if cmp -s "$root/crds/samples/quick.yaml" "$CHART/examples/quick.yaml"; then
    ok "the chart's examples/quick.yaml is crds/samples/quick.yaml"
  else
    fail "charts/feature-rollout-operator/examples/quick.yaml differs from crds/samples/quick.yaml (re-copy it)"
  fi
  out=$(helm template fro "$CHART" --set defaultPrometheusAddress=http://prom.monitoring.svc:9090 | grep -- '--default-prometheus-address' || true)
  [[ $out == *'--default-prometheus-address=http://prom.monitoring.svc:9090'* ]] && ok "defaultPrometheusAddress passed as a flag" \
    || fail "defaultPrometheusAddress not passed: $out"
}

install_tests() {
  [[ -n ${KUBECONFIG:-} ]] || die "KUBECONFIG is not set; start the local control plane with
  hack/cluster.sh up && eval \"\$(hack/cluster.sh env)\""
  [[ -r ${KUBECONFIG%%:*} ]] || die "KUBECONFIG=$KUBECONFIG is not a readable file"
  local id; id=$(date +%s)-$$
  NS=fro-chart-$id NS2=fro-chart-ns-$id WA=fro-chart-wa-$id WB=fro-chart-wb-$id
  REL=fro-$$ REL2=fro-ns-$$
  cleanup() {
    local rc=$?
    helm uninstall "$REL" -n "$NS" --timeout 30s >/dev/null 2>&1 || true
    helm uninstall "$REL2" -n "$NS2" --timeout 30s >/dev/null 2>&1 || true
    kubectl delete namespace "$NS" "$NS2" "$WA" "$WB" --ignore-not-found --wait=false >/dev/null 2>&1 || true
    rm -rf "$tmp"
    exit $rc
  }
  trap cleanup EXIT
  k() { kubectl --cache-dir="$tmp/cache" --request-timeout=20s "$@"; }

  local n
  for n in "$NS" "$NS2" "$WA" "$WB"; do k create namespace "$n" >/dev/null || die "cannot create namespace $n"; done
  # The operator must run under the "restricted" Pod Security Standard: pods that break it are
  # refused by admission, and the Deployment then never becomes available.
  k label namespace "$NS" pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/enforce-version=latest >/dev/null

  local out
  if out=$(helm install "$REL" "$CHART" -n "$NS" --wait --timeout 120s 2>&1); then
    ok "helm install $REL (defaults, 2 replicas) into $NS (restricted Pod Security): deployed and available"
  else
    echo "$out" >&2
    k get events -n "$NS" --sort-by=.lastTimestamp 2>&1 | tail -n 15 >&2 || true
    die "helm install failed"
  fi
  grep -q "kubectl featurerollout" <<<"$out" && ok "install notes shown (check it runs, kubectl get fr, the plugin)" || fail "install notes missing:"$'\n'"$out"
  [[ $(helm status "$REL" -n "$NS" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["info"]["status"])') == deployed ]] \
    && ok "helm status: deployed" || fail "helm status is not deployed"

  k wait --for=condition=Established --timeout=30s "crd/$CRD_NAME" >/dev/null && ok "CRD $CRD_NAME Established" || fail "CRD not Established"
  local fq=$REL-feature-rollout-operator
  # A release name that contains the chart name is used as is; ours does not.
  k get serviceaccount "$fq" -n "$NS" >/dev/null && ok "ServiceAccount $NS/$fq exists" || fail "ServiceAccount $fq missing"
  k get clusterrole "$fq" >/dev/null && k get clusterrolebinding "$fq" >/dev/null && ok "ClusterRole and ClusterRoleBinding $fq exist" || fail "ClusterRole/Binding $fq missing"
  k get role "$fq-leader-election" -n "$NS" >/dev/null && k get rolebinding "$fq-leader-election" -n "$NS" >/dev/null \
    && ok "leader-election Role and RoleBinding exist in $NS" || fail "leader-election Role/Binding missing"
  local ready; ready=$(k get deployment "$fq" -n "$NS" -o jsonpath='{.status.readyReplicas}/{.spec.replicas}')
  [[ $ready == 2/2 ]] && ok "Deployment $fq ready 2/2 (kwok pods)" || fail "Deployment $fq ready: $ready"
  local pod_user; pod_user=$(k get pods -n "$NS" -l "app.kubernetes.io/instance=$REL" -o jsonpath='{.items[0].spec.securityContext.runAsUser}')
  [[ $pod_user == 65532 ]] && ok "admitted pod runs as uid 65532" || fail "pod runAsUser: $pod_user"

  # can ACCOUNT_NS ACCOUNT EXPECT VERB RESOURCE [kubectl args]: kubectl auth can-i as the ServiceAccount.
  can() {
    local sa_ns=$1 sa=$2 want=$3 verb=$4 res=$5; shift 5
    local got
    got=$(k auth can-i "$verb" "$res" --as="system:serviceaccount:$sa_ns:$sa" "$@" 2>/dev/null || true)
    if [[ $got == "$want" ]]; then echo "ok: can-i $verb $res $* -> $want"; else echo "FAIL: can-i $verb $res $*: got '$got', want '$want'"; fi
  }
  local checks=() c line
  local frg=featurerollouts.rollouts.featureflags.dev
  # Granted, cluster-wide (checked in a namespace that is not the release's): exactly the golden verbs.
  for c in "get list watch patch|$frg" "update|$frg --subresource=status" "update|$frg --subresource=finalizers" \
           "get list watch create patch|configmaps" "create patch|events" "get|secrets" \
           "get list watch patch|deployments.apps" "get list watch patch|statefulsets.apps" "get list watch patch|daemonsets.apps"; do
    for verb in ${c%%|*}; do checks+=("yes $verb ${c#*|} -n $WA"); done
  done
  checks+=("yes list $frg -A" "yes watch configmaps -A")
  # Leases: only in the release namespace, get/update only on the operator's Lease.
  checks+=("yes create leases.coordination.k8s.io -n $NS" "yes get leases.coordination.k8s.io/feature-rollout-operator -n $NS"
           "yes update leases.coordination.k8s.io/feature-rollout-operator -n $NS"
           "no get leases.coordination.k8s.io/kube-controller-manager -n $NS" "no update leases.coordination.k8s.io/other -n $NS"
           "no list leases.coordination.k8s.io -n $NS" "no delete leases.coordination.k8s.io/feature-rollout-operator -n $NS"
           "no create leases.coordination.k8s.io -n kube-system" "no create leases.coordination.k8s.io -n $WA")
  # Not granted.
  checks+=("no delete configmaps -n $WA" "no update configmaps -n $WA" "no update deployments.apps -n $WA"
           "no create deployments.apps -n $WA" "no delete deployments.apps -n $WA" "no list secrets -n $WA"
           "no watch secrets -n $WA" "no get pods -n $WA" "no list pods -n $WA" "no delete $frg -n $WA"
           "no update $frg -n $WA" "no create $frg -n $WA" "no patch $frg -n $WA --subresource=status"
           "no get $frg -n $WA --subresource=status" "no update $frg -n $WA --subresource=scale"
           "no list nodes" "no get namespaces" "no create serviceaccounts/token -n $NS" "no create pods/exec -n $WA"
           "no escalate clusterroles.rbac.authorization.k8s.io" "no bind clusterroles.rbac.authorization.k8s.io"
           "no impersonate users" "no patch customresourcedefinitions.apiextensions.k8s.io" "no delete events -n $WA"
           "no create replicasets.apps -n $WA" "no patch jobs.batch -n $WA")
  mkdir -p "$tmp/can"
  local i=0
  for c in "${checks[@]}"; do
    # shellcheck disable=SC2086
    can "$NS" "$fq" $c >"$tmp/can/$i" &
    i=$((i + 1))
    while (($(jobs -rp | wc -l) >= 4)); do wait -n || true; done
  done
  wait
  for ((n = 0; n < i; n++)); do
    line=$(<"$tmp/can/$n")
    if [[ $line == ok:* ]]; then echo "$line"; else fail "${line#FAIL: }"; fi
  done

  # --- people: the standard view and edit roles gain FeatureRollouts (aggregated ClusterRoles) -------
  k get pdb "$fq" -n "$NS" -o jsonpath='{.spec.maxUnavailable}' | grep -qx 1 && ok "PodDisruptionBudget $fq: maxUnavailable 1" \
    || fail "PodDisruptionBudget $fq missing"
  k create serviceaccount viewer -n "$WA" >/dev/null && k create serviceaccount editor -n "$WA" >/dev/null
  k create rolebinding viewer --clusterrole=view --serviceaccount="$WA:viewer" -n "$WA" >/dev/null
  k create rolebinding editor --clusterrole=edit --serviceaccount="$WA:editor" -n "$WA" >/dev/null
  # kube-controller-manager aggregates the rules into view and edit asynchronously.
  local t
  for ((t = 0; t < 30; t++)); do
    [[ $(k auth can-i patch "$frg" -n "$WA" --as="system:serviceaccount:$WA:editor" 2>/dev/null) == yes ]] && break
    sleep 1
  done
  checks=("viewer yes get $frg" "viewer yes list $frg" "viewer yes watch $frg" "viewer yes get $frg --subresource=status"
          "viewer no patch $frg" "viewer no create $frg" "viewer no delete $frg" "viewer no update $frg --subresource=status"
          "editor yes get $frg" "editor yes list $frg" "editor yes create $frg" "editor yes update $frg" "editor yes patch $frg"
          "editor yes delete $frg" "editor no update $frg --subresource=status" "editor no patch $frg --subresource=status")
  i=0
  for c in "${checks[@]}"; do
    # shellcheck disable=SC2086
    can "$WA" $c -n "$WA" >"$tmp/can/$i" &
    i=$((i + 1))
    while (($(jobs -rp | wc -l) >= 4)); do wait -n || true; done
  done
  wait
  checks=("viewer no get $frg -n $WB" "editor no patch $frg -n $WB")  # bound in $WA only
  for c in "${checks[@]}"; do
    # shellcheck disable=SC2086
    can "$WA" $c >"$tmp/can/$i"
    i=$((i + 1))
  done
  for ((n = 0; n < i; n++)); do
    line=$(<"$tmp/can/$n")
    if [[ $line == ok:* ]]; then echo "aggregated roles: $line"; else fail "aggregated roles: ${line#FAIL: }"; fi
  done

  # --- the CRD upgrade path the chart README documents ----------------------------------------------
  k apply -n "$WA" -f "$root/crds/samples/quick.yaml" >/dev/null || fail "cannot create a FeatureRollout before the upgrade"
  if out=$(k apply --server-side --force-conflicts -f "$CHART/crds/$CRD_NAME.yaml" 2>&1) \
      && out+=$(helm upgrade "$REL" "$CHART" -n "$NS" --reuse-values --wait --timeout 120s 2>&1); then
    ok "CRD upgrade path: kubectl apply --server-side --force-conflicts of the chart's CRD, then helm upgrade --reuse-values"
  else
    fail "CRD upgrade path failed:"$'\n'"$out"
  fi
  k get featurerollout quick -n "$WA" >/dev/null && ok "a FeatureRollout stored before the upgrade is still there" \
    || fail "the FeatureRollout created before the upgrade is gone"
  k delete featurerollout quick -n "$WA" --wait=false >/dev/null 2>&1 || true

  # --- namespaced release: watchNamespaces and no Secrets -----------------------------------------
  if out=$(helm install "$REL2" "$CHART" -n "$NS2" --set "watchNamespaces={$WA,$WB}" --set gates.readSecrets=false \
      --set replicaCount=0 --wait --timeout 60s 2>&1); then
    ok "helm install $REL2 with watchNamespaces={$WA,$WB}, gates.readSecrets=false"
  else
    fail "helm install $REL2 (namespaced) failed:"$'\n'"$out"
  fi
  local fq2=$REL2-feature-rollout-operator
  k get clusterrole "$fq2" >/dev/null 2>&1 && fail "namespaced release created ClusterRole $fq2" || ok "namespaced release: no ClusterRole"
  checks=("yes list $frg -n $WA" "yes list $frg -n $WB" "yes patch deployments.apps -n $WB" "yes create configmaps -n $WA"
          "no list $frg -A" "no list $frg -n $NS" "no list $frg -n default" "no patch deployments.apps -n default"
          "no create configmaps -n $NS" "no get secrets -n $WA" "no get secrets -n $WB"
          "yes create leases.coordination.k8s.io -n $NS2" "no create leases.coordination.k8s.io -n $WA")
  i=0
  for c in "${checks[@]}"; do
    # shellcheck disable=SC2086
    can "$NS2" "$fq2" $c >"$tmp/can/$i" &
    i=$((i + 1))
    while (($(jobs -rp | wc -l) >= 4)); do wait -n || true; done
  done
  wait
  for ((n = 0; n < i; n++)); do
    line=$(<"$tmp/can/$n")
    if [[ $line == ok:* ]]; then echo "$line"; else fail "${line#FAIL: }"; fi
  done

  # --- uninstall ------------------------------------------------------------------------------------
  helm uninstall "$REL" -n "$NS" --wait --timeout 60s >/dev/null && helm uninstall "$REL2" -n "$NS2" --wait --timeout 60s >/dev/null \
    && ok "helm uninstall of both releases" || fail "helm uninstall failed"
  local left
  left=$(k get clusterrole,clusterrolebinding -o name | grep -E "/($fq|$fq2)(-aggregate-to-(view|edit))?\$" || true)
  left+=$(k get serviceaccount,role,rolebinding,deployment,service -n "$NS" -o name 2>/dev/null | grep "$fq" || true)
  left+=$(k get role,rolebinding -n "$WA" -o name 2>/dev/null | grep "$fq2" || true)
  [[ -z $left ]] && ok "uninstall left nothing of the releases behind" || fail "left after uninstall: $left"
  k get crd "$CRD_NAME" >/dev/null && ok "the CRD stays after uninstall (Helm never deletes crds/; FeatureRollouts survive)" \
    || fail "the CRD was deleted by helm uninstall"
}

case $mode in
  render) render_tests ;;
  install) install_tests ;;
  *) die "usage: chart_test.sh render|install" ;;
esac
echo "chart_test $mode: $((SECONDS - start))s, $failures failure(s)"
((failures == 0))
