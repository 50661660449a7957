#!/usr/bin/env bash
# Gives the project a working CRIU >= 4. Idempotent; the
# result is cached under .cache/criu (git-ignored). A system CRIU that passes
# `criu check` is preferred. Prints the path of the criu launcher on its last line.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache/criu"
launcher="$cache/bin/criu"

criu_ok() { "$1" check >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -qE 'Version: ([4-9]|[1-9][0-9])\.'; }

if [ -n "${CRAC_CRIU_PATH:-}" ] && criu_ok "$CRAC_CRIU_PATH"; then echo "$CRAC_CRIU_PATH"; exit 0; fi
if sys=$(command -v criu 2>/dev/null) && criu_ok "$sys"; then echo "$sys"; exit 0; fi
if [ -x "$launcher" ] && criu_ok "$launcher"; then echo "$launcher"; exit 0; fi

if [ "$(id -u)" != 0 ]; then
  echo "provision-criu: no working CRIU >= 4 found and not root: install CRIU >= 4 or set CRAC_CRIU_PATH" >&2
  exit 1
fi

# Debian 13's criu 4.x needs glibc 2.38+: unpack it with its libraries into a
# private prefix and run it through that prefix's own dynamic loader.
apt_dir="$cache/apt"; prefix="$cache/root"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources" "$cache/debs" "$cache/bin"
echo "deb http://deb.debian.org/debian trixie main" > "$apt_dir/sources/trixie.list"
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/sources"
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User=root)
pkgs=(criu libcompel1 libc6 libgnutls30t64 libnettle8t64 libhogweed6t64 libunistring5 libp11-kit0
  libtasn1-6 libidn2-0 libgmp10 libnftables1 libnl-3-200 libprotobuf-c1 libbsd0 libnet1 libuuid1
  libmd0 libjansson4 libnftnl11 libmnl0 libxtables12 libffi8 libgcc-s1 libedit2 libbpf1 libelf1t64
  libzstd1 zlib1g libtinfo6)
apt-get "${apt_opts[@]}" update >&2
(cd "$cache/debs" && apt-get "${apt_opts[@]}" download "${pkgs[@]}" >&2)
rm -rf "$prefix"; mkdir -p "$prefix"
for deb in "$cache"/debs/*.deb; do dpkg -x "$deb" "$prefix"; done

lib="$prefix/usr/lib/x86_64-linux-gnu"
cat > "$launcher" <<LAUNCH
#!/bin/sh
exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib" "$prefix/usr/sbin/criu" "\$@"
LAUNCH
chmod 755 "$launcher"
if ! criu_ok "$launcher"; then
  echo "provision-criu: the unpacked CRIU does not pass 'criu check':" >&2
  "$launcher" check >&2 || true
  exit 1
fi
echo "$launcher"
