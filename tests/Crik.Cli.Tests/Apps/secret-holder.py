#!/usr/bin/env python3
# Test app: holds the secret from $CRIK_TEST_SECRET in memory (and writes it to the file named by
# argv[1]), plus 8 MiB of compressible text; every tenth of a second prints "count N", and every
# ten counts "secret ok" when the secret in memory and in the file still match.
import os, sys, time

secret = os.environ["CRIK_TEST_SECRET"]
path = sys.argv[1]
with open(path, "w") as f:
    f.write(secret)
text = ("the quick brown fox jumps over the lazy dog " * 200000)[: 8 << 20]
i = 0
while True:
    if i % 10 == 0:
        with open(path) as f:
            print("secret " + ("ok" if f.read() == secret and len(text) == 8 << 20 else "lost"), flush=True)
    print(f"count {i}", flush=True)
    i += 1
    time.sleep(0.1)
