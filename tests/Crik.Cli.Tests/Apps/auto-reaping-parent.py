"""Ignores SIGCHLD, so that the kernel reaps each of its children as it ends, forks one that sleeps, and fills 32 MiB of
its own memory (for a restore to fill in). Prints "child PID", then "count N" every 0.1 s."""
import os
import signal
import time

signal.signal(signal.SIGCHLD, signal.SIG_IGN)
child = os.fork()
if child == 0:
    while True:
        time.sleep(3600)
memory = bytearray(os.urandom(32 << 20))
print(f"child {child}", flush=True)
n = 0
while True:
    print(f"count {n}", flush=True)
    n += 1
    time.sleep(0.1)
