#!/usr/bin/env bash
# Builds the control-plane binaries from Go modules into $FRO_CACHE/bin/<name>-<version>/,
# skipping any already built. Usage: hack/build-tools.sh [all|kube|etcd|kwok|helm|kstatus-check]...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/versions.sh"

command -v go >/dev/null 2>&1 || die "Go toolchain not found on PATH (need go >= 1.26)"
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=${GOTOOLCHAIN:-local}

# Runs a go command with its output in a log, printing a progress line every 20 s.
go_logged() { # name, log, cmd...
  local name=$1 logf=$2; shift 2
  local start=$SECONDS
  "$@" >"$logf" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if (( (SECONDS - start) % 20 < 2 )); then
      log "  $name: $((SECONDS - start))s, $(grep -c '' "$logf" 2>/dev/null || echo 0) packages/log lines so far"
      sleep 1
    fi
  done
  wait "$pid" || die "building $name failed (log: $logf)"
  log "  $name: done in $((SECONDS - start))s"
}

kube_minor() { local v=${K8S_VERSION#v}; echo "${v#*.}" | cut -d. -f1; }

build_kube() {
  local out="$FRO_CACHE/bin/kubernetes-$K8S_VERSION"
  local cmds=(kube-apiserver kube-controller-manager kube-scheduler kubectl) cmd todo=()
  for cmd in "${cmds[@]}"; do [[ -x $out/$cmd ]] || todo+=("$cmd"); done
  ((${#todo[@]})) || return 0
  log "building ${todo[*]} $K8S_VERSION (first time only; takes several minutes each)"
  local src="$FRO_CACHE/src/kubernetes-$K8S_VERSION" staging="v0.${K8S_VERSION#v1.}"
  mkdir -p "$src" "$out"
  # k8s.io/kubernetes replaces its staging modules with local paths, so `go install` refuses it;
  # a wrapper module pins each staging module to its published v0.x.y tag instead.
  local modfile
  modfile=$(cd "$src" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [[ -f $modfile ]] || die "could not download k8s.io/kubernetes@$K8S_VERSION (log: run go mod download by hand)"
  {
    echo "module local/kubebuild"
    echo
    echo "go $(sed -n 's/^go \(.*\)/\1/p' "$modfile")"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 '"$staging"'#p' "$modfile"
    echo ")"
  } >"$src/go.mod"
  cat >"$src/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  (cd "$src" && go mod tidy >"$FRO_LOG_DIR/kube-tidy.log" 2>&1) || die "go mod tidy for kubernetes $K8S_VERSION failed (log: $FRO_LOG_DIR/kube-tidy.log)"
  local ld="-s -w"
  for kv in "gitVersion=$K8S_VERSION" "gitMajor=1" "gitMinor=$(kube_minor)" "gitTreeState=clean" \
            "buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"; do
    ld+=" -X k8s.io/component-base/version.$kv -X k8s.io/client-go/pkg/version.$kv"
  done
  for cmd in "${todo[@]}"; do
    (cd "$src" && go_logged "$cmd" "$FRO_LOG_DIR/build-$cmd.log" \
      go build -v -trimpath -tags providerless -ldflags "$ld" -o "$out/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd")
    mv "$out/$cmd.tmp" "$out/$cmd"
  done
}

build_etcd() {
  local out="$FRO_CACHE/bin/etcd-$ETCD_VERSION"
  [[ -x $out/etcd ]] && return
  log "building etcd $ETCD_VERSION"
  local src="$FRO_CACHE/src/etcd-$ETCD_VERSION"
  mkdir -p "$src" "$out"
  cat >"$src/go.mod" <<GOMOD
module local/etcdbuild

go 1.26.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GOMOD
  cat >"$src/main.go" <<'GO'
// etcd's own main module carries replace directives, so we call its entry point from a wrapper.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$src" && go mod tidy >"$FRO_LOG_DIR/etcd-tidy.log" 2>&1) || die "go mod tidy for etcd failed (log: $FRO_LOG_DIR/etcd-tidy.log)"
  (cd "$src" && go_logged etcd "$FRO_LOG_DIR/build-etcd.log" go build -v -trimpath -ldflags "-s -w" -o "$out/etcd.tmp" .)
  mv "$out/etcd.tmp" "$out/etcd"
}

go_install() { # name, package@version, dir
  local name=$1 pkg=$2 out=$3
  [[ -x $out/$name ]] && return
  log "building $name from $pkg"
  mkdir -p "$out"
  GOBIN="$out" GOFLAGS="-buildvcs=false" go_logged "$name" "$FRO_LOG_DIR/build-$name.log" \
    go install -v -trimpath -ldflags "-s -w" "$pkg"
}

build_kwok() {
  local out="$FRO_CACHE/bin/kwok-$KWOK_VERSION"
  go_install kwok "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "$out"
  [[ -f $out/stages.yaml ]] && return
  # The kwok binary ships no stages; take the "fast" node and pod stages of the same release.
  local mod
  mod=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [[ -d $mod/kustomize/stage ]] || die "kwok $KWOK_VERSION module has no kustomize/stage directory"
  local f first=1
  for f in node/fast/node-initialize node/heartbeat/node-heartbeat pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    ((first)) || echo "---"
    first=0
    cat "$mod/kustomize/stage/$f.yaml"
  done >"$out/stages.yaml.tmp"
  mv "$out/stages.yaml.tmp" "$out/stages.yaml"
}
build_helm() {
  go_install helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" "$FRO_CACHE/bin/helm-$HELM_VERSION"
}
# kstatus as Flux computes it, for tests/kstatus (a module in this repo: hack/kstatus-check).
build_kstatus_check() { "$here/kstatus-check/build.sh" >/dev/null; }

targets=("$@"); ((${#targets[@]})) || targets=(all)
for t in "${targets[@]}"; do
  case $t in
    all) build_etcd; build_kube; build_kwok; build_helm; build_kstatus_check ;;
    kube) build_kube ;; etcd) build_etcd ;; kwok) build_kwok ;; helm) build_helm ;; kstatus-check) build_kstatus_check ;;
    *) die "unknown target $t (all|kube|etcd|kwok|helm|kstatus-check)" ;;
  esac
done
