#!/usr/bin/env bash
# DNS benchmark (docs/benchmarks.md): dnsperf against Tether's authoritative DNS and, in the same
# run, NSD serving the same zone (taken from Tether by AXFR), rate limiting off on both,
# alternated ROUNDS times. Prints QPS of each and the ratio.
# Usage: scripts/bench-dns.sh [ROUNDS] [SECONDS]   (default 3 rounds of 10 s; needs dnsperf, nsd, dig)
# TETHER_PROFILE=FILE records a perf profile of the edge during the first Tether run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ROUNDS=${1:-3}
SECS=${2:-10}
for tool in dnsperf nsd dig; do command -v $tool >/dev/null || { echo "needs $tool (apt-get install dnsperf nsd bind9-dnsutils)"; exit 1; }; done

# TETHER_BIN=DIR uses the edge binary in DIR (the bench harness passes its own) instead of building.
if [ -z "${TETHER_BIN:-}" ]; then
  cargo build --release --quiet -p tether-edge
  TETHER_BIN=$PWD/target/release
fi
BIN=$TETHER_BIN
WORK=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM
chmod 755 "$WORK"
cd "$WORK"


TETHER_PORT=$(free_port); NSD_PORT=$(free_port)
cat > edge.yml <<YAML
state-dir: state
listen:
  http: 127.0.0.1:0
  tunnel: 127.0.0.1:0
  dns: 127.0.0.1:$TETHER_PORT
advertise:
  addresses: [127.0.0.1, "::1"]
dns:
  tunnel-zone: tunnels.example.test
  transfer-allow: [127.0.0.1]
  rate-limit:
    responses-per-second: 0
  zones:
    - name: example.test
      name-servers:
        - name: ns1.example.test
          addresses: [127.0.0.1]
      records:
        - "www 300 IN A 192.0.2.10"
        - "mail 300 IN A 192.0.2.25"
        - "@ 300 IN MX 10 mail"
YAML
"$BIN/edge" run --config edge.yml > edge.log 2>&1 & pids+=($!)
EDGE_PID=$!
wait_for edge.log "edge ready"
# 20 tunnels with 5 routed hostnames each: 100 CNAMEs into 20 endpoint names.
for t in $(seq 20); do
  "$BIN/edge" tunnel create "t$t" --config edge.yml --credentials-file "t$t.json" >/dev/null
  for h in $(seq 5); do
    "$BIN/edge" tunnel route dns "t$t" "app$t-$h.example.test" --config edge.yml >/dev/null
  done
done
ready=
for _ in $(seq 100); do
  [ "$(dig @127.0.0.1 -p "$TETHER_PORT" +short app20-5.example.test A | tail -1)" = 127.0.0.1 ] && { ready=1; break; }
  sleep 0.1
done
[ -n "$ready" ] || { echo "Tether never answered the routes"; cat edge.log; exit 1; }

# The same zone for NSD, from Tether itself.
dig @127.0.0.1 -p "$TETHER_PORT" +nocmd +nostats +nocomments example.test AXFR | grep -v '^;' | awk 'NF' | sed '$d' > example.test.zone
cat > nsd.conf <<CONF
server:
  ip-address: 127.0.0.1@$NSD_PORT
  server-count: 2
  username: ""
  chroot: ""
  zonesdir: "$WORK"
  database: ""
  pidfile: "$WORK/nsd.pid"
  xfrdfile: "$WORK/xfrd.state"
  zonelistfile: "$WORK/zone.list"
  logfile: "$WORK/nsd.log"
  rrl-ratelimit: 0
  minimal-responses: yes   # like Tether: no NS RRset in the authority section of answers
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: example.test
  zonefile: example.test.zone
CONF
nsd -d -c nsd.conf > nsd.out 2>&1 & pids+=($!)
ready=
for _ in $(seq 100); do dig @127.0.0.1 -p "$NSD_PORT" +short www.example.test A | grep -q 192.0.2.10 && { ready=1; break; }; sleep 0.1; done
[ -n "$ready" ] || { echo "NSD never answered"; cat nsd.out nsd.log; exit 1; }

# Queries: routed hostnames (CNAME + chased A), endpoint names, static names, NXDOMAIN, NS.
{
  for t in $(seq 20); do for h in $(seq 5); do echo "app$t-$h.example.test A"; done; done
  awk '$4 == "A" && $1 ~ /tunnels/ { print $1, "A" }' example.test.zone | sort -u
  for i in $(seq 20); do echo "www.example.test A"; echo "mail.example.test A"; echo "nope$i.example.test A"; done
  echo "example.test NS"; echo "example.test MX"
} > queries.txt
echo "zone: $(wc -l < example.test.zone) records; $(wc -l < queries.txt) queries per pass, $(sort -u queries.txt | wc -l) distinct"

# Both answer the same: compare one of each kind.
for q in "app3-2.example.test A" "nope1.example.test A" "example.test MX"; do
  a=$(dig @127.0.0.1 -p "$TETHER_PORT" +noall +answer +authority $q | sort)
  b=$(dig @127.0.0.1 -p "$NSD_PORT" +noall +answer +authority $q | sort)
  [ "$a" = "$b" ] || { echo "answers differ for $q:"; echo "$a"; echo "--- nsd:"; echo "$b"; exit 1; }
done

qps() { dnsperf -s 127.0.0.1 -p "$1" -d queries.txt -l "$SECS" -c 4 -q 200 2>&1 | awk '/Queries per second/ { print $4 }'; }
echo "round  tether_qps  nsd_qps  ratio"
ratios=()
for r in $(seq "$ROUNDS"); do
  if [ -n "${TETHER_PROFILE:-}" ] && [ "$r" = 1 ]; then
    perf record -o "$TETHER_PROFILE" -F 999 -g -p "$EDGE_PID" -- sleep "$SECS" >/dev/null 2>&1 &
  fi
  t=$(qps "$TETHER_PORT"); n=$(qps "$NSD_PORT")
  ratio=$(python3 -c "print(f'{$t/$n:.3f}')")
  ratios+=("$ratio")
  echo "$r  $t  $n  $ratio"
done
python3 -c "import statistics,sys; r=[float(x) for x in sys.argv[1:]]; print(f'median ratio {statistics.median(r):.3f} (min {min(r):.3f}, max {max(r):.3f})')" "${ratios[@]}"
