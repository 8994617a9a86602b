#!/usr/bin/env bash
# Debian packages of Tether: tether-edge (edge and dns) and tether-connector, built with dpkg-deb
# from binaries already built (--bin-dir; the tests use the ones `cargo test` built, so CI builds
# no second release), else from `cargo build --release`. Each holds its binaries (debug info
# stripped), its systemd unit (the connector's as `connector service unit` prints it, the edge's
# scripts/package/tether-edge.service), its default config in /etc/tether as a conffile, man
# pages and bash/zsh/fish completions made by the binaries themselves, and the docs.
#
#   scripts/package/build.sh [--bin-dir DIR] [--out DIR] [--fast]
#
# --fast compresses with gzip -1 instead of xz (for tests). Prints the paths of the packages.
#
# The packages are for this host's architecture (dpkg --print-architecture) and need glibc 2.34
# (the newest symbol version the binaries use, checked by hand rather than by dpkg-shlibdeps).
set -euo pipefail
# What goes into the packages is readable by everyone, whatever the caller's umask.
umask 022
cd "$(dirname "$0")/../.."
here=scripts/package

bin_dir="" out="target/debian" compress=(-Zxz)
while [ $# -gt 0 ]; do
  case "$1" in
    --bin-dir) bin_dir="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --fast) compress=(-Zgzip -z1); shift ;;
    *) echo "usage: $0 [--bin-dir DIR] [--out DIR] [--fast]" >&2; exit 64 ;;
  esac
done
if [ -z "$bin_dir" ]; then
  cargo build --release --bin edge --bin dns --bin connector >&2
  bin_dir=target/release
fi
for tool in dpkg-deb strip gzip; do
  command -v "$tool" >/dev/null || { echo "$0: needs $tool (dpkg, binutils, gzip)" >&2; exit 1; }
done
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=$(dpkg --print-architecture)
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# binary NAME STAGE: the binary, its man pages and completions.
binary() {
  local name=$1 stage=$2
  install -D -m 0755 "$bin_dir/$name" "$stage/usr/bin/$name"
  strip --strip-debug "$stage/usr/bin/$name"
  "$stage/usr/bin/$name" manpages "$stage/usr/share/man/man1"
  gzip -9n "$stage/usr/share/man/man1/$name"*.1
  install -d "$stage/usr/share/bash-completion/completions" \
    "$stage/usr/share/zsh/vendor-completions" "$stage/usr/share/fish/vendor_completions.d"
  "$stage/usr/bin/$name" completions bash > "$stage/usr/share/bash-completion/completions/$name"
  "$stage/usr/bin/$name" completions zsh > "$stage/usr/share/zsh/vendor-completions/_$name"
  "$stage/usr/bin/$name" completions fish > "$stage/usr/share/fish/vendor_completions.d/$name.fish"
}

# package NAME DEPENDS DESCRIPTION STAGE: control files, then the .deb.
package() {
  local name=$1 depends=$2 description=$3 stage=$4
  local doc="$stage/usr/share/doc/$name"
  install -d "$doc" "$stage/DEBIAN"
  printf 'Files: *\nCopyright: The Tether authors\nLicense: Apache-2.0\n See /usr/share/common-licenses/Apache-2.0.\n' > "$doc/copyright"
  (cd "$stage" && find etc -type f -printf '/%p\n' | sort) > "$stage/DEBIAN/conffiles"
  for script in postinst prerm postrm; do
    install -m 0755 "$here/debian/$script" "$stage/DEBIAN/$script"
  done
  (cd "$stage" && find usr etc -type f -print0 | sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
  cat > "$stage/DEBIAN/control" <<EOF
Package: $name
Version: $version
Architecture: $arch
Maintainer: The Tether authors <tether@example.org>
Depends: $depends
Section: net
Priority: optional
Homepage: https://github.com/tether-tunnel/tether
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Description: $description
EOF
  dpkg-deb --root-owner-group "${compress[@]}" --build "$stage" "$out/${name}_${version}_${arch}.deb" >/dev/null
  echo "$out/${name}_${version}_${arch}.deb"
}

edge="$work/edge"
binary edge "$edge"
binary dns "$edge"
install -D -m 0644 "$here/tether-edge.service" "$edge/usr/lib/systemd/system/tether-edge.service"
install -D -m 0644 "$here/edge.yml" "$edge/etc/tether/edge.yml"
install -d "$edge/usr/share/doc/tether-edge"
cp README.md docs/{configuration,operations,security,dns,architecture}.md "$edge/usr/share/doc/tether-edge/"
package tether-edge "libc6 (>= 2.34), passwd" "self-hosted edge tunnel: the edge
 Serves the public hostnames and carries each request through a tunnel session
 to the connector that publishes it; includes the authoritative DNS (dns)." "$edge"

connector="$work/connector"
binary connector "$connector"
install -d "$connector/usr/lib/systemd/system"
"$connector/usr/bin/connector" --config /etc/tether/tunnel.yml service unit \
  > "$connector/usr/lib/systemd/system/tether-connector.service"
install -D -m 0644 "$here/tunnel.yml" "$connector/etc/tether/tunnel.yml"
install -d "$connector/usr/share/doc/tether-connector"
cp README.md docs/{configuration,migrating-from-cloudflared,tcp}.md "$connector/usr/share/doc/tether-connector/"
package tether-connector "libc6 (>= 2.34)" "self-hosted edge tunnel: the connector
 Runs next to private services and opens outbound-only TLS sessions to the
 edge, which carries public requests to the services its ingress rules name." "$connector"
