#!/usr/bin/env python3
# Test app: keeps what a container makes for itself after it starts, below DIR: a log directory it
# makes (mode 0750) with a log file it keeps open, and a file it maps into memory (like /dev/shm).
# Every 0.1 s it prints "count N", appends it to the log and stores N in the mapping.
# Usage: carry-app.py DIR
import mmap, os, sys, time

root = sys.argv[1]
os.makedirs(f"{root}/app/logs", mode=0o750, exist_ok=True)
os.chmod(f"{root}/app/logs", 0o750)
log = open(f"{root}/app/logs/hits.log", "a", buffering=1)
with open(f"{root}/shared-state", "wb") as f:
    f.write(b"\0" * 4096)
shared_fd = os.open(f"{root}/shared-state", os.O_RDWR)
shared = mmap.mmap(shared_fd, 4096)
os.close(shared_fd)
os.chdir(f"{root}/app")

n = int(shared[:16].rstrip(b"\0") or b"0")
while True:
    print(f"count {n}", flush=True)
    log.write(f"count {n}\n")
    shared[:16] = str(n + 1).encode().ljust(16, b"\0")
    n += 1
    time.sleep(0.1)
