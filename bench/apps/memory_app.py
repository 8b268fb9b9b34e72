#!/usr/bin/env python3
"""Benchmark app: writes MIB mebibytes of memory with a non-zero pattern (so CRIU must dump every
page), says "ready", then prints "tick N" every 100 ms until killed."""
import sys
import time

mib = int(sys.argv[1])
pattern = bytes((i * 7 + 1) % 251 + 1 for i in range(1 << 20))  # 1 MiB, no zero byte
memory = bytearray(mib << 20)
view = memoryview(memory)
for i in range(mib):
    view[i << 20:(i + 1) << 20] = pattern
print(f"ready {mib} MiB", flush=True)
n = 0
while True:
    print(f"tick {n}", flush=True)
    n += 1
    time.sleep(0.1)
