#!/usr/bin/env python3
# Test app: forks a child that opens the POSIX message queue /crik-test-queue (with mq_open from
# librt, through ctypes) and prints "holding fd=N pid=P"; the parent prints "app-got-term" on
# SIGTERM and exits 7. CRIU 4.2 cannot dump a process holding a message queue.
import ctypes, os, signal, sys, time

rt = ctypes.CDLL("librt.so.1", use_errno=True)
rt.mq_open.restype = ctypes.c_int
rt.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]

def on_term(_number, _frame):
    print("app-got-term", flush=True)
    os.kill(child, signal.SIGKILL)
    sys.exit(7)


# The parent's handler is in place before the child's line, after which the tests send SIGTERM.
signal.signal(signal.SIGTERM, on_term)
child = os.fork()
if child == 0:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    fd = rt.mq_open(b"/crik-test-queue", os.O_CREAT | os.O_RDWR, 0o600, None)
    if fd < 0:
        print(f"mq_open failed: {os.strerror(ctypes.get_errno())}", flush=True)
        sys.exit(1)
    print(f"holding fd={fd} pid={os.getpid()}", flush=True)
    while True:
        time.sleep(3600)

while True:
    time.sleep(3600)
