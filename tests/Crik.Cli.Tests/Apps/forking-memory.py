#!/usr/bin/env python3
# Test app: holds MIB mebibytes of random memory that never changes. Every tick it counts; every
# twentieth tick it forks a child that checks the memory it inherited against the digest taken at start
# ("child intact yes" or "child intact no") and exits, and the parent checks its own ("intact ...").
import hashlib, os, sys, time

mib = int(sys.argv[1])
stable = os.urandom(mib << 20)
expected = hashlib.sha256(stable).digest()
print(f"allocated {mib}", flush=True)
i = 0
while True:
    if i % 20 == 0:  # rarely, so that a test can checkpoint it between forks (Pods.WaitBetweenForks)
        pid = os.fork()
        if pid == 0:
            print("child intact " + ("yes" if hashlib.sha256(stable).digest() == expected else "no"), flush=True)
            os._exit(0)
        print("intact " + ("yes" if hashlib.sha256(stable).digest() == expected else "no"), flush=True)
        os.waitpid(pid, 0)
    print(f"count {i}", flush=True)
    i += 1
    time.sleep(0.1)
