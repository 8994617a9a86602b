#!/usr/bin/env bash
# Runs the Autobahn|Testsuite fuzzing client against a WebSocket echo origin twice, directly and
# through a Tether tunnel on loopback (edge, connector, public ws://), and compares the verdict of
# every case: a relay that changes nothing gives the same ones. Exits 1 if any case differs.
# Not part of CI (it takes minutes and needs root).
#
# wstest needs Python 2: the first run builds a Debian bullseye chroot with debootstrap (Debian's
# registry) and autobahntestsuite from PyPI, in $AUTOBAHN_DIR (/var/tmp/autobahn), a few minutes.
# The echo origin is tokio-tungstenite's (the benchmark harness's `bench ws-echo-origin`), which
# sends each echo before it reads the next frame; AUTOBAHN_ORIGIN=wstest uses Autobahn's own
# (`wstest -m echoserver`, Twisted), whose verdicts for cases 3.4 and 4.2.5 vary run to run even
# directly: it queues an echo and then drops the connection, with the echo, at the invalid frame.
#
# Usage: scripts/autobahn.sh [CASES]   CASES: the spec's "cases" as JSON (default ["*"]),
#        e.g. scripts/autobahn.sh '["3.*","4.*"]'. Reports: .tether/autobahn/reports/index.html
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

CASES=${1:-'["*"]'}
D=${AUTOBAHN_DIR:-/var/tmp/autobahn}
WORK=$PWD/.tether/autobahn
HOST=ws.example.test

build_wstest() {
  [ -x "$D/opt/wstest/bin/wstest" ] && return 0
  echo "==> building wstest (Python 2) in a Debian bullseye chroot at $D"
  command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null
  [ -x "$D/usr/bin/apt-get" ] || debootstrap --variant=minbase bullseye "$D" >/dev/null
  cp /etc/resolv.conf "$D/etc/resolv.conf" 2>/dev/null || true
  chroot "$D" apt-get install -y -q python2.7 python2.7-dev python-pip-whl virtualenv gcc \
    libffi-dev libssl-dev >/dev/null
  chroot "$D" virtualenv -p python2.7 /opt/wstest >/dev/null
  # pip inside the chroot uses the host's package-index settings and CA bundle.
  mkdir -p "$D/etc/ssl/certs"; cp /etc/ssl/certs/ca-certificates.crt "$D/etc/ssl/certs/"
  if [ -f /etc/pip.conf ]; then sed '/find-links/d' /etc/pip.conf >"$D/etc/pip.conf"; fi
  PIP_CERT=/etc/ssl/certs/ca-certificates.crt chroot "$D" /opt/wstest/bin/pip install -q pip==20.3.4
  PIP_CERT=/etc/ssl/certs/ca-certificates.crt chroot "$D" /opt/wstest/bin/pip install -q \
    wsaccel==0.6.3 ujson==2.0.3 autobahntestsuite==25.10.1
}

build_wstest
need_protoc
echo "==> building edge and connector (release)"
cargo build --release --quiet -p tether-edge -p tether-connector -p tests --bin bench
BIN=$PWD/target/release
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

if [ "${AUTOBAHN_ORIGIN:-}" = wstest ]; then
  ECHO_PORT=$(free_port)
  chroot "$D" /opt/wstest/bin/wstest -m echoserver -w "ws://127.0.0.1:$ECHO_PORT" >origin.log 2>&1 &
  pids+=($!)
  wait_for origin.log "Listening"
else
  "$BIN/bench" ws-echo-origin >origin.log 2>&1 &
  pids+=($!)
  wait_for origin.log "listening on"
  ECHO_PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' origin.log)
fi
echo "==> echo origin on 127.0.0.1:$ECHO_PORT"

HTTP_PORT=$(free_port)
TUNNEL_PORT=$(free_port)
cat >edge.yml <<YAML
state-dir: state
listen:
  http: 127.0.0.1:$HTTP_PORT
  tunnel: 127.0.0.1:$TUNNEL_PORT
tls:
  dev-ca: true
YAML
"$BIN/edge" run --config edge.yml >edge.log 2>&1 &
pids+=($!)
wait_for edge.log "edge ready"
TOKEN=$("$BIN/edge" tunnel create autobahn --enroll --config edge.yml | grep '^tether-enroll\.')
CREDENTIALS=$("$BIN/connector" enroll "$TOKEN" --out . |
  sed -n 's/^Enrolled: credentials written to \([^ ]*\) .*/\1/p')
"$BIN/edge" tunnel route dns autobahn "$HOST" --config edge.yml >/dev/null
wait_for edge.log "route added.*$HOST"
cat >tunnel.yml <<YAML
tunnel: autobahn
credentials-file: $CREDENTIALS
ingress:
  - service: http://127.0.0.1:$ECHO_PORT
    originRequest:
      httpHostHeader: 127.0.0.1:$ECHO_PORT   # Autobahn's server checks the Host's port
YAML
"$BIN/connector" run --config tunnel.yml >connector.log 2>&1 &
pids+=($!)
wait_for connector.log "tunnel session registered"

grep -q " $HOST\$" "$D/etc/hosts" || echo "127.0.0.1 $HOST" >>"$D/etc/hosts"
rm -rf "$D/autobahn" && mkdir -p "$D/autobahn/reports"
cat >"$D/autobahn/fc.json" <<JSON
{"outdir": "/autobahn/reports",
 "servers": [{"agent": "direct", "url": "ws://127.0.0.1:$ECHO_PORT"},
             {"agent": "tether", "url": "ws://$HOST:$HTTP_PORT"}],
 "cases": $CASES, "exclude-cases": [], "exclude-agent-cases": {}}
JSON
echo "==> running the fuzzing client, directly and through the tunnel (cases $CASES)"
chroot "$D" /opt/wstest/bin/wstest -m fuzzingclient -s /autobahn/fc.json >wstest.log 2>&1
rm -rf reports && cp -r "$D/autobahn/reports" reports
python3 - reports/index.json <<'PY'
import json, sys
index = json.load(open(sys.argv[1]))
direct, tether = index["direct"], index["tether"]
key = lambda c: [int(p) for p in c.split(".")]
differ = [c for c in sorted(direct, key=key) if direct[c]["behavior"] != tether.get(c, {}).get("behavior")]
for c in differ:
    print(f"case {c}: direct {direct[c]['behavior']}, through Tether {tether.get(c, {}).get('behavior')}")
counts = {}
for c in tether.values():
    counts[c["behavior"]] = counts.get(c["behavior"], 0) + 1
print(f"{len(direct)} cases; through Tether: {counts}; {len(differ)} verdicts differ from direct")
sys.exit(1 if differ else 0)
PY
