#!/usr/bin/env python3
# Test app: stopped-children.py FILE [reserve] SIG...: forks a child for each signal named (SIGSTOP,
# SIGTSTP, SIGTTIN, SIGTTOU) and stops it by that signal, printing "before SIG N" with the WSTOPSIG
# its waitpid(WUNTRACED) reported; then counts. Once FILE exists (the test makes it after a
# restore), it waits for each child again and prints "after SIG waitid N waitpid M": the signal of
# the stop waitid(WSTOPPED | WNOWAIT) sees, then the WSTOPSIG of the stop waitpid(WUNTRACED)
# reports ("none" when no stop came within 10 s). With "reserve" it also reserves 1 TiB of address
# space, so that crik restores it from image files (as reserve-memory.py).
import mmap, os, signal, sys, time



class NoStop(Exception):
    pass


def on_alarm(signum, frame):
    raise NoStop()


def child():
    # Its own process group: the kernel discards SIGTSTP, SIGTTIN and SIGTTOU sent to a process in
    # an orphaned group, as the app's own group is under crik (its parent is in another session).
    os.setpgid(0, 0)
    while True:
        time.sleep(1)


def stopped(sig):
    pid = os.fork()
    if pid == 0:
        child()
    os.setpgid(pid, pid)
    os.kill(pid, sig)
    _, status = os.waitpid(pid, os.WUNTRACED)
    return pid, os.WSTOPSIG(status) if os.WIFSTOPPED(status) else "none"


def wait_again(pid):
    signal.alarm(10)
    try:
        seen = os.waitid(os.P_PID, pid, os.WSTOPPED | os.WNOWAIT).si_status
        _, status = os.waitpid(pid, os.WUNTRACED)
        return seen, os.WSTOPSIG(status) if os.WIFSTOPPED(status) else "none"
    except NoStop:
        return "none", "none"
    finally:
        signal.alarm(0)


signal.signal(signal.SIGALRM, on_alarm)
names = [a for a in sys.argv[2:] if a != "reserve"]
children = []
for name in names:
    pid, stop = stopped(signal.Signals[name])
    children.append((name, pid))
    print(f"before {name} {stop}", flush=True)
# After the forks: a child with the reservation too could not be restored even from files.
reserved = mmap.mmap(-1, 1 << 40, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=0) if "reserve" in sys.argv[2:] else None
i = 0
checked = False
while True:
    if not checked and os.path.exists(sys.argv[1]):
        for name, pid in children:
            seen, stop = wait_again(pid)
            print(f"after {name} waitid {seen} waitpid {stop}", flush=True)
        checked = True
    print(f"count {i}", flush=True)
    i += 1
    time.sleep(0.1)
