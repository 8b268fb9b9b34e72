#!/usr/bin/env python3
# Test app: maps FILE privately, read-only, and never reads it (as a library it has not run yet), then counts.
import mmap, os, sys, time

fd = os.open(sys.argv[1], os.O_RDONLY)
mapping = mmap.mmap(fd, 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
os.close(fd)
print("mapped", flush=True)
i = 0
while True:
    print(f"count {i}", flush=True)
    i += 1
    time.sleep(0.1)
