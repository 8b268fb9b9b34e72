#!/usr/bin/env python3
# Test app: fills SHARED mebibytes of private memory with random bytes, then forks one child that shares
# them copy-on-write and never writes to them, and sleeps. The parent then fills PRIVATE mebibytes only it
# has; with "reserve" it also reserves 1 TiB of address space it never touches (as reserve-memory.py does),
# which CRIU restores only from image files. The parent says "allocated", then counts.
import mmap, os, sys, time

shared_mib, private_mib = int(sys.argv[1]), int(sys.argv[2])
shared = bytearray(os.urandom(shared_mib << 20))
if os.fork() == 0:
    while True:
        time.sleep(1)
private = bytearray(os.urandom(private_mib << 20))
if sys.argv[3:] == ["reserve"]:
    reserved = mmap.mmap(-1, 1 << 40, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=0)
print("allocated", flush=True)
i = 0
while True:
    print(f"count {i}", flush=True)
    i += 1
    time.sleep(0.1)
