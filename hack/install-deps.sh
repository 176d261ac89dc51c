#!/usr/bin/env bash
# Installs what the build, tests and demo need. Idempotent: a second run only checks.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

pkgs=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl openssl
  libyaml-cpp-dev nlohmann-json3-dev libssl-dev
  libcurl4-openssl-dev prometheus-cpp-dev libgtest-dev libgmock-dev googletest
  libcli11-dev libspdlog-dev libfmt-dev zlib1g-dev
  prometheus kubectl etcd-server valgrind lua5.4 python3 jq
  clang libclang-rt-14-dev
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  apt_log="$FRO_LOG_DIR/apt.log"
  if ! { $sudo_cmd apt-get update -q && $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
    die "apt-get install failed (log: $apt_log)"
  fi
  # The Debian prometheus and etcd packages start system services; we run our own instances.
  for svc in prometheus etcd; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
      $sudo_cmd systemctl stop "$svc" >/dev/null 2>&1 || true
      $sudo_cmd systemctl disable "$svc" >/dev/null 2>&1 || true
    fi
  done
else
  log "Debian packages: all ${#pkgs[@]} present"
fi
command -v go >/dev/null 2>&1 || die "Go toolchain not found on PATH (need go >= 1.26 to build the control plane)"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null && command -v npm >/dev/null 2>&1 \
  || die "Node.js >= 20 with npm not found on PATH (the OpenFeature demo app, demo/openfeature-app, needs it)"
