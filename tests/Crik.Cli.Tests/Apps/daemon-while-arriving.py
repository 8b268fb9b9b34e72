#!/usr/bin/env python3
# Test app: holds MIB mebibytes of random memory (one private mapping) and counts every 0.1 s ("count N") without
# touching it. Just after a restore (restore_sense.py) it starts a daemon as a shell's "setsid cmd &" does: a child that
# leaves the process group in a session of its own, forks the daemon and exits, so the daemon's parent is gone and the
# daemon belongs to no process crik restored. The daemon writes its PID to PID_FILE and checks the memory it inherited,
# over and over ("daemon intact yes|no").
import hashlib, mmap, os, sys, time
from restore_sense import RestoreSense

mib, pid_file = int(sys.argv[1]), sys.argv[2]
memory = mmap.mmap(-1, mib << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
memory[:] = os.urandom(mib << 20)
digest = hashlib.sha256(memory).digest()
print(f"allocated {mib}", flush=True)

count, sense = 0, RestoreSense()
while True:
    if sense.restored():
        child = os.fork()
        if child == 0:
            os.setsid()
            if os.fork() != 0:
                os._exit(0)
            with open(pid_file + ".tmp", "w") as f:
                f.write(str(os.getpid()))
            os.rename(pid_file + ".tmp", pid_file)
            while True:
                print("daemon intact " + ("yes" if hashlib.sha256(memory).digest() == digest else "no"), flush=True)
                time.sleep(0.2)
        os.waitpid(child, 0)
    print(f"count {count}", flush=True)
    count += 1
    time.sleep(0.1)
