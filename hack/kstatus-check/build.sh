#!/usr/bin/env bash
# Builds kstatus-check (this directory) into $FRO_CACHE/bin/kstatus-check-<version>/ unless it is
# there, and prints the binary's path. <version> is the cli-utils version from go.mod and a hash
# of the sources, so an edit here builds anew and unchanged sources are never rebuilt.
# Usage: hack/kstatus-check/build.sh   (also: hack/build-tools.sh kstatus-check)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

command -v go >/dev/null 2>&1 || die "Go toolchain not found on PATH (need go >= 1.26)"
cli_utils=$(sed -n 's#^\s*sigs.k8s.io/cli-utils \(v[^ ]*\).*#\1#p' "$here/go.mod")
[[ -n $cli_utils ]] || die "no sigs.k8s.io/cli-utils requirement in $here/go.mod"
src_hash=$(cat "$here/go.mod" "$here/go.sum" "$here"/*.go | sha256sum | cut -c1-12)
out="$FRO_CACHE/bin/kstatus-check-$cli_utils-$src_hash"
if [[ ! -x $out/kstatus-check ]]; then
  log "building kstatus-check (cli-utils $cli_utils) into $out (first time only; about a minute)"
  start=$SECONDS
  mkdir -p "$out"
  (cd "$here" && CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=${GOTOOLCHAIN:-local} \
    go build -trimpath -ldflags "-s -w" -o "$out/kstatus-check.tmp.$$" . >"$FRO_LOG_DIR/build-kstatus-check.log" 2>&1) \
    || die "building kstatus-check failed (log: $FRO_LOG_DIR/build-kstatus-check.log)"
  mv "$out/kstatus-check.tmp.$$" "$out/kstatus-check"
  log "  kstatus-check: done in $((SECONDS - start))s"
fi
echo "$out/kstatus-check"
