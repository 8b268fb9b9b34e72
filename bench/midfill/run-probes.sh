#!/bin/sh
# The two experiments behind the checkpoint taken while memory arrives (issue 48), with plain criu (root).
# 1. uffd_dump_probe: what criu dump records of a userfaultfd-registered area whose pages never arrived
#    (expected: only the pages that arrived, less those dropped with MADV_DONTNEED; no fault during the dump).
# 2. uffd_blocked_fault_probe: a thread waiting in a userfault nobody serves (expected: a user-mode fault is
#    seized; a fault inside the kernel, here read() into a missing page, is not: criu gives up after its
#    10 s freeze timeout, "Unseizable non-zombie ... found": crik must serve faults until criu has frozen the app).
set -e
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
gcc -O1 -Wall -o "$work/dump_probe" "$here/uffd_dump_probe.c"
gcc -O1 -Wall -pthread -o "$work/blocked_probe" "$here/uffd_blocked_fault_probe.c"

run() { # probe, extra argument, seconds to wait before the dump
    mkdir -p "$work/$1/img"
    setsid "$work/$1" $2 > "$work/$1/out.txt" 2>&1 &
    daemon=$!
    sleep "$3"
    app=$(sed -n 's/^app \([0-9]*\):.*/\1/p' "$work/$1/out.txt")
    start=$(date +%s.%N)
    criu dump -t "$app" -D "$work/$1/img" -v4 -o dump.log --shell-job --leave-running && rc=0 || rc=$?
    echo "== $1: criu dump exited $rc after $(echo "$(date +%s.%N) - $start" | bc) s"
    grep -E "Error|Unseizable" "$work/$1/img/dump.log" | grep -v RLIMIT || true
}

run dump_probe "" 1
echo "pages dumped: $(($(stat -c %s "$work/dump_probe/img/"pages-*.img) / 4096)) (64 of area A + 124 of area B + the program's own)"
crit show "$work/dump_probe/img/pagemap-$app.img" | grep -c '"vaddr"' | sed 's/^/pagemap entries: /'
uniq -c "$work/dump_probe/out.txt" | head
kill "$app" "$daemon"

run blocked_probe 15 2.5
sleep 14
sed 's/^[0-9.]* //' "$work/blocked_probe/out.txt" | uniq -c | head
kill "$app" "$daemon"
rm -rf "$work"
