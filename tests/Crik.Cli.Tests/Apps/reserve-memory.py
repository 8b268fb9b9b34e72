#!/usr/bin/env python3
# Test app: reserves 1 TiB of address space it never touches (PROT_NONE, as the .NET runtime's GC
# does), more than the machine's memory; then counts.
import mmap, time

reserved = mmap.mmap(-1, 1 << 40, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=0)
i = 0
while True:
    print(f"count {i}", flush=True)
    i += 1
    time.sleep(0.1)
