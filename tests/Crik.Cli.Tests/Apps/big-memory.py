#!/usr/bin/env python3
# Test app: writes MIB mebibytes of memory (non-zero, so CRIU must dump it), then counts.
import sys, time

mib = int(sys.argv[1])
block = bytes(range(256)) * 4096  # 1 MiB
memory = bytearray(block * mib)
print(f"allocated {mib}", flush=True)
i = 0
while True:
    print(f"count {i}", flush=True)
    i += 1
    time.sleep(0.1)
