#!/usr/bin/env python3
# Test app: holds MIB mebibytes of random memory in one private mapping and one more mebibyte in a mapping marked
# MADV_WIPEONFORK, and counts every 0.1 s ("count N"). Just after a restore (restore_sense.py) it
# starts `sleep` beside it (posix_spawn: a child that shares its memory until the program runs), then forks a child
# that forks a grandchild at once; the grandchild checks what it inherited ("grandchild kept yes|no wiped yes|no"), and
# every process counts on.
import hashlib, mmap, os, sys, time
from restore_sense import RestoreSense

mib = int(sys.argv[1])
kept = mmap.mmap(-1, mib << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
kept[:] = os.urandom(mib << 20)
wiped = mmap.mmap(-1, 1 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
wiped.madvise(getattr(mmap, "MADV_WIPEONFORK", 18))  # Linux value; older Pythons lack the name
wiped[:] = os.urandom(1 << 20)
digest = hashlib.sha256(kept).digest()
count, sense = 0, RestoreSense()  # before the line the tests wait for
print(f"allocated {mib}", flush=True)

while True:
    if sense.restored():
        os.posix_spawn("/bin/sleep", ["sleep", "1000"], dict(os.environ))
        if os.fork() == 0 and os.fork() == 0:
            same = hashlib.sha256(kept).digest() == digest
            zero = wiped[:] == bytes(1 << 20)
            print(f"grandchild kept {'yes' if same else 'no'} wiped {'yes' if zero else 'no'}", flush=True)
    print(f"count {count}", flush=True)
    count += 1
    time.sleep(0.1)
