#!/usr/bin/env bash
# Step 2 of the pipeline: starts the app image, checkpoints the warm app with
# `crac checkpoint` into /image and commits the container as the image that
# every replica restores (its command: crac restore /image). A build step of
# podman/docker cannot hold the capabilities CRIU needs, hence run + commit.
#   deploy/checkpoint-image.sh APP_IMAGE OUT_IMAGE [podman run options...] -- <crac checkpoint options and command>
# e.g. deploy/checkpoint-image.sh localhost/realistic:app localhost/realistic:restore -e PORT=3000 -- \
#        --warmup-url http://127.0.0.1:3000/api/orders --warmup-requests 200 -- node server.js
# The same capabilities must be granted to the replicas (deploy/README.md).
set -euo pipefail
app=${1:?usage: checkpoint-image.sh APP_IMAGE OUT_IMAGE [run options] -- <checkpoint options> -- <command>}
out=${2:?usage: checkpoint-image.sh APP_IMAGE OUT_IMAGE [run options] -- <checkpoint options> -- <command>}
shift 2
run_options=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do run_options+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || { echo "checkpoint-image: nothing to checkpoint: give '-- <checkpoint options> -- <command>'" >&2; exit 2; }

privileges=(--cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add SYS_TIME --security-opt seccomp=unconfined)
crac=/app/node_modules/node-crac/bin/crac.js
container="checkpoint-$$-$RANDOM"
trap 'podman rm -f "$container" >/dev/null 2>&1 || true' EXIT
podman run --pull never --name "$container" "${privileges[@]}" "${run_options[@]}" "$app" node "$crac" checkpoint --image /image "$@"
podman commit -q --change "CMD [\"node\", \"$crac\", \"restore\", \"/image\", \"--env\", \"PORT\"]" "$container" "$out" >&2
echo "$out"
