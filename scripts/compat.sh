#!/usr/bin/env bash
# Wire compatibility between versions (docs/protocol.md, "Versions"): builds the edge and the
# connector of an earlier commit REF from the git history and runs each against this checkout's
# other side, on loopback:
#   1. this edge, REF's connector: enrollment, a session, HTTP, a public TCP port, an access client;
#   2. REF's edge, this connector: the same;
#   3. REF's edge and this edge on one store, each with a session of its own tunnel: a request to
#      each edge for the other's tunnel crosses an edge-to-edge link, both ways.
# Each step prints what it checked; the first failure prints the logs and exits non-zero.
#
#   scripts/compat.sh REF        e.g. scripts/compat.sh v0.1.0, or a commit
#
# REF's build goes to .tether/compat/target (kept: a second run with the same REF builds nothing).
# Outside CI (two release builds take longer than CI's budget allows). Needs curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

REF=${1:?usage: scripts/compat.sh REF (an earlier commit or tag)}
WORK=$PWD/.tether/compat
need_protoc
mkdir -p "$WORK"
echo "==> building this checkout's edge and connector (release)"
cargo build --release --quiet -p tether-edge -p tether-connector
NEW=$PWD/target/release
echo "==> building $REF's edge and connector (release, in $WORK)"
rm -rf "$WORK/src" && mkdir -p "$WORK/src"
git archive "$REF" | tar -x -C "$WORK/src"
(cd "$WORK/src" && CARGO_TARGET_DIR="$WORK/target" cargo build --release --quiet -p tether-edge -p tether-connector)
OLD=$WORK/target/release

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
fail() { echo "FAILED: $*"; for f in "$RUN"/*.log; do echo "--- $f"; tail -40 "$f"; done; exit 1; }

# edge_config DIR: an edge.yml in DIR with fresh ports and its state in STATE (shared when set).
edge_config() {
  local dir=$1 state=${2:-$1/state}
  mkdir -p "$dir"
  cat >"$dir/edge.yml" <<YAML
state-dir: $state
listen:
  http: 127.0.0.1:$(free_port)
  https: 127.0.0.1:$(free_port)
  tunnel: 127.0.0.1:$(free_port)
tls:
  dev-ca: true
YAML
}
port_of() { sed -n "s/^  $2: 127.0.0.1:\([0-9]*\)/\1/p" "$1/edge.yml"; }

# start_edge BIN DIR NAME: runs BIN's edge on DIR/edge.yml until the end.
start_edge() {
  "$1/edge" run --config "$2/edge.yml" >"$RUN/$3.log" 2>&1 &
  pids+=($!)
  wait_for "$RUN/$3.log" "edge ready"
}

# tunnel EDGE_BIN CONNECTOR_BIN DIR NAME HOST [TCP_PORT]: a tunnel created on DIR's edge, enrolled
# by CONNECTOR_BIN, routed for HTTP (HOST) and, with TCP_PORT, TCP (tcp-HOST on that port), and
# its connector run.
tunnel() {
  local eb=$1 cb=$2 dir=$3 name=$4 host=$5 tcp=${6:-}
  "$eb/edge" tunnel create "$name" --enroll --config "$dir/edge.yml" >"$RUN/$name.enroll"
  "$cb/connector" enroll "$(grep '^tether-enroll\.' "$RUN/$name.enroll")" --out "$RUN/$name" >/dev/null \
    || fail "$name: enrollment"
  "$eb/edge" tunnel route dns "$name" "$host" --config "$dir/edge.yml" >/dev/null
  if [ -n "$tcp" ]; then
    "$eb/edge" tunnel route tcp "$name" "tcp-$host" --port "$tcp" --config "$dir/edge.yml" >/dev/null
  fi
  cat >"$RUN/$name.yml" <<YAML
tunnel: $name
credentials-file: $(ls "$RUN/$name"/*.json)
ha-connections: 1
ingress:
  - hostname: $host
    service: hello_world
  - hostname: tcp-$host
    service: tcp://127.0.0.1:$ORIGIN
  - service: http_status:404
YAML
  "$cb/connector" run --config "$RUN/$name.yml" >"$RUN/$name-connector.log" 2>&1 &
  pids+=($!)
  wait_for "$RUN/$name-connector.log" "tunnel session registered"
}

# check DIR HOST TCP_PORT CONNECTOR_BIN WHAT: HTTPS and plain HTTP through DIR's edge, the public
# TCP port, and an access client of CONNECTOR_BIN through the HTTPS port.
check() {
  local dir=$1 host=$2 tcp=$3 cb=$4 what=$5
  local https http ca
  https=$(port_of "$dir" https) http=$(port_of "$dir" http)
  ca=$(grep state-dir "$dir/edge.yml" | cut -d' ' -f2)/ca.pem
  curl -fsS --cacert "$ca" --resolve "$host:$https:127.0.0.1" "https://$host:$https/" | grep -qi hello \
    || fail "$what: HTTPS"
  curl -fsS -H "Host: $host" "http://127.0.0.1:$http/" | grep -qi hello || fail "$what: HTTP"
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$tcp/marker" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fsS "http://127.0.0.1:$tcp/marker" | grep -q compat || fail "$what: public TCP port"
  local local_port; local_port=$(free_port)
  "$cb/connector" access tcp --hostname "tcp-$host" --edge "127.0.0.1:$https" --ca "$ca" \
    --url "127.0.0.1:$local_port" >"$RUN/access-$host.log" 2>&1 &
  pids+=($!)
  wait_for "$RUN/access-$host.log" "listening on tcp"
  curl -fsS "http://127.0.0.1:$local_port/marker" | grep -q compat || fail "$what: access client"
  echo "ok: $what (HTTPS, HTTP, public TCP port, access client)"
}

RUN=$WORK/run
rm -rf "$RUN" && mkdir -p "$RUN/www"
echo compat >"$RUN/www/marker"
ORIGIN=$(free_port)
python3 -m http.server "$ORIGIN" --bind 127.0.0.1 --directory "$RUN/www" >"$RUN/origin.log" 2>&1 &
pids+=($!)

echo "==> 1. this edge, $REF's connector"
edge_config "$RUN/e1"; start_edge "$NEW" "$RUN/e1" edge-new
T1=$(free_port); tunnel "$NEW" "$OLD" "$RUN/e1" one one.example.test "$T1"
check "$RUN/e1" one.example.test "$T1" "$OLD" "this edge with $REF's connector"

echo "==> 2. $REF's edge, this connector"
edge_config "$RUN/e2"; start_edge "$OLD" "$RUN/e2" edge-old
T2=$(free_port); tunnel "$OLD" "$NEW" "$RUN/e2" two two.example.test "$T2"
check "$RUN/e2" two.example.test "$T2" "$NEW" "$REF's edge with this connector"

echo "==> 3. links between $REF's edge and this edge, on one store"
edge_config "$RUN/e3" "$RUN/shared"; start_edge "$OLD" "$RUN/e3" linked-old
edge_config "$RUN/e4" "$RUN/shared"; start_edge "$NEW" "$RUN/e4" linked-new
# Each tunnel's only session is on one edge: its connector dials that edge's tunnel port. (No
# TCP port here: every edge on a store listens on every routed port.)
tunnel "$OLD" "$OLD" "$RUN/e3" three three.example.test
tunnel "$NEW" "$NEW" "$RUN/e4" four four.example.test
for pair in "e4 linked-new three.example.test new-to-old" "e3 linked-old four.example.test old-to-new"; do
  set -- $pair
  # The other edge follows the shared store: wait until it has the route, then until it knows
  # the session (its presence row, read within a poll; 530 until then).
  wait_for "$RUN/$2.log" "route added.*$3"
  shift
  ca=$RUN/shared/ca.pem https=$(port_of "$RUN/${pair%% *}" https)
  answered=""
  for _ in $(seq 150); do
    answered=$(curl -sS --cacert "$ca" --resolve "$2:$https:127.0.0.1" "https://$2:$https/" || true)
    grep -qi hello <<<"$answered" && break
    sleep 0.1
  done
  grep -qi hello <<<"$answered" || fail "link $3"
  echo "ok: a request for $2 crossed the link $3"
done
echo "compatible: $REF and this checkout, both ways"
