#!/usr/bin/env python3
# Test app: counts ("count N" every 50 ms), starts a thread at each count that lives for eight seconds, longer than a pod here
# (as a thread pool grows and shrinks) and forks a short-lived child every twentieth count (as a
# BGSAVE does). After a restore its new threads and children take IDs in the new pod, and the next
# restore needs those IDs too. With an argument N, its threads and children start at N+1, as a checkpoint
# taken after a restore by a crik that left the counter low has them.
import os, sys, threading, time

if len(sys.argv) > 1:
    with open("/proc/sys/kernel/ns_last_pid", "w") as counter:
        counter.write(sys.argv[1])

i = 0
while True:
    threading.Thread(target=time.sleep, args=(8,), daemon=True).start()
    if i % 20 == 0 and os.fork() == 0:
        time.sleep(0.2)
        os._exit(0)
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
    print(f"count {i}", flush=True)
    i += 1
    time.sleep(0.05)
