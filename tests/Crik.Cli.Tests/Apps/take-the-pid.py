"""Run in a pod's PID and mount namespaces: kills the process group PID (if there is one), waits until PID is reaped, and makes
the next process of the namespace take PID, in a session of its own, with no descriptor open (CRIU can dump it).
That process sleeps, and adds a line to FILE with the name of each SIGUSR1 or SIGCONT it gets (none is sent it unless by
mistake: it is not the app). Prints the PID it got; exits 1 when it could not get it.

usage: take-the-pid.py PID FILE
"""
import os
import signal
import sys
import time

pid, got = int(sys.argv[1]), sys.argv[2]
try:
    os.killpg(pid, signal.SIGKILL)
except ProcessLookupError:
    pass  # no group of that number: the process was killed another way
while os.path.exists(f"/proc/{pid}"):
    time.sleep(0.02)
# Another process (one of crik's threads) can take the number between the write and the fork: tried again then, while
# the number is free.
for attempt in range(50):
    with open("/proc/sys/kernel/ns_last_pid", "w") as last:
        last.write(str(pid - 1))
    child = os.fork()
    if child == 0:
        if os.getpid() != pid:
            os._exit(0)
        os.setsid()
        def note(number, _frame):
            with open(got, "a") as out:
                out.write(signal.Signals(number).name + "\n")
        signal.signal(signal.SIGUSR1, note)
        signal.signal(signal.SIGCONT, note)
        os.closerange(0, 1024)
        while True:
            time.sleep(3600)
    if child == pid:
        print(pid, flush=True)
        sys.exit(0)
    os.waitpid(child, 0)
    if os.path.exists(f"/proc/{pid}"):
        break
    time.sleep(0.05)
print(f"could not take PID {pid}", file=sys.stderr)
sys.exit(1)
