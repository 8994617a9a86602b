#!/usr/bin/env bash
# Runs a complete Tether tunnel on loopback: an edge with its dev CA and its authoritative DNS for
# example.test, a tunnel created, enrolled and routed, and a connector serving the built-in hello_world
# service, plus a raw TCP service (python3's http.server, as any TCP server) on a public TCP port.
# Prints what to try; Ctrl-C stops it.
#
# The admin API and its dashboard listen on 127.0.0.1:7070 with a write token printed at the end.
#
# Ports can be changed with TETHER_HTTP_PORT, TETHER_HTTPS_PORT, TETHER_TUNNEL_PORT,
# TETHER_DNS_PORT, TETHER_TCP_PORT (the public TCP port), TETHER_TCP_ORIGIN_PORT and
# TETHER_ADMIN_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

HTTP_PORT=${TETHER_HTTP_PORT:-8080}
HTTPS_PORT=${TETHER_HTTPS_PORT:-8443}
TUNNEL_PORT=${TETHER_TUNNEL_PORT:-7844}
DNS_PORT=${TETHER_DNS_PORT:-8053}
TCP_PORT=${TETHER_TCP_PORT:-9000}
TCP_ORIGIN_PORT=${TETHER_TCP_ORIGIN_PORT:-9001}
ADMIN_PORT=${TETHER_ADMIN_PORT:-7070}
HOST=hello.example.test
TCP_HOST=files.example.test
WORK=.tether/quickstart

need_protoc
echo "==> building edge and connector (release)"
cargo build --release --quiet -p tether-edge -p tether-connector
BIN=$PWD/target/release

rm -rf "$WORK" && mkdir -p "$WORK"
cd "$WORK"
cat > edge.yml <<YAML
state-dir: state
listen:
  http: 127.0.0.1:$HTTP_PORT
  https: 127.0.0.1:$HTTPS_PORT
  tunnel: 127.0.0.1:$TUNNEL_PORT
  dns: 127.0.0.1:$DNS_PORT       # UDP and TCP
tls:
  dev-ca: true   # issues certificates for routed hostnames from the edge's own CA (state/ca.pem)
advertise:
  addresses: [127.0.0.1]         # what DNS answers for this edge
admin:
  listen: 127.0.0.1:$ADMIN_PORT  # the admin API and dashboard (tokens: edge admin token create)
dns:
  tunnel-zone: tunnels.example.test
  zones:
    - name: example.test
      name-servers:
        - name: ns1.example.test
          addresses: [127.0.0.1]
YAML

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# wait_for LOG PATTERN: waits (at most 30 s) until PATTERN appears in LOG.
echo "==> starting the edge"
"$BIN/edge" run --config edge.yml >edge.log 2>&1 &
pids+=($!)
wait_for edge.log "edge ready"

echo "==> creating tunnel 'quickstart', enrolling this site for it, and routing $HOST to it"
"$BIN/edge" tunnel create quickstart --enroll --config edge.yml | tee enroll.txt
TOKEN=$(grep '^tether-enroll\.' enroll.txt)
# The site (here, the same machine) makes its key and redeems the one-time token.
"$BIN/connector" enroll "$TOKEN" --out . | tee enrolled.txt
CREDENTIALS=$(sed -n 's/^Enrolled: credentials written to \([^ ]*\) .*/\1/p' enrolled.txt)
"$BIN/edge" tunnel route dns quickstart "$HOST" --config edge.yml
wait_for edge.log "route added.*$HOST"

echo "==> starting a TCP service (python3 -m http.server on 127.0.0.1:$TCP_ORIGIN_PORT) and routing $TCP_HOST to it on TCP port $TCP_PORT"
python3 -m http.server "$TCP_ORIGIN_PORT" --bind 127.0.0.1 >tcp-origin.log 2>&1 &
pids+=($!)
"$BIN/edge" tunnel route tcp quickstart "$TCP_HOST" --port "$TCP_PORT" --config edge.yml
wait_for edge.log "listening on tcp 127.0.0.1:$TCP_PORT"

cat > tunnel.yml <<YAML
tunnel: quickstart
credentials-file: $CREDENTIALS
ingress:
  - hostname: $HOST
    service: hello_world
  - hostname: $TCP_HOST
    service: tcp://127.0.0.1:$TCP_ORIGIN_PORT
  - service: http_status:404
YAML

echo "==> starting the connector"
"$BIN/connector" run --config tunnel.yml >connector.log 2>&1 &
pids+=($!)
wait_for connector.log "tunnel session registered"

ADMIN_TOKEN=$("$BIN/edge" admin token create quickstart --role write --ttl 1day --config edge.yml | grep '^tadm_')

DIR=$PWD
cat <<TXT

Tether is running on loopback (files and logs in $DIR).

  URL:   https://$HOST:$HTTPS_PORT/

Try it:
  curl --cacert $DIR/state/ca.pem --resolve $HOST:$HTTPS_PORT:127.0.0.1 https://$HOST:$HTTPS_PORT/
  curl -H 'Host: $HOST' http://127.0.0.1:$HTTP_PORT/
  dig @127.0.0.1 -p $DNS_PORT $HOST     # CNAME to the tunnel's endpoint, then the edge's address
  $BIN/edge tunnel list --config $DIR/edge.yml

Raw TCP (docs/tcp.md): $TCP_HOST is a TCP service behind the tunnel, on the edge's public port $TCP_PORT:
  curl http://127.0.0.1:$TCP_PORT/tunnel.yml
and through the edge's HTTPS port with the access client (as ssh's ProxyCommand would use it):
  $BIN/connector access tcp --hostname $TCP_HOST --edge 127.0.0.1:$HTTPS_PORT --ca $DIR/state/ca.pem --url 127.0.0.1:9002 &
  curl http://127.0.0.1:9002/tunnel.yml

The dashboard and admin API (docs/operations.md#the-admin-api-and-dashboard):
  open http://127.0.0.1:$ADMIN_PORT/ and log in with this write token:
  $ADMIN_TOKEN
  $BIN/edge tunnel list --api http://127.0.0.1:$ADMIN_PORT --api-token $ADMIN_TOKEN   # the CLI, without the store
  curl -H "Authorization: Bearer $ADMIN_TOKEN" http://127.0.0.1:$ADMIN_PORT/api/v1/sessions

Press Ctrl-C to stop.
TXT
if [ "${TETHER_QUICKSTART_CHECK:-}" = 1 ]; then
  # TETHER_QUICKSTART_CHECK=1 (run by hand and before each stop): prove the printed lines work, then exit.
  curl -fsS --cacert "$DIR/state/ca.pem" --resolve "$HOST:$HTTPS_PORT:127.0.0.1" "https://$HOST:$HTTPS_PORT/" | head -1
  curl -fsS "http://127.0.0.1:$TCP_PORT/tunnel.yml" | head -1
  "$BIN/edge" tunnel list --api "http://127.0.0.1:$ADMIN_PORT" --api-token "$ADMIN_TOKEN" | grep -q quickstart
  curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" "http://127.0.0.1:$ADMIN_PORT/api/v1/sessions" | head -c 120; echo
  curl -fsS "http://127.0.0.1:$ADMIN_PORT/" | grep -q '<title>Tether</title>'
  if command -v dig >/dev/null; then
    # The DNS follows the store within a watch interval: ask until the chain is there (30 s at most).
    for _ in $(seq 300); do
      answer=$(dig @127.0.0.1 -p "$DNS_PORT" +noall +answer "$HOST")
      grep -qE "IN[[:space:]]+A[[:space:]]+127\.0\.0\.1" <<<"$answer" && break
      sleep 0.1
    done
    echo "$answer"
    grep -qE "IN[[:space:]]+A[[:space:]]+127\.0\.0\.1" <<<"$answer"
  fi
  exit 0
fi
wait
