#!/usr/bin/env bash
# Assembles packages/criu-linux-x64 (@node-crac/criu-linux-x64): Debian 13's
# CRIU >= 4 with every library it loads and their own dynamic loader, so it
# runs on any x86-64 glibc Linux whatever its glibc. The same package is what
# `npm install node-crac` brings and what the workspace links, so there is one
# way to get CRIU. Idempotent. The .debs and their unpacked tree are kept in
# .cache/criu, the package's assembled bin/, sbin/, lib/, licenses/ and
# NOTICE.md in packages/criu-linux-x64 (all git-ignored). The package list is
# the package's debian-packages.txt. Prints the package's criu launcher last.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pkg="$root/packages/criu-linux-x64"
cache="$root/.cache/criu"
launcher="$pkg/bin/criu"
mapfile -t debs < <(grep -vE '^\s*(#|$)' "$pkg/debian-packages.txt")

criu_ok() { "$1" check >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -qE 'Version: ([4-9]|[1-9][0-9])\.'; }

stamp="$pkg/NOTICE.md"
if [ -x "$launcher" ] && [ -x "$cache/root/usr/sbin/criu" ] && [ -f "$stamp" ] && [ "$stamp" -nt "$pkg/debian-packages.txt" ] && criu_ok "$launcher"; then echo "$launcher"; exit 0; fi

# Fetch without touching the system's apt sources: a private sources file, lists and cache.
apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources" "$cache/debs"
echo "deb http://deb.debian.org/debian trixie main" > "$apt_dir/sources/trixie.list"
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/sources"
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User=root)
apt-get "${apt_opts[@]}" update >&2
rm -f "$cache"/debs/*.deb
(cd "$cache/debs" && apt-get "${apt_opts[@]}" download "${debs[@]}" >&2)

# The unpacked tree stays in .cache/criu/root: deploy/ copies it into container images.
unpacked="$cache/root"
rm -rf "$unpacked"
mkdir -p "$unpacked"
for deb in "$cache"/debs/*.deb; do dpkg -x "$deb" "$unpacked"; done

# npm pack drops symlinks, so the package holds each library once, under the
# name the loader asks for (its soname), and no symlink at all.
rm -rf "$pkg/bin" "$pkg/sbin" "$pkg/lib" "$pkg/licenses"
mkdir -p "$pkg/bin" "$pkg/sbin" "$pkg/lib" "$pkg/licenses"
install -m 755 "$unpacked/usr/sbin/criu" "$pkg/sbin/criu"
multiarch="$unpacked/usr/lib/x86_64-linux-gnu"
for file in "$multiarch"/*; do
  name=$(basename "$file")
  [ -f "$file" ] || continue
  # A regular file that a symlink names (libfoo.so.1 -> libfoo.so.1.2.3) is copied under the link's name.
  if [ ! -L "$file" ] && find "$multiarch" -maxdepth 1 -type l -lname "$name" | grep -q .; then continue; fi
  install -m 644 "$(readlink -f "$file")" "$pkg/lib/$name"
done
chmod 755 "$pkg/lib/ld-linux-x86-64.so.2"
for doc in "$unpacked"/usr/share/doc/*/; do
  name=$(basename "$doc")
  copyright=$(readlink -f "$doc/copyright" 2>/dev/null || true)
  [ -f "$copyright" ] || copyright=$(readlink -f "$unpacked/usr/share/doc/$(readlink "$unpacked/usr/share/doc/$name")/copyright")
  install -m 644 "$copyright" "$pkg/licenses/$name.copyright"
done
# The copyright files name the license texts Debian keeps in common-licenses.
for text in GPL-2 GPL-3 LGPL-2.1 LGPL-3; do install -m 644 "/usr/share/common-licenses/$text" "$pkg/licenses/$text"; done

# The launcher finds the package from its own path (node-crac runs it by its
# real path), and needs no command from PATH.
cat > "$launcher" <<'LAUNCH'
#!/bin/sh
here=${0%/bin/*}
exec "$here/lib/ld-linux-x86-64.so.2" --library-path "$here/lib" "$here/sbin/criu" "$@"
LAUNCH
chmod 755 "$launcher"

{
  echo "# What this package holds"
  echo
  echo "Unmodified binaries from Debian 13 (trixie), amd64, unpacked with \`dpkg -x\`"
  echo "by scripts/provision-criu.sh of node-crac. CRIU is GPL-2.0; each"
  echo "package's license is its Debian copyright file in licenses/. The source of"
  echo "each is Debian's source package of the same name and version, from"
  echo "https://sources.debian.org or \`apt-get source NAME=VERSION\` (and CRIU's at"
  echo "https://github.com/checkpoint-restore/criu)."
  echo
  echo "| package | version | source package | sha256 of the .deb |"
  echo "| --- | --- | --- | --- |"
  for deb in "$cache"/debs/*.deb; do
    source=$(dpkg-deb -f "$deb" Source); [ -n "$source" ] || source=$(dpkg-deb -f "$deb" Package)
    echo "| $(dpkg-deb -f "$deb" Package) | $(dpkg-deb -f "$deb" Version) | ${source} | $(sha256sum "$deb" | cut -d' ' -f1) |"
  done
} > "$stamp"

if ! criu_ok "$launcher"; then
  echo "provision-criu: the assembled CRIU does not pass 'criu check':" >&2
  "$launcher" check >&2 || true
  exit 1
fi
echo "$launcher"
