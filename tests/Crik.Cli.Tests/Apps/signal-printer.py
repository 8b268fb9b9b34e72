#!/usr/bin/env python3
# Test app: prints "ready", then "signal N" for each signal it receives; exits 0 after SIGTERM.
import os, signal, sys, time

def on_signal(number, _frame):
    print(f"signal {number}", flush=True)
    if number == signal.SIGTERM:
        sys.exit(0)

for number in range(1, 32):
    if number in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD):
        continue
    try:
        signal.signal(number, on_signal)
    except (OSError, ValueError):
        pass
print(f"ready pid={os.getpid()}", flush=True)
while True:
    time.sleep(3600)
