#!/usr/bin/env bash
# Installs what the test suite drives (real servers and clients, never mocks) with apt-get, when
# any of it is missing: as root on Debian or Ubuntu. `scripts/test.sh` and `.ci/run` call it.
set -euo pipefail

need=()
command -v curl >/dev/null || need+=(curl)
command -v systemd-analyze >/dev/null || need+=(systemd)   # service install: the unit passes `systemd-analyze verify`
command -v dig >/dev/null || need+=(bind9-dnsutils)   # the DNS tests drive the real dig
command -v kdig >/dev/null || need+=(knot-dnsutils)   # ... and kdig
command -v redis-server >/dev/null || need+=(redis-server)   # TCP tests: redis-cli through a public port
command -v redis-cli >/dev/null || need+=(redis-tools)
command -v iperf3 >/dev/null || need+=(iperf3)   # TCP tests: 1 GB through a public port
command -v ssh >/dev/null || need+=(openssh-client)   # TCP tests: ssh with access tcp as ProxyCommand
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
# The benchmark harness's smoke test (tests/tests/bench.rs) drives every load generator once.
command -v wrk >/dev/null || need+=(wrk)
command -v h2load >/dev/null || need+=(nghttp2-client)
[ -x /usr/sbin/nginx ] || need+=(nginx)
command -v dnsperf >/dev/null || need+=(dnsperf)
[ -x /usr/sbin/nsd ] || need+=(nsd)
# etcd-client builds etcd's protobufs with protoc; the cluster tests start real etcd members.
command -v protoc >/dev/null || need+=(protobuf-compiler)
# ... and its imports google/protobuf/*.proto (a Recommends of protobuf-compiler, not installed here).
[ -f /usr/include/google/protobuf/descriptor.proto ] || need+=(libprotobuf-dev)
command -v etcd >/dev/null || need+=(etcd-server)
command -v etcdctl >/dev/null || need+=(etcd-client)
# The package test builds .debs (dpkg-deb, strip) and installs them into a scratch root.
command -v strip >/dev/null || need+=(binutils)
command -v dpkg-deb >/dev/null || need+=(dpkg)
# The certificate tests order from a real ACME CA.
command -v pebble >/dev/null || need+=(pebble)
# The transport tests dial through a real HTTP proxy with basic authentication.
[ -x /usr/sbin/squid ] || need+=(squid)
command -v htpasswd >/dev/null || need+=(apache2-utils)
# The dashboard tests drive a real headless Chromium over the DevTools protocol.
command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/test-deps.sh: the tests need these Debian packages; run as root, or install them: ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
