#!/usr/bin/env python3
"""Benchmark app: prints "ready", then "usr1 N" at once for each SIGUSR1 it gets; exits on SIGTERM."""
import signal
import sys

count = 0


def on_usr1(_number, _frame):
    global count
    count += 1
    sys.stdout.write(f"usr1 {count}\n")
    sys.stdout.flush()


signal.signal(signal.SIGUSR1, on_usr1)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("ready", flush=True)
while True:
    signal.pause()
