#!/usr/bin/env python3
"""Benchmark app: holds MIB mebibytes of random memory (so no two pages are alike), says "ready",
then prints "tick N" every 100 ms. On SIGUSR1 it rewrites PERCENT % of that memory (one contiguous
stretch in the middle) with new random bytes and says "rewrote"."""
import os
import signal
import sys
import time

mib, percent = int(sys.argv[1]), float(sys.argv[2])
memory = bytearray(mib << 20)
view = memoryview(memory)
for i in range(mib):
    view[i << 20:(i + 1) << 20] = os.urandom(1 << 20)
rewrite = False


def on_usr1(signum, frame):
    global rewrite
    rewrite = True


signal.signal(signal.SIGUSR1, on_usr1)
print(f"ready {mib} MiB", flush=True)
n = 0
while True:
    if rewrite:
        length = int(len(memory) * percent / 100)
        start = (len(memory) - length) // 2
        for at in range(start, start + length, 1 << 20):
            end = min(at + (1 << 20), start + length)
            view[at:end] = os.urandom(end - at)
        rewrite = False
        print("rewrote", flush=True)
    print(f"tick {n}", flush=True)
    n += 1
    time.sleep(0.1)
