#!/usr/bin/env bash
# Installs the third-party OpenFeature SDKs that tests/sdk evaluates, exactly at the versions the
# repository pins (tests/sdk/js/package-lock.json, tests/sdk/python/requirements.txt,
# tests/sdk/java/pom.xml + dependencies.txt), into $FRO_CACHE/sdk/<lang>-<hash of the pins>/, so a
# changed pin gets a fresh directory and clean clones share one. Idempotent: a second run only
# checks the directories' stamps (well under a second).
#   hack/install-sdks.sh [js|python|java]...  install what is missing (default: all three)
#   hack/install-sdks.sh --dir LANG           print LANG's directory if it is installed; else say
#                                             what to run and exit 1 (what the tests call)
# Needs node+npm, python3 with venv, and a JDK with Maven; missing ones are installed from
# Debian (nodejs npm python3-venv default-jdk-headless maven), as hack/install-deps.sh does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
sdk_src="$FRO_ROOT/tests/sdk"

# What a language's installation depends on: its pin files and the runtime it was made for.
pins_of() {
  case $1 in
    js) echo "$sdk_src/js/package.json $sdk_src/js/package-lock.json" ;;
    python) echo "$sdk_src/python/requirements.txt" ;;
    java) echo "$sdk_src/java/pom.xml $sdk_src/java/dependencies.txt" ;;
  esac
}
runtime_of() {
  case $1 in
    js) echo "node $(node --version 2>/dev/null || echo none)" ;;
    # A venv belongs to one interpreter: its path and version are part of the key.
    python) echo "python $(command -v python3 || echo none) $(python3 -c 'import sys; print(sys.version)' 2>/dev/null || echo none)" ;;
    java) echo "jars" ;;  # plain jars, for any JDK
  esac
}
dir_of() {
  local lang=$1 f hash
  # shellcheck disable=SC2046
  hash=$({ for f in $(pins_of "$lang"); do cat "$f"; done; runtime_of "$lang"; } | sha256sum | cut -c1-16)
  echo "$FRO_CACHE/sdk/$lang-$hash"
}
stamp=.installed

if [[ ${1:-} == --dir ]]; then
  lang=${2:-}
  [[ $lang == js || $lang == python || $lang == java ]] || die "usage: hack/install-sdks.sh --dir js|python|java"
  d=$(dir_of "$lang")
  if [[ -f $d/$stamp ]]; then echo "$d"; exit 0; fi
  echo "The $lang OpenFeature SDKs pinned in tests/sdk/$lang are not installed (no $d)." >&2
  echo "Run hack/install-sdks.sh once (it needs the package registries); the tests then run offline." >&2
  exit 1
fi

apt_install() {
  local sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  log "installing Debian packages: $*"
  export DEBIAN_FRONTEND=noninteractive
  { $sudo_cmd apt-get update -q && $sudo_cmd apt-get install -y -q --no-install-recommends "$@"; } >"$FRO_LOG_DIR/apt-sdks.log" 2>&1 \
    || die "apt-get install $* failed (log: $FRO_LOG_DIR/apt-sdks.log)"
}

install_js() {
  local d=$1 logf="$FRO_LOG_DIR/sdk-js.log"
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
  local major; major=$(node -p 'process.versions.node.split(".")[0]')
  ((major >= 20)) || log "warning: node $(node --version): @openfeature/server-sdk 1.23.0 declares node >= 20"
  cp "$sdk_src/js/package.json" "$sdk_src/js/package-lock.json" "$d/"
  # --ignore-scripts: protobufjs's postinstall only prints; nothing here needs a build step.
  (cd "$d" && npm ci --ignore-scripts --no-audit --no-fund >"$logf" 2>&1) || die "npm ci failed (log: $logf)"
}

install_python() {
  local d=$1 logf="$FRO_LOG_DIR/sdk-python.log"
  python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
  { python3 -m venv "$d/venv" &&
    # --no-deps: requirements.txt lists every package, so pip resolves nothing by itself.
    "$d/venv/bin/python" -m pip install --no-deps --disable-pip-version-check -r "$sdk_src/python/requirements.txt" &&
    "$d/venv/bin/python" -m pip check --disable-pip-version-check; } >"$logf" 2>&1 || die "pip install failed (log: $logf)"
}

install_java() {
  local d=$1 logf="$FRO_LOG_DIR/sdk-java.log"
  command -v javac >/dev/null || apt_install default-jdk-headless
  command -v mvn >/dev/null || apt_install maven
  mvn -B -q -f "$sdk_src/java/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DoutputDirectory="$d/lib" -DincludeScope=runtime >"$logf" 2>&1 || die "mvn copy-dependencies failed (log: $logf)"
  local want got
  want=$(grep -v '^#' "$sdk_src/java/dependencies.txt" | sort) got=$(ls "$d/lib" | sort)
  [[ $want == "$got" ]] || die "the Java dependencies resolved differ from tests/sdk/java/dependencies.txt (< pinned, > resolved):"$'\n'"$(diff <(echo "$want") <(echo "$got"))"
}

langs=("$@"); ((${#langs[@]})) || langs=(js python java)
for lang in "${langs[@]}"; do
  case $lang in js | python | java) ;; *) die "unknown SDK language $lang (js|python|java)" ;; esac
  d=$(dir_of "$lang")
  if [[ -f $d/$stamp ]]; then
    log "OpenFeature $lang SDKs: installed ($d)"
    continue
  fi
  log "installing the OpenFeature $lang SDKs pinned in tests/sdk/$lang into $d"
  start=$SECONDS
  rm -rf "$d" && mkdir -p "$d"
  "install_$lang" "$d"
  date -u +%Y-%m-%dT%H:%M:%SZ >"$d/$stamp"  # written last: a half-done install is redone
  log "  $lang: done in $((SECONDS - start))s"
done
