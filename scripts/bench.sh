#!/usr/bin/env bash
# First benchmark of the core tunnel (docs/benchmarks.md): nginx on loopback, directly and through
# Tether (edge plain-HTTP listener → TLS WebSocket session → connector → nginx), alternated.
#   small requests: wrk -t2 -c50 -d10s, requests/s
#   bulk: a 1 GiB download and a 1 GiB upload with curl, MB/s
# Usage: scripts/bench.sh [ROUNDS]   (default 3; needs wrk, nginx, curl)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ROUNDS=${1:-3}
for tool in wrk nginx curl; do command -v $tool >/dev/null || { echo "needs $tool (apt-get install $tool)"; exit 1; }; done

cargo build --release --quiet -p tether-edge -p tether-connector
BIN=$PWD/target/release
WORK=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM
chmod 755 "$WORK"   # nginx workers run as nobody
cd "$WORK"


NGINX_PORT=$(free_port); EDGE_PORT=$(free_port)
mkdir -p www logs
head -c 200 /dev/zero | tr '\0' 'x' > www/small.txt
truncate -s 1G www/big.bin
truncate -s 1G upload.bin
cat > nginx.conf <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  client_body_temp_path $WORK/logs;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
    keepalive_requests 1000000;
    location /upload { client_max_body_size 0; return 204; }
  }
}
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK" & pids+=($!)

cat > edge.yml <<YAML
state-dir: state
listen:
  http: 127.0.0.1:$EDGE_PORT
  tunnel: 127.0.0.1:0
rate-limit:
  requests-per-second: 0   # wrk sends everything from 127.0.0.1
YAML
RUST_LOG=warn,tether_edge::server=info "$BIN/edge" run --config edge.yml > edge.log 2>&1 & pids+=($!)
wait_for edge.log "edge ready"
"$BIN/edge" tunnel create bench --config edge.yml --credentials-file bench.json >/dev/null
"$BIN/edge" tunnel route dns bench bench.example.test --config edge.yml >/dev/null
cat > tunnel.yml <<YAML
tunnel: bench
credentials-file: bench.json
ingress:
  - service: http://127.0.0.1:$NGINX_PORT
YAML
RUST_LOG=info "$BIN/connector" run --config tunnel.yml > connector.log 2>&1 & pids+=($!)
wait_for connector.log "tunnel session registered"
# The route reaches the edge's table within one watch interval; wait until it answers.
for _ in $(seq 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: bench.example.test' http://127.0.0.1:$EDGE_PORT/small.txt)" = 200 ] && break; sleep 0.1; done

DIRECT=http://127.0.0.1:$NGINX_PORT
TUNNEL=http://127.0.0.1:$EDGE_PORT
HOSTH='Host: bench.example.test'
rps() {
  local out; out=$(wrk -t2 -c50 -d10s -H "$HOSTH" "$1/small.txt")
  if grep -q "Non-2xx" <<<"$out"; then echo "wrk saw errors against $1:" >&2; echo "$out" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}
check() { [ "$(curl -s -o /dev/null -w '%{http_code}' -H "$HOSTH" "$1/big.bin" -r 0-0)" = 206 ] || { echo "cannot fetch big.bin from $1" >&2; exit 1; }; }
down() { curl -s -o /dev/null -H "$HOSTH" -w '%{speed_download}' "$1/big.bin" | awk '{printf "%.0f", $1/1e6}'; }
up() { curl -s -o /dev/null -H "$HOSTH" -T upload.bin -w '%{speed_upload}' "$1/upload" | awk '{printf "%.0f", $1/1e6}'; }

check "$DIRECT"; check "$TUNNEL"
echo "round,metric,direct,tunnel,ratio"
for r in $(seq "$ROUNDS"); do
  for metric in rps down up; do
    d=$($metric "$DIRECT"); t=$($metric "$TUNNEL")
    echo "$r,$metric,$d,$t,$(awk -v a="$d" -v b="$t" 'BEGIN{printf "%.3f", b/a}')"
  done
done
