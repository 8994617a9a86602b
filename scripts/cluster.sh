#!/usr/bin/env bash
# Runs a Tether cluster on this machine: a 3-member etcd (Debian's etcd-server) and three edges on
# 127.0.0.1, 127.0.0.2 and 127.0.0.3 sharing it, a tunnel routed for hello.example.test, and one
# connector (two sessions, on two edges) serving the built-in hello_world service. Prints what to
# try; Ctrl-C stops it all. Needs `etcd` (apt-get install etcd-server) and, to build, `protoc`
# (apt-get install protobuf-compiler).
#
# Ports (the same on each edge's address): TETHER_HTTP_PORT (8080), TETHER_HTTPS_PORT (8443),
# TETHER_TUNNEL_PORT (7844), TETHER_DNS_PORT (8053); etcd's client ports TETHER_ETCD_PORTS
# ("2379 22379 32379"), each peer port one above.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

HTTP_PORT=${TETHER_HTTP_PORT:-8080}
HTTPS_PORT=${TETHER_HTTPS_PORT:-8443}
TUNNEL_PORT=${TETHER_TUNNEL_PORT:-7844}
DNS_PORT=${TETHER_DNS_PORT:-8053}
read -r -a ETCD_PORTS <<<"${TETHER_ETCD_PORTS:-2379 22379 32379}"
HOST=hello.example.test
WORK=.tether/cluster

command -v etcd >/dev/null || { echo "etcd not found: apt-get install etcd-server"; exit 1; }
need_protoc
echo "==> building edge and connector (release)"
cargo build --release --quiet -p tether-edge -p tether-connector
BIN=$PWD/target/release

rm -rf "$WORK" && mkdir -p "$WORK"
cd "$WORK"
DIR=$PWD
# etcd fsyncs every write; on a tmpfs that costs nothing (this is a demo, not a deployment).
DATA=$(mktemp -d /dev/shm/tether-cluster-XXXXXX 2>/dev/null || mktemp -d)

pids=(); etcd_pids=(); edge_pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT INT TERM

initial=""
for i in 0 1 2; do
  initial+="${initial:+,}m$i=http://127.0.0.1:$((ETCD_PORTS[i] + 1))"
done
endpoints=""
for i in 0 1 2; do endpoints+="${endpoints:+, }http://127.0.0.1:${ETCD_PORTS[i]}"; done

echo "==> starting etcd: 3 members on 127.0.0.1:${ETCD_PORTS[*]}"
for i in 0 1 2; do
  c=${ETCD_PORTS[i]}; p=$((c + 1))
  etcd --name "m$i" --data-dir "$DATA/m$i" \
    --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
    --listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
    --initial-cluster "$initial" --initial-cluster-state new --initial-cluster-token tether-demo \
    >"etcd-$i.log" 2>&1 &
  pids+=($!); etcd_pids+=($!)
done
for i in 0 1 2; do wait_for "etcd-$i.log" "ready to serve client requests"; done

for n in 1 2 3; do
  mkdir -p "edge-$n"
  cat > "edge-$n/edge.yml" <<YAML
state-dir: state
edge-id: edge-$n
listen:
  http: 127.0.0.$n:$HTTP_PORT
  https: 127.0.0.$n:$HTTPS_PORT
  tunnel: 127.0.0.$n:$TUNNEL_PORT
  dns: 127.0.0.$n:$DNS_PORT
tls:
  dev-ca: true
advertise:
  addresses: [127.0.0.$n]       # what DNS answers for this edge
store:
  etcd:
    endpoints: [$endpoints]
    lease-ttl: 10s
dns:
  tunnel-zone: tunnels.example.test
  zones:
    - name: example.test
      name-servers:
        - name: ns1.example.test
          addresses: [127.0.0.1]
YAML
done

echo "==> starting three edges on 127.0.0.1, 127.0.0.2 and 127.0.0.3"
for n in 1 2 3; do
  (cd "edge-$n" && exec "$BIN/edge" run --config edge.yml >edge.log 2>&1) &
  pids+=($!); edge_pids+=($!)
done
for n in 1 2 3; do wait_for "edge-$n/edge.log" "edge ready"; done

echo "==> creating tunnel 'hello' (with the CLI of edge 1) and routing $HOST (with the CLI of edge 2)"
"$BIN/edge" tunnel create hello --config edge-1/edge.yml --credentials-file hello.json
"$BIN/edge" tunnel route dns hello "$HOST" --config edge-2/edge.yml
for n in 1 2 3; do wait_for "edge-$n/edge.log" "route added.*$HOST"; done

cat > tunnel.yml <<YAML
tunnel: hello
credentials-file: hello.json
ha-connections: 2
ingress:
  - hostname: $HOST
    service: hello_world
  - service: http_status:404
YAML
echo "==> starting the connector"
"$BIN/connector" run --config tunnel.yml >connector.log 2>&1 &
pids+=($!)
wait_for connector.log "tunnel session registered"

cat <<TXT

A Tether cluster is running on loopback (files and logs in $DIR).

Every edge serves the route (one holds no session and carries the request over a link):
  for n in 1 2 3; do curl -s -H 'Host: $HOST' http://127.0.0.\$n:$HTTP_PORT/ | head -1; done
Every edge's DNS answers the edges holding the tunnel:
  for n in 1 2 3; do dig +short @127.0.0.\$n -p $DNS_PORT $HOST; done
Any edge's CLI works on the cluster:
  $BIN/edge tunnel list --config $DIR/edge-3/edge.yml
What etcd holds:
  ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:${ETCD_PORTS[0]} get --prefix --keys-only /tether/

Then break it. Kill an edge: its DNS answers go within lease-ttl (10 s), the connector moves:
  kill -9 ${edge_pids[1]}       # edge 2
Freeze all of etcd: requests, sessions and DNS go on; 'edge tunnel route' fails until it is back:
  kill -STOP ${etcd_pids[*]}
  $BIN/edge tunnel route dns hello other.example.test --config $DIR/edge-1/edge.yml
  kill -CONT ${etcd_pids[*]}

Press Ctrl-C to stop.
TXT
if [ "${TETHER_CLUSTER_CHECK:-}" = 1 ]; then
  # TETHER_CLUSTER_CHECK=1: prove the printed lines work, then exit.
  for n in 1 2 3; do
    for _ in $(seq 300); do
      curl -fsS -H "Host: $HOST" "http://127.0.0.$n:$HTTP_PORT/" >/dev/null 2>&1 && break
      sleep 0.1
    done
    curl -fsS -H "Host: $HOST" "http://127.0.0.$n:$HTTP_PORT/" | head -1
  done
  exit 0
fi
wait
