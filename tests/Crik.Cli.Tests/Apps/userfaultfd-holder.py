#!/usr/bin/env python3
# Test app: makes a userfaultfd (through ctypes, x86-64's call number), as an app that handles its own page faults does,
# prints "holding fd=N pid=P" and sleeps. CRIU cannot dump a process holding a userfaultfd.
import ctypes
import os
import time

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
USERFAULTFD_X64, UFFD_USER_MODE_ONLY = 323, 1
fd = libc.syscall(USERFAULTFD_X64, os.O_CLOEXEC | UFFD_USER_MODE_ONLY)
if fd < 0:
    print(f"userfaultfd failed: {os.strerror(ctypes.get_errno())}", flush=True)
    raise SystemExit(1)
print(f"holding fd={fd} pid={os.getpid()}", flush=True)
while True:
    time.sleep(3600)
