#!/usr/bin/env python3
"""Benchmark app: MIB mebibytes of memory, half text (compresses well) and half random (does not),
says "ready", then prints "tick N" every 100 ms until killed."""
import os
import sys
import time

mib = int(sys.argv[1])
line = b"2026-11-22T10:00:00Z INFO request served in 12 ms: GET /api/orders?page=3 200\n"
text = (line * ((1 << 20) // len(line) + 1))[: 1 << 20]
memory = bytearray(mib << 20)
view = memoryview(memory)
for i in range(mib):
    view[i << 20:(i + 1) << 20] = text if i % 2 == 0 else os.urandom(1 << 20)
print(f"ready {mib} MiB", flush=True)
n = 0
while True:
    print(f"tick {n}", flush=True)
    n += 1
    time.sleep(0.1)
