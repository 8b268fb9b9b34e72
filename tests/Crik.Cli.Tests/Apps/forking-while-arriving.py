#!/usr/bin/env python3
# Test app: holds MIB mebibytes of random memory (one private mapping), counting every 0.1 s ("count N").
# When it was restored (restore_sense.py), it writes new bytes in the
# first page only (most of its memory has not arrived yet) and says "restored N" (N restores so far).
# When the file FORK_NOW appears, it forks a child that sleeps and touches none of that memory, deletes the
# file and says "forked". On SIGUSR1 it checks the memory: "intact yes|no".
import hashlib, mmap, os, signal, sys, time
from restore_sense import RestoreSense

mib, fork_now = int(sys.argv[1]), sys.argv[2]
PAGE = mmap.PAGESIZE
memory = mmap.mmap(-1, mib << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
memory[:] = os.urandom(mib << 20)
first = memory[:PAGE]
rest = hashlib.sha256(memory[PAGE:]).digest()  # never changes

asked = False
def on_usr1(signum, frame):
    global asked
    asked = True
signal.signal(signal.SIGUSR1, on_usr1)

restores, count, sense = 0, 0, RestoreSense()  # before the line the tests wait for
print(f"allocated {mib}", flush=True)
while True:
    if sense.restored():
        restores += 1
        first = os.urandom(PAGE)
        memory[:PAGE] = first
        print(f"restored {restores}", flush=True)
    if os.path.exists(fork_now):
        if os.fork() == 0:
            while True:
                time.sleep(1)
        os.unlink(fork_now)
        print("forked", flush=True)
    if asked:
        asked = False
        ok = memory[:PAGE] == first and hashlib.sha256(memory[PAGE:]).digest() == rest
        print("intact " + ("yes" if ok else "no"), flush=True)
    count += 1
    print(f"count {count}", flush=True)
    time.sleep(0.1)
