#!/usr/bin/env python3
# Test app: a second thread forks a child every 20 ms and reaps those that left, while the main thread (the one crik makes
# its userfaultfd in) sleeps. A child that finds a userfaultfd among its descriptors (a
# copy of one its parent held when it forked) prints "holder PID" and stays until it is killed; any other leaves after
# 100 ms. CRIU cannot dump a process that holds a userfaultfd.
import os
import threading
import time
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)  # a fork from a process with threads


def holds_userfaultfd():
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:[userfaultfd]":
                return True
        except OSError:
            pass
    return False


def fork_for_ever():
    while True:
        if os.fork() == 0:
            if holds_userfaultfd():
                print(f"holder {os.getpid()}", flush=True)
                while True:
                    time.sleep(3600)
            time.sleep(0.1)
            os._exit(0)
        time.sleep(0.02)
        while True:
            try:
                reaped, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if reaped == 0:
                break


threading.Thread(target=fork_for_ever, daemon=True).start()
print("ready", flush=True)
while True:
    time.sleep(3600)
