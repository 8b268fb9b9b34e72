#!/usr/bin/env bash
# Installs CRIU >= 4.2 on this machine, idempotently.
#
# Debian bookworm's criu (3.17) fails `criu check` on kernels >= 6.13, and 4.1 cannot dump TCP
# sockets on recent kernels, so when no suitable criu is on the PATH this builds CRIU from Debian
# sid's source package and installs the binary as /usr/local/sbin/criu.
#
# The build carries crik's patches (criu-patches/, each with its reason): crik works with a stock
# CRIU, and its tests need the patched one, so a criu without them is built again.
set -euo pipefail

MIN_MAJOR=4
MIN_MINOR=2
PREFIX=${CRIU_PREFIX:-/usr/local/sbin}
WORK=${CRIU_BUILD_DIR:-/var/tmp/crik-criu-build}

log() { printf 'install-criu: %s\n' "$*" >&2; }

version_ok() {
    local version major minor
    version=$("$1" --version 2>/dev/null | sed -n 's/^Version: *//p' | head -n 1)
    [ -n "$version" ] || return 1
    major=${version%%.*}
    minor=${version#*.}; minor=${minor%%.*}
    [ "$major" -gt "$MIN_MAJOR" ] || { [ "$major" -eq "$MIN_MAJOR" ] && [ "$minor" -ge "$MIN_MINOR" ]; }
}

# A CRIU linked with GnuTLS (for its TLS page server) or nftables (for locking TCP connections while they
# are dumped) loads 14 more libraries at each exec: 15 ms more from a cold disk, 6 ms warm, paid twice on
# the way to a restored app's first answer (the kernel probes, then the restore). crik uses neither: it
# serves pages itself and dumps and restores with --tcp-close.
lean() { ! ldd "$1" 2>/dev/null | grep -Eq 'libgnutls|libnftables'; }

PATCHES=$(cd "$(dirname "$0")/../criu-patches" && pwd)
# 0001: dumps that read only what was written since the parent, without soft-dirty; 0002: a run of unwritten
# pages left out in one step; 0003: a private anonymous area scanned with no look for file pages; 0004: areas'
# flags read with a BPF iterator, not from smaps (their lines in --help tell a build that has them); 0005: IPC and
# UTS namespaces dumped by criu itself; 0006: TCP sockets of both families found in one walk; 0007: a zombie's leader
# thread written in pstree.img; 0008: the page tables scanned once, by a thread, beside the rest of the dump; 0009:
# build-IDs kept in /run for the next dump; 0010: SIGTERM stops a dump at its next safe step, never inside a parasite's
# setup (and fault injections that hold a dump where a stop must be safe); 0011: 0008's scan split over a thread per CPU;
# 0012: the tasks' TCP sockets asked for by their addresses; 0013: the log's timestamps on CLOCK_MONOTONIC, and its start
# on that clock logged, for crik to time the app's hold from CRIU's seize; 0014: a streamed dump tells the streamer when it
# is done with the tasks, before its own teardown (no option for any of the last ten: the lines they log, in the binary,
# tell them).
patched() {
    local help
    help=$("$1" --help 2>&1)
    grep -q -- '--track-mem-uffd-wp' <<<"$help" && grep -q 'left out in one step' <<<"$help" \
        && grep -q 'scanned with no look' <<<"$help" && grep -q -- '--vma-flags-bpf' <<<"$help" \
        && grep -qa "in criu's own process" "$1" && grep -qa 'of both families collected in one walk' "$1" \
        && grep -qa 'its leader is its only thread' "$1" && grep -qa 'pages beside the dump' "$1" \
        && grep -qa 'files taken from /run/criu-build-ids.cache' "$1" && grep -qa 'Stop requested (SIGTERM)' "$1" \
        && grep -qa 'Scanning the pages beside the dump with' "$1" && grep -qa 'asked for by their addresses' "$1" \
        && grep -qa 'between two chunks of pages' "$1" && grep -qa 'Log timestamps count from CLOCK_MONOTONIC' "$1" \
        && grep -qa 'Told the image streamer the dump is done' "$1"
}

# `criu check`, quiet when it passes: its warnings (no hardware breakpoints on a VM, no nftables, no kdat
# cache off tmpfs) are about features crik does without, and "Looks good." says nothing a user acts on.
check_quietly() {
    local report
    if ! report=$("$1" check 2>&1); then
        printf '%s\n' "$report" >&2
        log "criu check failed for $1: CRIU cannot checkpoint on this kernel (see above)"
        return 1
    fi
}

if existing=$(command -v criu 2>/dev/null) && version_ok "$existing" && lean "$existing" && patched "$existing"; then
    log "using $existing ($("$existing" --version | head -n 1))"
    check_quietly "$existing"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    log "building CRIU needs root (apt-get); run this script as root"
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
SID_SOURCES=/etc/apt/sources.list.d/crik-sid-src.sources
cleanup() { rm -f "$SID_SOURCES"; }
trap cleanup EXIT

# A deb-src stanza for sid, with the mirror and key of the machine's first stanza.
first_stanza=/etc/apt/sources.list.d/debian.sources
uris=$(sed -n 's/^URIs: *//p' "$first_stanza" | head -n 1)
signed_by=$(sed -n 's/^Signed-By: *//p' "$first_stanza" | head -n 1)
cat >"$SID_SOURCES" <<SOURCES
Types: deb-src
URIs: $uris
Suites: sid
Components: main
Signed-By: $signed_by
SOURCES

log "installing build dependencies"
apt-get update -qq
apt-get install -y -qq -t bookworm --no-install-recommends \
    build-essential libprotobuf-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler \
    python3-protobuf libnl-3-dev libcap-dev pkg-config libbsd-dev libnet1-dev libaio-dev \
    libdrm-dev uuid-dev iptables xz-utils patch >/dev/null

rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
log "downloading CRIU source from Debian sid"
# The .debian.tar.xz may be missing from the mirror; the orig tarball is the whole source.
apt-get source --download-only criu >/dev/null 2>&1 || true
orig=$(ls criu_*.orig.tar.* 2>/dev/null | head -n 1)
if [ -z "$orig" ]; then
    log "could not download criu's source package from sid; check the machine's Debian mirror"
    exit 1
fi
tar -xf "$orig"
src=$(find . -maxdepth 1 -type d -name 'criu-*' | head -n 1)
for patch in "$PATCHES"/*.patch; do
    log "applying $(basename "$patch")"
    patch -d "$src" -p1 --quiet <"$patch" || { log "$(basename "$patch") does not apply to $src"; exit 1; }
done
log "building $src (about a minute)"
# CRIU's Makefile links GnuTLS and nftables whenever pkg-config finds them; this pkg-config does not.
cat >pkg-config-lean <<'LEAN'
#!/bin/sh
case " $* " in *" gnutls "*|*" libnftables "*) exit 1 ;; esac
exec pkg-config "$@"
LEAN
chmod +x pkg-config-lean
make -C "$src" -j"$(nproc)" criu NO_GNUTLS=1 PKG_CONFIG="$PWD/pkg-config-lean" >build.log 2>&1 || { tail -n 30 build.log >&2; exit 1; }
if ! patched "$src/criu/criu"; then
    log "the CRIU built lacks crik's patches (see $WORK/build.log)"
    exit 1
fi
if ! lean "$src/criu/criu"; then
    log "the CRIU build still links GnuTLS or nftables (see $WORK/build.log)"
    exit 1
fi

install -D -m 0755 "$src/criu/criu" "$PREFIX/criu"
hash -r
log "installed $("$PREFIX/criu" --version | head -n 1) as $PREFIX/criu"
check_quietly "$PREFIX/criu"
