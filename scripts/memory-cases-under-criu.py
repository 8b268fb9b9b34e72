#!/usr/bin/env python3
"""Runs crik's memory conformance cases through raw CRIU's own lazy restore (`criu lazy-pages`), no crik.

For each case of a conformance app (tests/Crik.Cli.Tests/Apps/memory-cases.c and any app with its line
protocol), as root with CRIU installed:
  1. the app runs in a PID namespace of its own (`unshare --pid --fork setsid`), its output in a file;
  2. `criu dump` checkpoints it (and kills it);
  3. `criu lazy-pages` serves that checkpoint, throttled by a cgroup's CPU quota so that most memory has
     not arrived when the app acts; `criu restore --lazy-pages` restores it; the app acts, and checks its
     bytes on SIGUSR1 while its memory arrives and again once the daemon is done;
  4. the same checkpoint is restored lazily again, and `criu dump` checkpoints the app during the fill;
     that checkpoint is then restored lazily and eagerly (plain `criu restore`), the app checking its bytes.
It prints a markdown table, one row per case. It documents CRIU's behaviour; it is not a test.

    sudo python3 scripts/memory-cases-under-criu.py                  # every case of the apps
    sudo python3 scripts/memory-cases-under-criu.py dontneed mprotect
    sudo python3 scripts/memory-cases-under-criu.py --keep path/to/other-app.c:somecase
    python3 scripts/memory-cases-under-criu.py --list [--app path/to/other-app.c]
"""
import argparse
import ctypes
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS_DIR = ROOT / "tests" / "Crik.Cli.Tests" / "Apps"
DEFAULT_APPS = ["memory-cases.c", "memory-access-cases.c"]
CPU_CGROUP = Path("/sys/fs/cgroup/cpu")  # cgroup v1; v2 is used when this is absent
CGROUP2 = Path("/sys/fs/cgroup")
PR_SET_CHILD_SUBREAPER = 36
CLOCK_JUMP = 1.5  # seconds between a dump and a restore: the app takes a gap over 1 s for a restore
ACT_TIMEOUT = 60
CHECK_TIMEOUT = 180
FILL_TIMEOUT = 300
CRIU_TIMEOUT = 120


class Failure(Exception):
    """A step that did not work; its message is the table cell."""


def cases_of(source):
    """The cases a conformance app lists in its header comment: lines `//   name   what it does`."""
    cases = []
    for line in source.read_text().splitlines():
        if not line.startswith("//"):
            break
        match = re.match(r"//   (\w+) {2,}\S", line)
        if match:
            cases.append(match.group(1))
    return cases


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cases", nargs="*", help="case names (default: every case of the apps), or SOURCE.c:CASE")
    parser.add_argument("--app", action="append", help="the app's C source (default: the conformance apps)")
    parser.add_argument("--mib", type=int, default=256, help="the app's memory in MiB (default 256)")
    parser.add_argument("--cpu-percent", type=float, default=2, help="CPU quota of criu lazy-pages (default 2)")
    parser.add_argument("--criu", default="/usr/local/sbin/criu", help="the criu binary")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (CRIU logs and images but their pages)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    return parser.parse_args()


def resolve_cases(args):
    """(source, case) pairs to run, from the apps' headers; one clear error on a case no app lists."""
    apps = [Path(a) for a in args.app] if args.app else [APPS_DIR / a for a in DEFAULT_APPS if (APPS_DIR / a).exists()]
    listed = {}
    for app in apps:
        if not app.is_file():
            sys.exit(f"error: no such app source: {app}")
        for case in cases_of(app):
            listed.setdefault(case, app)
    if not args.cases:
        if not listed:
            sys.exit("error: no cases found in the header comments of " + ", ".join(map(str, apps)))
        return list((app, case) for case, app in listed.items())
    chosen = []
    for name in args.cases:
        if ":" in name:
            source, case = name.rsplit(":", 1)
            if not Path(source).is_file():
                sys.exit(f"error: no such app source: {source}")
            chosen.append((Path(source), case))
        elif name in listed:
            chosen.append((listed[name], name))
        else:
            sys.exit(f"error: unknown case {name!r}; the apps list: {', '.join(listed) or 'none'}")
    return chosen


def compile_app(source, build_dir):
    binary = build_dir / source.stem
    if not binary.exists():
        result = subprocess.run(["gcc", "-O2", "-Wall", "-Werror", "-o", str(binary), str(source)], capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"error: gcc failed on {source}: {result.stderr.strip()}")
    return binary


class AppOutput:
    """What the app says: a file it appends to (stdout and stderr), which CRIU opens again on a restore."""

    def __init__(self, path):
        self.path = path
        path.write_bytes(b"")
        self.offset = 0
        self.pending = b""
        self.lines = []
        self.cursor = 0

    def rewind(self, size):
        """The file as it was at a dump, before that dump is restored; what the app said since is forgotten."""
        os.truncate(self.path, size)
        self.offset, self.pending, self.lines, self.cursor = size, b"", [], 0

    def size(self):
        return self.path.stat().st_size

    def _read(self):
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        *complete, self.pending = (self.pending + data).split(b"\n")
        self.lines += [line.decode(errors="replace") for line in complete]

    def wait_for(self, prefix, timeout, ended=lambda: None):
        """The next line starting with prefix, None after timeout; Failure if the app ends first (ended() says how)."""
        deadline = time.monotonic() + timeout
        while True:
            self._read()
            for index in range(self.cursor, len(self.lines)):
                if self.lines[index].startswith(prefix):
                    self.cursor = index + 1
                    return self.lines[index]
            self.cursor = len(self.lines)
            how = ended()
            if how:
                raise Failure(f"the app {how}: " + " | ".join(self.case_lines()[-3:]))
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)

    def case_lines(self):
        """What the app said about its case: every line but its counting and unshare's own complaints."""
        return [l for l in self.lines if not re.match(r"(count|allocated|changed) |unshare: ", l)]


class App:
    """A restored app: the init of its PID namespace, reparented to this script (a subreaper) once criu exits."""

    def __init__(self, pid):
        self.pid = pid
        self.status = None

    def ended(self):
        """How the app ended ("was killed by SIGSEGV"), or None while it runs."""
        if self.status is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return None if Path(f"/proc/{self.pid}").exists() else "is gone"
            if pid == 0:
                return None
            self.status = status
        if os.WIFSIGNALED(self.status):
            return f"was killed by {signal.Signals(os.WTERMSIG(self.status)).name}"
        return f"exited with {os.WEXITSTATUS(self.status)}"

    def signal(self, signo):
        if not self.ended():
            os.kill(self.pid, signo)

    def kill(self):
        self.signal(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not self.ended() and time.monotonic() < deadline:
            time.sleep(0.02)

    def arrived_percent(self, mib):
        """How much of the app's memory is in (its resident set against the MiB it maps), or None."""
        try:
            rollup = Path(f"/proc/{self.pid}/smaps_rollup").read_text()
        except OSError:
            return None
        kib = int(re.search(r"^Rss:\s+(\d+) kB", rollup, re.M).group(1))
        return min(100, round(100 * kib / (mib * 1024)))

    def waiting_in(self):
        """Where in the kernel the app's processes wait (for a hang), e.g. "handle_userfault"."""
        found = []
        for task in Path(f"/proc/{self.pid}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            for pid in [task.name] + children:
                try:
                    found.append(Path(f"/proc/{pid}/wchan").read_text() or "running")
                except OSError:
                    pass
        return ", ".join(sorted(set(found))) or "unknown"


def criu_error(log):
    """The first error CRIU logged, without its time stamp (the RLIMIT_NOFILE one is harmless noise)."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return f"no log at {log}"
    for line in lines:
        match = re.search(r"Error \((\S+)\): (.*)", line)
        if match and "RLIMIT_NOFILE" not in line:
            return f"{match.group(2).strip()} ({match.group(1)})"
    return "no error in its log"


def run_criu(criu, action, images, log_name, *extra):
    """criu ACTION -D images, logging to images/log_name; Failure naming CRIU's error if it fails."""
    log = images / log_name
    command = [criu, action, "-D", str(images), "-o", log_name, "-v4", *extra]
    try:
        result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=CRIU_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure(f"criu {action} hangs (over {CRIU_TIMEOUT} s)") from None
    if result.returncode != 0:
        raise Failure(f"criu {action} fails: {criu_error(log)}")


class CpuQuota:
    """A cgroup that holds criu lazy-pages to a share of one CPU, so that the fill is slow (v1 or v2)."""

    def __init__(self, percent):
        name = f"criu-memory-cases-{os.getpid()}"
        period = 100000
        quota = max(1000, int(period * percent / 100))
        if (CPU_CGROUP / "cpu.cfs_quota_us").exists():
            self.path = CPU_CGROUP / name
            self.path.mkdir()
            (self.path / "cpu.cfs_period_us").write_text(str(period))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))
        elif (CGROUP2 / "cgroup.controllers").exists() and "cpu" in (CGROUP2 / "cgroup.controllers").read_text().split():
            self.path = CGROUP2 / name
            self.path.mkdir()
            (self.path / "cpu.max").write_text(f"{quota} {period}")
        else:
            sys.exit("error: no cgroup CPU controller to slow criu lazy-pages down with")

    def join(self):
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def remove(self):
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.1)


class LazyPagesDaemon:
    """criu lazy-pages serving a checkpoint to a lazy restore, in the slow cgroup; it ends once all is in."""

    def __init__(self, criu, images, quota, log_name):
        self.log = images / log_name
        (images / "lazy-pages.socket").unlink(missing_ok=True)
        ready, status = os.pipe()
        command = [criu, "lazy-pages", "-D", str(images), "-o", log_name, "-v4", "--status-fd", str(status)]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        pass_fds=(status,), preexec_fn=quota.join)
        os.close(status)
        with os.fdopen(ready, "rb") as answer:
            said = answer.read(1) if select.select([answer], [], [], CRIU_TIMEOUT)[0] else b""  # \0 when ready
        if said != b"\0":
            self.stop()
            raise Failure(f"criu lazy-pages fails: {criu_error(self.log)}")

    def running(self):
        return self.process.poll() is None

    def wait(self, timeout):
        """True when the daemon ended (every page in, or its app gone) within timeout."""
        try:
            self.process.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def stop(self):
        if self.running():
            self.process.terminate()
            if not self.wait(5):
                self.process.kill()
                self.process.wait()


@dataclass
class Setup:
    criu: str
    mib: int
    quota: CpuQuota
    output: AppOutput = None


@dataclass
class Run:
    """What one restore of the app showed."""
    lazy: bool
    said: list = field(default_factory=list)
    restored_with: int = None  # percent of its memory in as criu restore returned (the app acts within 0.1 s)
    acted_with: int = None  # ... when it said "changed N" (after a child it forked had done its checks)
    checked_with: int = None  # ... when it was asked to check its bytes
    intact_arriving: str = ""
    intact: str = ""
    daemon: str = ""
    failure: str = ""


def start_fresh_app(binary, case, setup):
    """The app as init of a PID namespace of its own and leader of its session (CRIU dumps only whole sessions)."""
    with open(setup.output.path, "ab") as out:  # O_APPEND: a restored app goes on writing at the end
        unshare = subprocess.Popen(["unshare", "--pid", "--fork", "setsid", str(binary), case, str(setup.mib)],
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    children = Path(f"/proc/{unshare.pid}/task/{unshare.pid}/children")
    deadline = time.monotonic() + 10
    while unshare.poll() is None and not children.read_text().split() and time.monotonic() < deadline:
        time.sleep(0.01)
    pid = int(children.read_text().split()[0]) if unshare.poll() is None and children.read_text().split() else None
    def ended():
        return None if unshare.poll() is None else f"exited with {unshare.returncode}"
    try:
        if pid is None or not setup.output.wait_for("allocated", ACT_TIMEOUT, ended) or not setup.output.wait_for("count 1", 10, ended):
            raise Failure("does not start: " + " | ".join(setup.output.case_lines()[-3:]))
    except Failure:
        stop_fresh_app(unshare, pid)
        raise
    return unshare, pid


def stop_fresh_app(unshare, pid):
    if pid is not None:
        try:
            os.kill(pid, signal.SIGKILL)  # the init of its namespace: everything in it goes too
        except ProcessLookupError:
            pass
    unshare.wait(10)


def checkpoint_fresh_app(binary, case, setup, images):
    """The app started, checkpointed by a plain criu dump (which kills it); the size of its output then."""
    unshare, pid = start_fresh_app(binary, case, setup)
    try:
        run_criu(setup.criu, "dump", images, "dump.log", "-t", str(pid))
    finally:
        stop_fresh_app(unshare, pid)
    return setup.output.size()


def restore(setup, images, tag, *extra):
    """criu restore, detached: the app becomes this script's child (it is a subreaper)."""
    pidfile = images / f"restored-{tag}.pid"
    pidfile.unlink(missing_ok=True)  # criu will not write over one
    run_criu(setup.criu, "restore", images, f"restore-{tag}.log", "--restore-detached", "--pidfile", str(pidfile), *extra)
    return App(int(pidfile.read_text()))


def act(app, setup, restores, run):
    """Waits for the app to do what its case says just after restore number `restores` ("changed N")."""
    run.restored_with = app.arrived_percent(setup.mib)
    said = setup.output.wait_for(f"changed {restores}", ACT_TIMEOUT, app.ended)
    run.said = setup.output.case_lines()
    if not said:
        raise Failure(f"hangs: no \"changed {restores}\" in {ACT_TIMEOUT} s (waits in {app.waiting_in()})")
    run.acted_with = app.arrived_percent(setup.mib)


def check(app, setup):
    """The app's own check of every byte it has (SIGUSR1): "yes" or "no"."""
    app.signal(signal.SIGUSR1)
    said = setup.output.wait_for("intact ", CHECK_TIMEOUT, app.ended)
    if not said:
        raise Failure(f"hangs: no \"intact\" in {CHECK_TIMEOUT} s (waits in {app.waiting_in()})")
    return said.split()[1]


def finish_fill(daemon, app, setup, run):
    """Waits for criu lazy-pages to end (every page in), noting how it ended, then has the app check again."""
    if not daemon.wait(FILL_TIMEOUT):
        raise Failure(f"the fill does not end in {FILL_TIMEOUT} s")
    if daemon.process.returncode != 0:
        run.daemon = f"criu lazy-pages exits {daemon.process.returncode}: {criu_error(daemon.log)}"
    run.intact = check(app, setup)


def watch_lazy_restore(setup, images, size, restores, tag):
    """A lazy restore of the checkpoint in images: the app acts and checks its bytes while they arrive and after."""
    run = Run(lazy=True)
    setup.output.rewind(size)
    daemon = app = None
    try:
        daemon = LazyPagesDaemon(setup.criu, images, setup.quota, f"lazy-pages-{tag}.log")
        app = restore(setup, images, tag, "--lazy-pages")
        act(app, setup, restores, run)
        run.checked_with = app.arrived_percent(setup.mib)
        run.intact_arriving = check(app, setup)
        finish_fill(daemon, app, setup, run)
    except Failure as failure:
        run.failure = str(failure)
    finally:
        if app:
            app.kill()
        if daemon:
            daemon.stop()
    return run


def watch_eager_restore(setup, images, size, restores, tag):
    """A plain criu restore of the checkpoint in images: the app acts and checks its bytes."""
    run = Run(lazy=False)
    setup.output.rewind(size)
    app = None
    try:
        app = restore(setup, images, tag)
        act(app, setup, restores, run)
        run.intact = check(app, setup)
    except Failure as failure:
        run.failure = str(failure)
    finally:
        if app:
            app.kill()
    return run


def checkpoint_during_fill(setup, images, target, size):
    """The first checkpoint restored lazily again; once the app has acted, criu dump into target while pages arrive.

    CRIU's daemon sends a background chunk (up to 4 MiB) between two faults, so an app whose forked child reads
    its memory page by page may have it all before it has acted: then the checkpoint is one after the fill."""
    setup.output.rewind(size)
    daemon = LazyPagesDaemon(setup.criu, images, setup.quota, "lazy-pages-until-dump.log")
    app = None
    try:
        app = restore(setup, images, "until-dump", "--lazy-pages")
        act(app, setup, 1, Run(lazy=True))
        in_before = app.arrived_percent(setup.mib)
        filling = daemon.running()
        run_criu(setup.criu, "dump", target, "dump.log", "-t", str(app.pid))
        return f"dumped with {in_before}% in" if filling else "dumped after the fill (all in before the app had acted)"
    finally:
        if app:
            app.kill()
        if daemon.running() and not daemon.wait(10):
            print(f"  criu lazy-pages still runs 10 s after its app was dumped; stopped", file=sys.stderr)
        daemon.stop()


@dataclass
class Row:
    case: str
    arriving: Run = None
    dumped: str = ""  # how the checkpoint during the fill went
    lazy: Run = None
    eager: Run = None


def run_case(source, case, setup, work):
    """One case through raw CRIU: lazy restore, a checkpoint during the fill, and its lazy and eager restores."""
    row = Row(case)
    first, during = work / case / "checkpoint", work / case / "during-fill"
    first.mkdir(parents=True)
    during.mkdir()
    setup.output = AppOutput(work / case / "app.out")
    try:
        size = checkpoint_fresh_app(compile_app(source, work), case, setup, first)
    except Failure as failure:
        row.arriving, row.dumped = Run(lazy=True, failure=f"first checkpoint: {failure}"), "not tried"
        return row
    time.sleep(CLOCK_JUMP)
    row.arriving = watch_lazy_restore(setup, first, size, 1, "lazy")
    try:
        row.dumped = checkpoint_during_fill(setup, first, during, size)
    except Failure as failure:
        row.dumped = f"not possible: {failure}"
        return row
    size = setup.output.size()
    time.sleep(CLOCK_JUMP)
    row.lazy = watch_lazy_restore(setup, during, size, 2, "lazy")
    row.eager = watch_eager_restore(setup, during, size, 2, "eager")
    return row


def describe(run):
    """A table cell: what the app said, how much had arrived, its checks, and what failed."""
    if run is None:
        return "not possible"
    parts = list(run.said)
    if run.lazy and run.acted_with is not None:
        parts.append(f"{run.restored_with}% in at the restore, {run.acted_with}% at \"changed\"")
    if run.intact_arriving:
        parts.append(f"intact {run.intact_arriving} while arriving ({run.checked_with}% in)")
    if run.intact:
        parts.append(f"intact {run.intact}" + (" after the fill" if run.lazy else ""))
    parts += [text for text in (run.daemon, run.failure) if text]
    return "; ".join(parts).replace("|", "\\|")


def table(rows):
    lines = ["| case | raw CRIU lazy (while arriving, then after the fill) | checkpoint during the fill "
             "| its lazy restore | its eager restore |", "|---|---|---|---|---|"]
    for row in rows:
        later = [describe(row.lazy), describe(row.eager)] if row.lazy else [row.dumped, row.dumped]
        lines.append(f"| {row.case} | {describe(row.arriving)} | {row.dumped} | {later[0]} | {later[1]} |")
    return "\n".join(lines)


def check_can_run(args):
    if os.geteuid() != 0:
        sys.exit("error: CRIU needs root: run this as root")
    if not os.access(args.criu, os.X_OK):
        sys.exit(f"error: no criu at {args.criu} (--criu)")
    for tool in ("gcc", "unshare", "setsid"):
        if not shutil.which(tool):
            sys.exit(f"error: {tool} is not installed")
    if args.mib <= 0 or args.mib % 4:
        sys.exit(f"error: --mib must be a positive multiple of 4 (the app's four areas), not {args.mib}")


def main():
    args = parse_args()
    chosen = resolve_cases(args)
    if args.list:
        print("\n".join(f"{case}\t{source}" for source, case in chosen))
        return
    check_can_run(args)
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    work = Path(tempfile.mkdtemp(prefix="criu-memory-cases-"))
    quota = CpuQuota(args.cpu_percent)
    rows = []
    began = time.monotonic()
    try:
        for source, case in chosen:
            started = time.monotonic()
            rows.append(run_case(source, case, Setup(args.criu, args.mib, quota), work))
            for pages in (work / case).glob("*/pages-*.img"):
                pages.unlink()  # the memory images are big; the logs stay with --keep
            print(f"{case}: {time.monotonic() - started:.0f} s", file=sys.stderr)
    finally:
        quota.remove()
        if args.keep:
            print(f"images and CRIU logs kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{len(rows)} cases in {time.monotonic() - began:.0f} s, {args.mib} MiB, criu lazy-pages held to "
          f"{args.cpu_percent}% of a CPU", file=sys.stderr)
    print(table(rows))


if __name__ == "__main__":
    main()
