#!/usr/bin/env python3
# Test app: holds MIB mebibytes of random memory that never changes, and a small scratch area it
# rewrites a page of every tenth of a second. Every ten counts it checks the unchanging memory
# against the digest it took at start and prints "intact yes" or "intact no".
import hashlib, os, sys, time

mib = int(sys.argv[1])
stable = os.urandom(mib << 20)
expected = hashlib.sha256(stable).digest()
scratch = bytearray(os.urandom(1 << 20))
print(f"allocated {mib}", flush=True)
i = 0
while True:
    at = (i * 4096) % len(scratch)
    scratch[at:at + 4096] = os.urandom(4096)
    if i % 10 == 0:
        print("intact " + ("yes" if hashlib.sha256(stable).digest() == expected else "no"), flush=True)
    print(f"count {i}", flush=True)
    i += 1
    time.sleep(0.1)
