#!/usr/bin/env python3
"""Benchmark app: fills MIB mebibytes of memory with random bytes (nothing repeats and nothing
compresses, so neither CRIU nor crik can skip or shrink a page), says "ready", then prints
"tick N" every 100 ms until killed."""
import os
import sys
import time

mib = int(sys.argv[1])
memory = bytearray(mib << 20)
view = memoryview(memory)
for i in range(mib):
    view[i << 20:(i + 1) << 20] = os.urandom(1 << 20)
print(f"ready {mib} MiB", flush=True)
n = 0
while True:
    print(f"tick {n}", flush=True)
    n += 1
    time.sleep(0.1)
