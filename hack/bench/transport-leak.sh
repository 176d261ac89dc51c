#!/usr/bin/env bash
# Leak proof for the libcurl HttpTransport (CurlTransport), against the loopback test server
# (tests/http/test_server.py: HTTPS with a throwaway CA, started by the driver itself), and the same
# measurement of the cpprestsdk probe for comparison.
#
#   hack/bench/transport-leak.sh [valgrind]     valgrind --leak-check=full over
#                                                 - N HTTPS requests, each on a new CurlTransport (new
#                                                   TLS connection)
#                                                 - N HTTPS watch-like streams (chunked newline-delimited
#                                                   JSON, every line split across chunks), each on its own
#                                                   connection
#                                                 - N HTTPS requests on one transport (pooled connection)
#                                                 - N/10 rounds of aborted transfers (early stop, cancel,
#                                                   idle timeout, failed handshake)
#                                               and prints each run's leak summary. Exit 1 if anything
#                                               is definitely or indirectly lost, or a request misbehaved.
#   hack/bench/transport-leak.sh soak [N]       no valgrind: N HTTPS requests (default 3000) alternating
#                                               new-connection sends and streams; prints RSS start/end.
#   hack/bench/transport-leak.sh cpprest [N]    the cpprestsdk probe (CPPREST_PROBE_DIR, default
#                                               /work/shared/notes/cpprest-tls-probe; copied to a temp
#                                               dir, never modified) under valgrind: N HTTPS watch
#                                               requests (default LEAK_N), each on a new http_client.
#                                               Informational: its exit status does not fail the script.
#   hack/bench/transport-leak.sh cpprest-soak [N]  the probe without valgrind, N requests (default 3000),
#                                               printing its RSS lines.
#   hack/bench/transport-leak.sh all            valgrind, soak, cpprest and cpprest-soak in turn.
# Environment: LEAK_N (default 50), FRO_BUILD_DIR (default <repo>/build), FRO_JOBS (default 2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

BUILD=${FRO_BUILD_DIR:-$FRO_ROOT/build}
N=${LEAK_N:-50}
PROBE_SRC=${CPPREST_PROBE_DIR:-/work/shared/notes/cpprest-tls-probe}
mode=${1:-valgrind}

work=$(mktemp -d "${TMPDIR:-/tmp}/fro-transport-leak.XXXXXX")
probe_server_pid=
cleanup() {
  if [[ -n $probe_server_pid ]]; then
    kill "$probe_server_pid" 2>/dev/null || true
    wait "$probe_server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

build_driver() {
  if [[ ! -f $BUILD/build.ninja && ! -f $BUILD/Makefile ]]; then
    log "configuring $BUILD"
    cmake -S "$FRO_ROOT" -B "$BUILD" -G Ninja >/dev/null
  fi
  log "building http_transport_leak_driver in $BUILD"
  cmake --build "$BUILD" --target http_transport_leak_driver -j "${FRO_JOBS:-2}" >/dev/null \
    || die "build failed (cmake --build $BUILD --target http_transport_leak_driver)"
  driver=$BUILD/bin/http_transport_leak_driver
  [[ -x $driver ]] || die "no driver at $driver"
}

# Prints the leak summary of one valgrind log; returns 1 if anything is definitely/indirectly lost.
summarize() {  # valgrind-log
  local vg=$1 def ind
  grep -E 'in use at exit:|total heap usage:' "$vg" | sed -E 's/^==[0-9]+== +/   /'
  if grep -q 'All heap blocks were freed' "$vg"; then
    echo "   All heap blocks were freed -- no leaks are possible (definitely lost: 0 bytes in 0 blocks)"
  else
    grep -E 'definitely lost:|indirectly lost:|possibly lost:|still reachable:|suppressed: [0-9,]+ bytes' "$vg" \
      | sed -E 's/^==[0-9]+== +/   /'
  fi
  grep -E 'ERROR SUMMARY' "$vg" | tail -n1 | sed -E 's/^==[0-9]+== +/   /'
  def=$(grep -E 'definitely lost:' "$vg" | sed -E 's/.*definitely lost: ([0-9,]+) bytes.*/\1/' | tr -d , || true)
  ind=$(grep -E 'indirectly lost:' "$vg" | sed -E 's/.*indirectly lost: ([0-9,]+) bytes.*/\1/' | tr -d , || true)
  [[ ${def:-0} == 0 && ${ind:-0} == 0 ]]
}

vg() {  # log-file, command...
  local log=$1
  shift
  valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible --num-callers=30 --log-file="$log" "$@"
}

run_curl_valgrind() {
  command -v valgrind >/dev/null || die "valgrind not installed"
  build_driver
  local status=0
  run() {  # name, driver arguments...
    local name=$1
    shift
    log "valgrind: libcurl $name"
    local out=$work/$name.out log=$work/$name.valgrind
    if ! vg "$log" "$driver" "$@" >"$out" 2>&1; then
      status=1
      echo "== $name: driver failed:"
      cat "$out"
    fi
    echo "== libcurl $name ($*): $(grep -E '^mode=' "$out" || echo 'no result line')"
    if ! summarize "$log"; then
      status=1
      echo "   LEAK: loss records follow"
      grep -E -A30 'are definitely lost|are indirectly lost' "$log" | sed -E 's/^==[0-9]+== ?/   /' | head -200
    fi
  }
  run requests requests "$N"
  run streams streams "$N"
  run pooled pooled "$N"
  run aborts aborts "$(((N + 9) / 10))"
  return $status
}

run_curl_soak() {  # N
  build_driver
  log "soak: libcurl, $1 HTTPS requests (alternating new-connection send / stream)"
  "$driver" soak "$1"
}

# Copies and builds the cpprestsdk probe, makes a CA/server cert, starts its HTTPS server on a free
# port and waits until it answers. Sets probe_dir and probe_url.
start_probe() {
  [[ -f $PROBE_SRC/client.cpp && -f $PROBE_SRC/server.py ]] || die "no cpprest probe in $PROBE_SRC"
  probe_dir=$work/cpprest-probe
  if [[ ! -x $probe_dir/client ]]; then
    mkdir -p "$probe_dir"
    cp "$PROBE_SRC/client.cpp" "$PROBE_SRC/server.py" "$probe_dir/"
    log "building the cpprestsdk probe in $probe_dir"
    (cd "$probe_dir" && g++ -std=c++17 -O2 client.cpp -o client -lcpprest -lssl -lcrypto -lboost_system -pthread) \
      || die "cannot build the cpprest probe (libcpprest-dev, libboost-system-dev)"
    (cd "$probe_dir" && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
      -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1) \
      || die "openssl failed"
  fi
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  (cd "$probe_dir" && exec python3 server.py "$port" 0 ca.crt ca.key >server.log 2>&1) &
  probe_server_pid=$!
  probe_url=https://localhost:$port
  local deadline=$((SECONDS + 20))
  until curl -sS --max-time 2 --cacert "$probe_dir/ca.crt" "$probe_url/watch?n=1" -o /dev/null 2>/dev/null; do
    kill -0 "$probe_server_pid" 2>/dev/null || die "probe server exited: $(cat "$probe_dir/server.log")"
    ((SECONDS < deadline)) || die "probe server not ready on port $port"
    sleep 0.05
  done
}

run_cpprest_valgrind() {  # N
  command -v valgrind >/dev/null || die "valgrind not installed"
  start_probe
  log "valgrind: cpprestsdk probe, $1 HTTPS requests on new clients"
  local out=$work/cpprest.out log=$work/cpprest.valgrind
  (cd "$probe_dir" && vg "$log" ./client "$probe_url" "$1" q) >"$out" 2>&1 || echo "== cpprest: client exited $?"
  echo "== cpprestsdk probe (client $probe_url $1 q): $(tail -n1 "$out")"
  if ! summarize "$log"; then
    echo "   (cpprestsdk leaks; comparison only) largest loss record:"
    grep -E -A14 'are definitely lost' "$log" | tail -n15 | sed -E 's/^==[0-9]+== ?/   /'
  fi
}

run_cpprest_soak() {  # N
  start_probe
  log "soak: cpprestsdk probe, $1 HTTPS requests on new clients"
  (cd "$probe_dir" && ./client "$probe_url" "$1" q) | sed -n '1p;$p' | sed 's/^/   cpprest soak: /'
}

case $mode in
  valgrind) run_curl_valgrind ;;
  soak) run_curl_soak "${2:-3000}" ;;
  cpprest) run_cpprest_valgrind "${2:-$N}" ;;
  cpprest-soak) run_cpprest_soak "${2:-3000}" ;;
  all)
    status=0
    run_curl_valgrind || status=1
    run_curl_soak 3000 || status=1
    run_cpprest_valgrind "$N"
    kill "$probe_server_pid" 2>/dev/null || true
    wait "$probe_server_pid" 2>/dev/null || true
    probe_server_pid=
    run_cpprest_soak 3000
    exit $status
    ;;
  *) die "usage: $0 [valgrind|soak [N]|cpprest [N]|cpprest-soak [N]|all]" ;;
esac
