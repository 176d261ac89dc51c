# Sourced by the chart test scripts (chart_test.sh, dashboard_render_test.sh): failure counting,
# and helm, kubectl and python3 found or a clear error. Expects $root (the checkout).
die() { echo "FAIL: $*" >&2; exit 1; }
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

if ! command -v helm >/dev/null; then
  # shellcheck source=/dev/null
  . "$root/hack/versions.sh"
  cached=${FRO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/feature-rollout-operator}/bin/helm-$HELM_VERSION/helm
  [[ -x $cached ]] || die "helm is not on PATH nor at $cached (bash hack/build-tools.sh helm)"
  PATH=$(dirname "$cached"):$PATH
fi
command -v kubectl >/dev/null || die "kubectl is not on PATH (eval \"\$(hack/cluster.sh env)\" adds it)"
command -v python3 >/dev/null || die "python3 is not on PATH"

# Reads "helm-args|expected message" lines on stdin: each must make `helm template` of $CHART fail
# with that message.
expect_refused() {
  local bad want out
  while IFS='|' read -r bad want; do
    # shellcheck disable=SC2086
    if out=$(helm template fro "$CHART" $bad 2>&1); then
      fail "helm template $bad was accepted"
    elif [[ $out == *"$want"* ]]; then
      ok "refused: $bad ($want)"
    else
      fail "helm template $bad: refused without '$want':"$'\n'"$out"
    fi
  done
}
