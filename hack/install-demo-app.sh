#!/usr/bin/env bash
# Installs the OpenFeature demo app's npm dependencies (demo/openfeature-app, pinned by its
# package-lock.json) with `npm ci` into $FRO_CACHE/openfeature-app-<hash of the lock file>/, once:
# a second run with the same lock file only checks. Prints the node_modules directory on stdout,
# so callers run the app with
#   NODE_PATH=$(hack/install-demo-app.sh) node demo/openfeature-app/app.js ...
# Needs node >= 20 and npm on the PATH and the npm registry reachable the first time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

app=$FRO_ROOT/demo/openfeature-app
command -v node >/dev/null 2>&1 || die "node not found on PATH (the demo app needs Node.js >= 20)"
command -v npm >/dev/null 2>&1 || die "npm not found on PATH (the demo app needs npm to install its dependencies)"
major=$(node -p 'process.versions.node.split(".")[0]')
((major >= 20)) || die "node $(node --version) is too old: the demo app needs Node.js >= 20"

hash=$(sha256sum "$app/package-lock.json" | cut -c1-16)
dest=$FRO_CACHE/openfeature-app-$hash
if [[ -f $dest/.complete && -d $dest/node_modules ]]; then
  echo "$dest/node_modules"
  exit 0
fi

log "installing the demo app's npm dependencies into $dest (npm ci; first time for this lock file)"
tmp=$(mktemp -d "$FRO_CACHE/.openfeature-app-$hash.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$app/package.json" "$app/package-lock.json" "$tmp/"
# --ignore-scripts: nothing in the tree needs an install script (protobufjs's only checks its version).
if ! (cd "$tmp" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund) >"$FRO_LOG_DIR/demo-app-npm.log" 2>&1; then
  die "npm ci of the demo app failed (log: $FRO_LOG_DIR/demo-app-npm.log)"
fi
touch "$tmp/.complete"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
log "demo app dependencies installed ($(ls "$dest/node_modules" | wc -l) top-level packages)"
echo "$dest/node_modules"
