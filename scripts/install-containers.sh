#!/usr/bin/env bash
# Prepares the real-container tests, idempotently: podman + runc, a Debian base image with the
# runtimes the tests run (made with debootstrap: no registry is needed), and the crik runtime image
# built from Dockerfile.crik's own `runtime` stage with this checkout's crik and the host's CRIU.
#
# Needs root and CRIU 4.2+ (scripts/install-criu.sh). Images:
#   localhost/crik-test-base:bookworm   Debian + python3, JRE, PostgreSQL 15, redis, Node.js, Jupyter Notebook 6,
#                                       CRIU's libraries
#   localhost/crik-test-runtime:latest  Dockerfile.crik --target runtime on that base
# The base image is made again when its package list changes (a label holds the list), or with
# CRIK_REBUILD_BASE=1.
#
#   install-containers.sh               both images
#   install-containers.sh --base-only   the base image alone (scripts/test.sh makes it while it builds crik)
# CRIK_PUBLISHED=path/to/crik puts that NativeAOT crik in the runtime image instead of publishing one.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'install-containers: %s\n' "$*" >&2; }
started=$SECONDS

BASE_IMAGE=localhost/crik-test-base:bookworm
RUNTIME_IMAGE=localhost/crik-test-runtime:latest
WORK=${CRIK_CONTAINERS_DIR:-/var/tmp/crik-containers}
# This machine cannot raise rlimits (no CAP_SYS_RESOURCE) and crun fails on its cgroups.
PODMAN=(podman --runtime runc --cgroup-manager cgroupfs)
PACKAGES=(
    python3 default-jre-headless postgresql-15 redis-server nodejs procps iproute2 curl ca-certificates
    # a notebook server and its Python kernel (JupyterTests)
    python3-notebook python3-ipykernel
    # jupyterhub-singleuser, which a hub starts in each pod (JupyterHubTests; the hub itself runs on the host)
    jupyterhub
    # virtual packages its dependencies name, which debootstrap does not resolve on its own
    python3-cffi-backend libboost-regex1.74.0 node-fast-safe-stringify
    # CRIU's runtime libraries (built without GnuTLS and nftables: scripts/install-criu.sh) and iptables
    libprotobuf-c1 libnl-3-200 libnet1 libbsd0 libcap2 libaio1 libdrm2 libuuid1
    iptables
)

base_only=0
case "${1:-}" in
    "") ;;
    --base-only) base_only=1 ;;
    *) log "unknown argument $1 (usage: install-containers.sh [--base-only])"; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { log "needs root"; exit 1; }

export DEBIAN_FRONTEND=noninteractive
missing=()
for tool in podman runc debootstrap; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq && apt-get install -y -qq podman runc debootstrap >/dev/null
fi

packages=$(IFS=,; echo "${PACKAGES[*]}")
made_with=$("${PODMAN[@]}" image inspect --format '{{index .Labels "crik.test.packages"}}' "$BASE_IMAGE" 2>/dev/null || true)
if [ "${CRIK_REBUILD_BASE:-0}" = 1 ] || [ "$made_with" != "$packages" ]; then
    mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    rootfs="$WORK/rootfs"
    rm -rf "$rootfs"
    mkdir -p "$WORK"
    log "making $BASE_IMAGE with debootstrap from $mirror (a few minutes)"
    debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
        || { tail -n 20 "$WORK/debootstrap.log" >&2; log "debootstrap failed (log: $WORK/debootstrap.log)"; exit 1; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | "${PODMAN[@]}" import -q --change "LABEL crik.test.packages=$packages" - "$BASE_IMAGE" >/dev/null
    rm -rf "$rootfs"
    log "$BASE_IMAGE made in $((SECONDS - started)) s"
fi

[ "$base_only" -eq 0 ] || exit 0
criu=$(command -v criu) || { log "no criu on the PATH: run scripts/install-criu.sh first"; exit 1; }

# The runtime stage of Dockerfile.crik, fed this checkout's crik (published NativeAOT, as that stage
# ships it) and the host's CRIU instead of its CRIU source build (which cannot be fetched here).
context="$WORK/binaries"
rm -rf "$context"
mkdir -p "$context/out/crik" "$context/usr/local/sbin"
crik=${CRIK_PUBLISHED:-}
if [ -z "$crik" ]; then
    command -v clang >/dev/null && [ -e /usr/include/zlib.h ] || { apt-get update -qq && apt-get install -y -qq clang zlib1g-dev >/dev/null; }
    dotnet publish src/Crik.Cli -c Release -r linux-x64 -p:PublishAot=true -nologo -v quiet -o "$WORK/crik-publish" >/dev/null
    crik="$WORK/crik-publish/crik"
fi
cp "$crik" "$context/out/crik/crik"
cp "$criu" "$context/usr/local/sbin/criu"
printf 'FROM scratch\nCOPY out/ /out/\nCOPY usr/ /usr/\n' >"$context/Containerfile"
"${PODMAN[@]}" build -q -t localhost/crik-test-binaries:latest -f "$context/Containerfile" "$context" >/dev/null
"${PODMAN[@]}" build -q --target runtime -t "$RUNTIME_IMAGE" -f Dockerfile.crik \
    --build-arg RUNTIME_BASE="$BASE_IMAGE" \
    --build-arg CRIK_BINARIES=localhost/crik-test-binaries:latest \
    --build-arg CRIU_BINARIES=localhost/crik-test-binaries:latest \
    . >/dev/null
# Each build leaves the image it replaces behind, untagged; nothing else uses them.
"${PODMAN[@]}" image prune -f >/dev/null
log "$RUNTIME_IMAGE built; all done in $((SECONDS - started)) s"
