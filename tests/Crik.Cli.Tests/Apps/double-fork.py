#!/usr/bin/env python3
# Test app: forks a worker at once, which holds MIB mebibytes of random memory (one private mapping, its own)
# and counts every 0.1 s ("count N"); the first process waits for the worker and reaps it the moment it exits. Just after a
# restore (restore_sense.py), the worker forks as a daemon does: it forks a child and exits at
# once, and the child checks the memory it inherited ("grandchild intact yes|no") and lives on, counting.
# With "setsid" after MIB, the child first leaves the app's process group for a session of its own.
import hashlib, mmap, os, sys, time
from restore_sense import RestoreSense

mib, own_session = int(sys.argv[1]), sys.argv[2:] == ["setsid"]
if os.fork() != 0:
    os.wait()  # reaps the worker as it exits
    while True:
        time.sleep(1)

memory = mmap.mmap(-1, mib << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
memory[:] = os.urandom(mib << 20)
digest = hashlib.sha256(memory).digest()
count, sense = 0, RestoreSense()  # before the line the tests wait for
print(f"allocated {mib}", flush=True)

while True:
    if sense.restored():
        if os.fork() != 0:
            os._exit(0)  # the worker is gone; its child goes on
        if own_session:
            os.setsid()
        print("grandchild intact " + ("yes" if hashlib.sha256(memory).digest() == digest else "no"), flush=True)
    print(f"count {count}", flush=True)
    count += 1
    time.sleep(0.1)
