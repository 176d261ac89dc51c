#!/usr/bin/env bash
# The chart's Grafana dashboard (charts/feature-rollout-operator/dashboards/, templates/grafana-dashboard.yaml),
# no cluster:
#   - the dashboard file is a sound Grafana dashboard (check_dashboard.py: schemaVersion, uid, a
#     prometheus data source variable used by every panel and target, job/instance/namespace/rollout
#     variables, unique panel ids, panels inside 24 columns, every panel has a query);
#   - grafanaDashboard.enabled=true renders one ConfigMap with the sidecar label grafana_dashboard: "1"
#     whose JSON parses and equals the file byte for byte; labelKey/labelValue/namespace/folder/labels/
#     annotations are used; off by default nothing renders; helm lint --strict is clean with it on;
#   - the schema refuses bad values (enabled=maybe, a typo of a key, a label key with a colon);
#   - the packaged chart (helm package) contains the dashboard and renders the same ConfigMap.
# Needs helm (hack/build-tools.sh helm), kubectl and python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CHART=$root/charts/feature-rollout-operator
DASH=$CHART/dashboards/feature-rollout-operator.json
# shellcheck source=chart_lib.sh
. "$here/chart_lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
to_json() { kubectl annotate --local -f "$1" fro-chart-test- -o json; }

# --- the dashboard file itself ------------------------------------------------------------------------
if out=$(python3 "$here/check_dashboard.py" lint "$DASH"); then echo "$out"; else echo "$out" >&2; fail "dashboard file"; fi

# --- rendered ConfigMap ---------------------------------------------------------------------------------
# render NAME CHART_REF ARGS...: helm template into $tmp/NAME.json (kubectl's JSON of every object).
render() {
  local name=$1 ref=$2; shift 2
  helm template fro "$ref" --namespace fro-system "$@" >"$tmp/$name.yaml" 2>"$tmp/$name.err" || { fail "helm template $*: $(<"$tmp/$name.err")"; return 1; }
  to_json "$tmp/$name.yaml" >"$tmp/$name.json" 2>"$tmp/$name.err" || { fail "rendered YAML ($name) unreadable: $(<"$tmp/$name.err")"; return 1; }
}
check() {  # check NAME EXPECTATIONS-JSON
  local out
  if out=$(python3 "$here/check_dashboard.py" configmap "$DASH" "$2" <"$tmp/$1.json"); then echo "$out"; else echo "$out" >&2; fail "rendered ConfigMap ($1)"; fi
}
render on "$CHART" --set grafanaDashboard.enabled=true &&
  check on '{"count": 1, "namespace": "fro-system", "labels": {"grafana_dashboard": "1"}, "annotations": {}}'
render custom "$CHART" --set grafanaDashboard.enabled=true --set grafanaDashboard.namespace=monitoring \
  --set grafanaDashboard.labelKey=dashboards.example.com/load --set grafanaDashboard.labelValue=yes \
  --set grafanaDashboard.folder="Feature rollouts" --set grafanaDashboard.labels.team=platform \
  --set grafanaDashboard.annotations.note=hello &&
  check custom '{"count": 1, "namespace": "monitoring", "labels": {"dashboards.example.com/load": "yes", "team": "platform"},
                 "absentLabels": ["grafana_dashboard"], "annotations": {"grafana_folder": "Feature rollouts", "note": "hello"}}'
render folderkey "$CHART" --set grafanaDashboard.enabled=true --set grafanaDashboard.folder=Ops --set grafanaDashboard.folderAnnotation=k8s-sidecar-target-directory &&
  check folderkey '{"count": 1, "namespace": "fro-system", "labels": {"grafana_dashboard": "1"}, "annotations": {"k8s-sidecar-target-directory": "Ops"}}'
render off "$CHART" && check off '{"count": 0}'

out=$(helm lint --strict "$CHART" --set grafanaDashboard.enabled=true 2>&1) && ! grep -qE '^\[(WARNING|ERROR|INFO)\]' <<<"$out" \
  && ok "helm lint --strict --set grafanaDashboard.enabled=true: clean" || fail "helm lint --strict with the dashboard:"$'\n'"$out"

# --- the schema refuses bad values ----------------------------------------------------------------------
expect_refused <<'EOF2'
--set grafanaDashboard.enabled=maybe|at '/grafanaDashboard/enabled': got string, want boolean
--set grafanaDashboard.enable=true|at '/grafanaDashboard': additional properties 'enable' not allowed
--set grafanaDashboard.labelKey=grafana:dashboard|at '/grafanaDashboard/labelKey': 'grafana:dashboard' does not match pattern
--set grafanaDashboard.labelValue=a/b|at '/grafanaDashboard/labelValue': 'a/b' does not match pattern
--set grafanaDashboard.namespace=Monitoring|at '/grafanaDashboard/namespace': 'Monitoring' does not match pattern
--set grafanaDashboard.labels.team=1|at '/grafanaDashboard/labels/team': got number, want string
EOF2

# --- the packaged chart ---------------------------------------------------------------------------------
helm package "$CHART" -d "$tmp/pkg" >/dev/null
tgz=$(ls "$tmp"/pkg/*.tgz)
listing=$(tar -tzf "$tgz")
if grep -qx 'feature-rollout-operator/dashboards/feature-rollout-operator.json' <<<"$listing"; then
  ok "the packaged chart contains dashboards/feature-rollout-operator.json"
else
  fail "the packaged chart lacks dashboards/feature-rollout-operator.json (.helmignore?)"
fi
render packaged "$tgz" --set grafanaDashboard.enabled=true &&
  check packaged '{"count": 1, "namespace": "fro-system", "labels": {"grafana_dashboard": "1"}, "annotations": {}}'

(( failures == 0 )) || die "$failures check(s) failed"
echo "PASS: dashboard render tests"
