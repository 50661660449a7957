#!/usr/bin/env bash
# Gives the project podman with runc and debootstrap (Debian's packages) for the
# container and Kubernetes tests, and a project-owned containers.conf under
# .cache/container that the tests and deploy/ scripts use through CONTAINERS_CONF,
# leaving the host's own podman configuration alone. Idempotent. Prints the
# containers.conf path on its last line.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
conf="$root/.cache/container/containers.conf"

missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || [ -x /usr/sbin/runc ] || missing+=(runc)
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "provision-podman: ${missing[*]} missing and not root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "provision-podman: installing ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

# runc: crun fails on hybrid cgroup hierarchies. No default ulimits: setting
# them needs CAP_SYS_RESOURCE, which sandboxes and nested containers lack.
mkdir -p "$(dirname "$conf")"
tmp=$(mktemp "$conf.XXXXXX")
cat > "$tmp" <<CONF
[containers]
default_ulimits = []

[engine]
runtime = "runc"
CONF
chmod 644 "$tmp"
mv "$tmp" "$conf"
echo "$conf"
