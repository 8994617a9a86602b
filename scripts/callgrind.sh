#!/usr/bin/env bash
# Instructions per small request at the edge or the connector, counted by callgrind: repeatable
# for the same binary and inputs whatever else the machine is doing (docs/benchmarks.md).
#
#   scripts/callgrind.sh edge|connector [REQUESTS]
#   TETHER_CG_BULK=MIB scripts/callgrind.sh edge|connector
#
# Starts nginx serving a 200-byte file, an edge and a connector on loopback with one of the two
# under `valgrind --tool=callgrind` (instrumentation off until the warm-up is done), sends
# REQUESTS (2000) HTTP/1.1 requests at one connection with h2load through the edge's public port,
# and prints the total and per-request instruction counts and the top functions. The profile is
# kept in .tether/callgrind/ for `callgrind_annotate`. With TETHER_CG_BULK=MIB it sends MIB MiB
# with iperf3 (one stream) through a public TCP port to an iperf3 server instead, and prints the
# instructions per MiB: the cost per byte of the L4 path. (Bulk also needs iperf3.)
# Needs: apt-get install valgrind nginx nghttp2-client curl
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

SIDE=${1:?usage: scripts/callgrind.sh edge|connector [REQUESTS]}
N=${2:-2000}
case "$SIDE" in edge | connector) ;; *) echo "edge or connector, not '$SIDE'" >&2; exit 2 ;; esac
NGINX_PORT=${TETHER_CG_NGINX_PORT:-18090}
HTTP_PORT=${TETHER_CG_HTTP_PORT:-18180}
TUNNEL_PORT=${TETHER_CG_TUNNEL_PORT:-18744}
HOST=bench.example.test
IPERF_PORT=${TETHER_CG_IPERF_PORT:-18201}
TCP_PORT=${TETHER_CG_TCP_PORT:-18202}
BULK=${TETHER_CG_BULK:-}
WORK=.tether/callgrind

cargo build --release --quiet -p tether-edge -p tether-connector
BIN=$PWD/target/release
rm -rf "$WORK" && mkdir -p "$WORK/www"
cd "$WORK"
WORK=$PWD
head -c 200 /dev/zero | tr '\0' x >www/small.txt

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f nginx.pid ] && kill "$(cat nginx.pid)" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

cat >nginx.conf <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:$NGINX_PORT; root $WORK/www; keepalive_requests 1000000; }
}
CONF
nginx -c "$WORK/nginx.conf"

cat >edge.yml <<YAML
state-dir: state
listen:
  http: 127.0.0.1:$HTTP_PORT
  tunnel: 127.0.0.1:$TUNNEL_PORT
# The per-address rate limit stays on (its check is part of the cost) but cannot bind: every
# request here comes from 127.0.0.1, far past the default 100 per second.
rate-limit:
  requests-per-second: 1000000
  burst: 1000000
YAML
cat >tunnel.yml <<YAML
tunnel: cg
credentials-file: cg.json
ingress:
  - hostname: $HOST
    service: http://127.0.0.1:$NGINX_PORT
  - hostname: iperf.example.test
    service: tcp://127.0.0.1:$IPERF_PORT
  - service: http_status:404
YAML

export RUST_LOG=info,access=warn
callgrind=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/callgrind.out")
edge=("$BIN/edge" run --config edge.yml)
connector=("$BIN/connector" run --config tunnel.yml)
if [ "$SIDE" = edge ]; then edge=("${callgrind[@]}" "${edge[@]}"); fi
"${edge[@]}" >edge.log 2>&1 &
pids+=($!)
wait_for edge.log "edge ready" 60
"$BIN/edge" tunnel create cg --config edge.yml --credentials-file cg.json >/dev/null
"$BIN/edge" tunnel route dns cg "$HOST" --config edge.yml >/dev/null
if [ "$SIDE" = connector ]; then connector=("${callgrind[@]}" "${connector[@]}"); fi
"${connector[@]}" >connector.log 2>&1 &
pids+=($!)
wait_for connector.log "tunnel session registered" 60

load() {
  h2load --h1 -c 1 -t 1 -n "$1" -H ":authority: $HOST" "http://127.0.0.1:$HTTP_PORT/small.txt"
}
for _ in $(seq 300); do
  curl -fs -o /dev/null -H "Host: $HOST" "http://127.0.0.1:$HTTP_PORT/small.txt" && break
  sleep 0.1
done
load 200 >/dev/null # warm-up: pools, tables and caches filled before counting
profiled=${pids[-1]}
[ "$SIDE" = edge ] && profiled=${pids[0]}
if [ -n "$BULK" ]; then
  iperf3 -s -B 127.0.0.1 -p "$IPERF_PORT" >iperf.log 2>&1 &
  pids+=($!)
  "$BIN/edge" tunnel route tcp cg iperf.example.test --port "$TCP_PORT" --config edge.yml >/dev/null
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$TCP_PORT") 2>/dev/null && break
    sleep 0.1
  done
  callgrind_control -i on "$profiled" >/dev/null 2>&1
  iperf3 -c 127.0.0.1 -p "$TCP_PORT" -n "${BULK}M" >iperf-client.log 2>&1 ||
    { echo "iperf3 failed:"; cat iperf-client.log; exit 1; }
  callgrind_control -i off "$profiled" >/dev/null 2>&1
  callgrind_control -d "$profiled" >/dev/null 2>&1
  N=$BULK
  unit=MiB
else
  callgrind_control -i on "$profiled" >/dev/null 2>&1
  out=$(load "$N")
  callgrind_control -i off "$profiled" >/dev/null 2>&1
  callgrind_control -d "$profiled" >/dev/null 2>&1
  grep -q "$N succeeded" <<<"$out" || { echo "requests failed:"; echo "$out"; exit 1; }
  unit=request
fi

profile=$(ls -t "$WORK"/callgrind.out* | head -1)
total=$(callgrind_annotate "$profile" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
echo "$SIDE: $total instructions for $N ${unit}s, $((total / N)) per $unit ($profile)"
echo "(memset counts high under callgrind: rep stosb is counted per iteration)"
callgrind_annotate "$profile" 2>/dev/null | grep -A 15 'file:function' | tail -n 15
