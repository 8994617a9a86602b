# Helpers the scripts share; each sources it from the repository root (`. scripts/lib.sh`).

# wait_for FILE PATTERN [SECONDS]: until a line of FILE (a process's log) matches PATTERN, for at
# most SECONDS (30); on timeout print the log and exit.
wait_for() {
  for _ in $(seq $((${3:-30} * 10))); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1:"; cat "$1"; exit 1
}

# free_port: a TCP port free on 127.0.0.1 now, for programs that cannot listen on port 0.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# need_protoc: etcd-client (the cluster store) builds etcd's protobufs with protoc; installs it
# with apt-get when running as root, else says how and exits.
# etcd's protos import google/protobuf/*.proto, which come with libprotobuf-dev (a Recommends of
# protobuf-compiler, so a machine installed without recommends has protoc but not them).
need_protoc() {
  command -v protoc >/dev/null && [ -f /usr/include/google/protobuf/descriptor.proto ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing protoc (apt-get install protobuf-compiler libprotobuf-dev)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler libprotobuf-dev >/dev/null
  else
    echo "protoc is needed to build: sudo apt-get install protobuf-compiler libprotobuf-dev"; exit 1
  fi
}
