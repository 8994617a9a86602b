#!/usr/bin/env bash
# Raw TCP benchmark (docs/benchmarks.md): the direct path and a public TCP port of the edge
# (public port → TLS WebSocket session → connector → origin), alternated ROUNDS times.
#   iperf3 single stream and 8 streams (-P 8), Gbit/s received
#   connections opened per second (connect, 1-byte echo, close; 50 at a time) against an echo server
#   memory per idle open stream: (RSS with N connections held − RSS with none) / N, edge and
#   connector separately
# Usage: scripts/bench-tcp.sh [ROUNDS] [N_IDLE]   (default 3 and 10000; needs iperf3, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ROUNDS=${1:-3}
N_IDLE=${2:-10000}
for tool in iperf3 python3; do command -v $tool >/dev/null || { echo "needs $tool (apt-get install $tool)"; exit 1; }; done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

cargo build --release --quiet -p tether-edge -p tether-connector
cargo build --release --quiet -p tests --bin tcp_load
BIN=$PWD/target/release
WORK=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM
cd "$WORK"

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

IPERF_PORT=$(free_port); ECHO_PORT=$(free_port); IPERF_PUBLIC=$(free_port); ECHO_PUBLIC=$(free_port)
iperf3 -s -B 127.0.0.1 -p "$IPERF_PORT" >/dev/null 2>&1 & pids+=($!)
"$BIN/tcp_load" echo "127.0.0.1:$ECHO_PORT" > echo.log 2>&1 & pids+=($!)
wait_for echo.log "listening on"

cat > edge.yml <<YAML
state-dir: state
listen:
  http: 127.0.0.1:0
  tunnel: 127.0.0.1:0
max-concurrent-streams: 100000
YAML
RUST_LOG=warn,tether_edge::server=info,tether_edge::tcp_ports=info "$BIN/edge" run --config edge.yml > edge.log 2>&1 & EDGE_PID=$!; pids+=($EDGE_PID)
wait_for edge.log "edge ready"
"$BIN/edge" tunnel create bench --config edge.yml --credentials-file bench.json >/dev/null
"$BIN/edge" tunnel route tcp bench iperf.bench.test --port "$IPERF_PUBLIC" --config edge.yml >/dev/null
"$BIN/edge" tunnel route tcp bench echo.bench.test --port "$ECHO_PUBLIC" --config edge.yml >/dev/null
cat > tunnel.yml <<YAML
tunnel: bench
credentials-file: bench.json
ingress:
  - hostname: iperf.bench.test
    service: tcp://127.0.0.1:$IPERF_PORT
  - hostname: echo.bench.test
    service: tcp://127.0.0.1:$ECHO_PORT
  - service: http_status:404
YAML
RUST_LOG=warn,tether_connector::session=info,tether_connector::control=info "$BIN/connector" run --config tunnel.yml > connector.log 2>&1 & CONNECTOR_PID=$!; pids+=($CONNECTOR_PID)
wait_for connector.log "tunnel session registered"
wait_for edge.log "listening on tcp 127.0.0.1:$IPERF_PUBLIC"
wait_for edge.log "listening on tcp 127.0.0.1:$ECHO_PUBLIC"

gbits() { # PORT [iperf3 args]: Gbit/s received
  local port=$1; shift
  iperf3 -c 127.0.0.1 -p "$port" -t 5 -J "$@" | python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
}
single() { gbits "$1"; }
eight() { gbits "$1" -P 8; }
conns() { "$BIN/tcp_load" rate "127.0.0.1:$1" 5 50 | awk '$4 != 0 {print "errors: " $0 > "/dev/stderr"; exit 1} {print $2}'; }
port_of() { case "$1,$2" in direct,iperf) echo "$IPERF_PORT";; tunnel,iperf) echo "$IPERF_PUBLIC";; direct,echo) echo "$ECHO_PORT";; tunnel,echo) echo "$ECHO_PUBLIC";; esac; }

echo "round,metric,direct,tunnel,ratio"
for r in $(seq "$ROUNDS"); do
  for metric in single eight conns; do
    target=iperf; [ "$metric" = conns ] && target=echo
    d=$($metric "$(port_of direct $target)"); t=$($metric "$(port_of tunnel $target)")
    echo "$r,$metric,$d,$t,$(awk -v a="$d" -v b="$t" 'BEGIN{printf "%.3f", b/a}')"
  done
done

# Memory per idle open stream: N connections through the public port, held open.
sleep 2   # let connections from the rate test finish closing
edge0=$(rss_kib $EDGE_PID); conn0=$(rss_kib $CONNECTOR_PID)
mkfifo hold.in
"$BIN/tcp_load" hold "127.0.0.1:$ECHO_PUBLIC" "$N_IDLE" < hold.in > hold.log 2>&1 & HOLD_PID=$!; pids+=($HOLD_PID)
exec 3> hold.in
for _ in $(seq 1200); do grep -q "^held" hold.log && break; kill -0 $HOLD_PID 2>/dev/null || { cat hold.log; exit 1; }; sleep 0.1; done
grep -q "^held $N_IDLE" hold.log || { echo "could not hold $N_IDLE connections"; cat hold.log; exit 1; }
edge1=$(rss_kib $EDGE_PID); conn1=$(rss_kib $CONNECTOR_PID)
exec 3>&-
echo "idle,edge_rss_kib,$edge0,$edge1,$(awk -v a="$edge0" -v b="$edge1" -v n="$N_IDLE" 'BEGIN{printf "%.2f KiB/stream", (b-a)/n}')"
echo "idle,connector_rss_kib,$conn0,$conn1,$(awk -v a="$conn0" -v b="$conn1" -v n="$N_IDLE" 'BEGIN{printf "%.2f KiB/stream", (b-a)/n}')"
