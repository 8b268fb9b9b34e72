"""Small shared helpers for the benchmark scripts: processes whose output lines are timestamped as
they arrive, "pods" (a program as PID 1 of fresh namespaces), /proc readers and statistics."""
import atexit
import json
import os
import queue
import re
import signal
import statistics
import subprocess
import threading
import time

NAMESPACES = ["unshare", "--pid", "--fork", "--mount-proc", "--ipc", "--uts", "--kill-child"]

_started = []


def new_container():
    """A pod starts in a new container, whose /run (seldom a tmpfs) holds no /run/criu.kdat: neither crik
    nor raw CRIU may find the kernel probes an earlier pod on this machine kept there. BENCH_KEEP_KDAT=1
    keeps them instead, as on a /run that is a tmpfs CRIU keeps them on itself (both then skip the probes)."""
    if os.environ.get("BENCH_KEEP_KDAT") == "1":
        return
    try:
        os.remove("/run/criu.kdat")
    except FileNotFoundError:
        pass


def now():
    return time.perf_counter()


class Proc:
    """A child process with stdin on /dev/null and stdout and stderr on pipes that reader threads
    drain; every line is kept with the perf_counter time it was read."""

    def __init__(self, args, env=None):
        self.args = [str(a) for a in args]
        if self.args[:1] == ["unshare"]:
            new_container()
        self.started_at = now()
        self.popen = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, env=env, start_new_session=True)
        self.pid = self.popen.pid
        self.lines = {"stdout": [], "stderr": []}
        self.cond = threading.Condition()
        for name in ("stdout", "stderr"):
            threading.Thread(target=self._drain, args=(name,), daemon=True).start()
        _started.append(self)

    def _drain(self, name):
        stream = getattr(self.popen, name)
        for raw in iter(stream.readline, b""):
            stamp = now()
            with self.cond:
                self.lines[name].append((stamp, raw.decode(errors="replace").rstrip("\n")))
                self.cond.notify_all()

    def wait_line(self, pattern, stream="stdout", after=0.0, timeout=60.0):
        """The (time, line) of the first line matching pattern that was read at or after `after`."""
        regex = re.compile(pattern)
        deadline = now() + timeout
        with self.cond:
            while True:
                for stamp, line in self.lines[stream]:
                    if stamp >= after and regex.search(line):
                        return stamp, line
                left = deadline - now()
                if left <= 0:
                    raise TimeoutError(f"no line /{pattern}/ on {stream} of {' '.join(self.args)} in {timeout} s\n"
                                       + self.transcript())
                self.cond.wait(left)

    def transcript(self):
        with self.cond:
            return "\n".join(f"[{name}] {line}" for name in ("stdout", "stderr") for _, line in self.lines[name][-30:])

    def wait(self, timeout=120.0):
        return self.popen.wait(timeout)

    def kill(self):
        """SIGKILL to the process group (unshare's --kill-child then takes the namespace down)."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                pass


def _cleanup():
    for proc in _started:
        proc.kill()


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, lambda *_: (_cleanup(), os._exit(143)))


def children(pid):
    result = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                result += [int(p) for p in f.read().split()]
    except FileNotFoundError:
        pass
    return result


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


def wait_child(pid, timeout=30.0, name=None):
    """The first child of pid (with that comm, when given), waiting for it to appear."""
    deadline = now() + timeout
    while now() < deadline:
        for child in children(pid):
            if name is None or comm(child) == name:
                return child
        time.sleep(0.002)
    raise TimeoutError(f"no child {name or ''} of {pid}")


def status_field(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return line.split(":", 1)[1].split()
    raise KeyError(field)


def rss_kib(pid):
    return int(status_field(pid, "VmRSS")[0])


def pid_in_namespace(pid):
    return int(status_field(pid, "NSpid")[-1])


def wait_exit(pid, timeout=120.0):
    """Waits for a process that need not be our child to exit (pidfd); the time it was seen."""
    fd = os.pidfd_open(pid)
    try:
        import select
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        if not poller.poll(timeout * 1000):
            raise TimeoutError(f"PID {pid} still running after {timeout} s")
        return now()
    finally:
        os.close(fd)


def tree_size(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            total += os.lstat(os.path.join(root, name)).st_size
    return total


def summary(values):
    """Median, min, max, stdev and count of a list of numbers."""
    values = sorted(values)
    if not values:
        return None
    return {
        "median": statistics.median(values),
        "min": values[0],
        "max": values[-1],
        "stdev": statistics.stdev(values) if len(values) > 1 else 0.0,
        "p99": values[min(len(values) - 1, int(round(0.99 * (len(values) - 1))))],
        "n": len(values),
    }


def save(path, data):
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
    print(f"bench: wrote {path}", flush=True)


def log(message):
    print(f"bench: {message}", flush=True)


def first_touch_us():
    """The machine's cost of a first touch of an anonymous page, in microseconds (bench/apps/first_touch.c, built
    here once): it says which kind of machine a restore figure came from, since crik's fill and CRIU both pay it for
    every page. None when no C compiler is at hand."""
    return microseconds_from("first_touch")


def microseconds_from(name):
    """The figure bench/apps/NAME.c prints, in microseconds; None without a C compiler, or when it prints none."""
    try:
        return float(subprocess.run([built_app(name)], check=True, capture_output=True, text=True).stdout)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return None


def built_app(name):
    """bench/apps/NAME.c built once into /tmp (again when it or timing.h is newer); the binary's path. Its comm is the
    first 15 characters of the binary's name: crik-bench-NAME. Raises OSError or CalledProcessError without cc."""
    apps = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps")
    source = os.path.join(apps, f"{name}.c")
    binary = os.path.join("/tmp", f"crik-bench-{name.replace('_', '-')}-{os.getuid()}")
    newest = max(os.path.getmtime(source), os.path.getmtime(os.path.join(apps, "timing.h")))
    if not os.path.exists(binary) or os.path.getmtime(binary) < newest:
        subprocess.run(["cc", "-O2", "-pthread", "-o", binary, source], check=True, capture_output=True)
    return binary


def recycle_memory(mib):
    """Touches MIB MiB of new memory and frees it, just before a restore: the restore's pages are then ones in use a
    moment ago, which the host still backs (a node that has been busy, where a first touch is cheap). Left alone, a VM
    gives the memory it has not used for a few seconds back to its host (free page reporting), and the next first touch
    of each page is dear again."""
    block = bytearray(mib << 20)  # malloc and a memset: every page written once
    del block


def let_memory_go_back(seconds=8.0):
    """Waits for the VM to give the memory freed lately back to its host: the restore's pages must be backed again
    (a node just booted, or idle, where a first touch is dear)."""
    time.sleep(seconds)


def tracked_write_us():
    """The machine's cost of the first write to a page write tracking watches, in microseconds (bench/apps/tracked_write.c):
    an app pays it for each page it writes after each checkpoint. None without a C compiler or the kernel's support."""
    return microseconds_from("tracked_write")


def say_first_touch(results, tracked_write=False):
    """Measures the first-touch cost (and with tracked_write, a tracked page's first write), logs it and keeps it in the results."""
    cost = first_touch_us()
    results["first_touch_us"] = cost
    log(f"a first touch of a page costs {cost:.2f} us on this machine" if cost is not None
        else "no C compiler: the cost of a first touch is not measured")
    if tracked_write:
        cost = tracked_write_us()
        results["tracked_write_us"] = cost
        log(f"a tracked page's first write after a checkpoint costs {cost:.2f} us on this machine" if cost is not None
            else "the cost of a tracked page's first write is not measured (no C compiler, or no asynchronous userfaultfd write-protection)")


def sigterm_checkpoint(pod, crik_pid, generation, timeout=900):
    """Sends crik SIGTERM and waits for it to commit checkpoint GENERATION and exit 0: when SIGTERM was sent, when
    crik was seen gone, and the committed line."""
    sent = now()
    os.kill(crik_pid, signal.SIGTERM)
    gone = wait_exit(crik_pid, timeout=timeout)
    if pod.wait(60) != 0:
        raise RuntimeError(f"crik did not exit 0 after SIGTERM\n{pod.transcript()}")
    _, line = pod.wait_line(rf"Checkpoint {generation} committed", stream="stderr", timeout=5)
    return sent, gone, line

