#!/usr/bin/env python3
"""Part 8: preemption downtime. An HTTP app (apps/http_app.py) of N MiB of random memory is checkpointed on
demand (as a periodic checkpoint would), rewrites PERCENT % of its pages at random places, and gets SIGTERM;
a new pod on the same machine then restores it. Downtime is the time from the app's last answer in the old pod
to its first answer in the new one, without the time between the old pod's exit and the new pod's start (the
scheduling a cluster adds). A client asks every 5 ms throughout. Also: the SIGTERM checkpoint against the full
one before it, what crik says the app wrote (tracked writes), and the first touch's cost on this machine."""
import argparse
import os
import re
import shutil
import signal
import subprocess
import threading
import time

from benchlib import NAMESPACES, Proc, log, now, save, say_first_touch, sigterm_checkpoint, summary, wait_child
from lazy import free_port, get

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "apps", "http_app.py")


class Client:
    """Asks the app every 5 ms and keeps the time of each answer."""

    def __init__(self, port):
        self.port, self.answers, self.stop = port, [], False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                if get(self.port, timeout=1.0) is not None:
                    self.answers.append(now())
            except Exception:  # a pod killed mid-answer (IncompleteRead is no OSError): the client asks on
                pass
            time.sleep(0.005)

    def last_before(self, t):
        return max((a for a in self.answers if a <= t), default=None)

    def first_after(self, t):
        return min((a for a in self.answers if a >= t), default=None)


def pod(crik, python, work, mib, port, percent, extra_config, writes="scattered"):
    config = os.path.join(work, "crik.yaml")
    with open(config, "w") as f:
        f.write(f"imageDir: {os.path.join(work, 'images')}\ncheckpointTimeout: 600s\ncheckpointBudget: 900s\nrestoreTimeout: 15m\n"
                f"{extra_config}")
    env = dict(os.environ, CRIK_CONTROL_SOCKET=os.path.join(work, "control.sock"))
    return Proc(NAMESPACES + [crik, "run", "--config", config, "--", python, APP, str(mib), str(port), str(percent), writes], env=env), env


def keep_logs(logs, name, proc, marks=()):
    """A pod's whole output, with each line's time and the bench's own marks, for reading where a round's time went."""
    if logs:
        os.makedirs(logs, exist_ok=True)
        with open(os.path.join(logs, name), "w") as f:
            for stream in ("stdout", "stderr"):
                f.writelines(f"{t:.3f} [{stream}] {line}\n" for t, line in proc.lines[stream])
            f.writelines(f"{t:.3f} [bench] {what}\n" for what, t in marks)


def one_round(crik, python, work, mib, percent, extra_config, writes="scattered", logs=None, tag=""):
    shutil.rmtree(os.path.join(work, "images"), ignore_errors=True)
    port = free_port()
    old, env = pod(crik, python, work, mib, port, percent, extra_config, writes)
    old.wait_line(r"^ready", timeout=900)
    crik_pid = wait_child(old.pid, name="crik")
    client = Client(port)
    try:
        full_started = now()
        out = subprocess.run([crik, "checkpoint"], env=env, capture_output=True, text=True, timeout=900)
        if out.returncode != 0:
            raise RuntimeError(f"crik checkpoint failed: {out.stdout}{out.stderr}\n{old.transcript()}")
        full_s = now() - full_started
        os.kill(wait_child(crik_pid, name="python3"), signal.SIGUSR1)
        t_rewrote, _ = old.wait_line(r"^rewrote", timeout=300)
        time.sleep(0.3)
        t_sigterm, t_exit, sigterm_line = sigterm_checkpoint(old, crik_pid, 2)
        new, _ = pod(crik, python, work, mib, port, percent, extra_config, writes)
        t_start = new.started_at
        while client.first_after(t_start) is None:
            if new.popen.poll() is not None:
                raise RuntimeError(f"the new pod ended\n{new.transcript()}")
            time.sleep(0.005)
        _, restore_line = new.wait_line(r"Restored checkpoint 2", stream="stderr", timeout=60)
        last, first = client.last_before(t_exit), client.first_after(t_start)
        os.kill(wait_child(new.pid, name="crik"), signal.SIGKILL)
        new.wait(60)
        keep_logs(logs, f"{tag}old.log", old, [("SIGTERM sent", t_sigterm), ("crik gone", t_exit), ("last answer", client.last_before(t_exit))])
        keep_logs(logs, f"{tag}new.log", new, [("pod started", t_start), ("first answer", client.first_after(t_start))])
    finally:
        client.stop = True
    wrote = re.search(r"the app wrote ([\d.]+ [KMG]?i?B)", sigterm_line)
    return {
        "downtime_s": (t_exit - last) + (first - t_start),
        "old_pod_s": t_exit - last,
        "new_pod_s": first - t_start,
        "last_answer_to_sigterm_s": t_sigterm - last,
        "sigterm_checkpoint_s": t_exit - t_sigterm,
        "full_checkpoint_s": full_s,
        "sigterm_reported_s": float(re.search(r"committed in ([\d.]+) s", sigterm_line).group(1)),
        "app_wrote": wrote.group(1) if wrote else None,
        "sigterm_stages": sigterm_line.split("Stages: ", 1)[-1],
        "restore": re.search(r"Restored checkpoint 2 in [\d.]+ s, ([a-z ,']+)", restore_line).group(1),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--crik", required=True)
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--sizes", default="512,2048")
    parser.add_argument("--percent", type=float, default=5.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--extra-config", default="", help="more lines for crik's configuration, e.g. 'trackWrites: off'")
    parser.add_argument("--track-writes", choices=["default", "on", "off", "both"], default="default",
                        help="crik's trackWrites; default: no trackWrites key, as a user who sets nothing (auto); "
                             "both: each round once with it on and once off, in turn first")
    parser.add_argument("--writes", choices=["scattered", "runs"], default="scattered",
                        help="the app's rewrites: pages at random places, or runs of 1 MiB at random places")
    parser.add_argument("--logs", help="a directory to keep both pods' output in, a pair of files a round")
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    results = {"percent": args.percent, "writes": args.writes, "reps": args.reps, "extra_config": args.extra_config,
               "track_writes": args.track_writes, "sizes": {}}
    say_first_touch(results)
    modes = ["on", "off"] if args.track_writes == "both" else [args.track_writes]
    for mib in [int(s) for s in args.sizes.split(",")]:
        rounds = {mode: [] for mode in modes}
        for rep in range(args.reps):
            for mode in modes if rep % 2 == 0 else list(reversed(modes)):
                config = args.extra_config.replace("\\n", "\n") + ("\n" if mode == "default" else f"\ntrackWrites: {mode}\n")
                r = one_round(args.crik, args.python, args.work, mib, args.percent, config, args.writes,
                              args.logs, f"{mib}-{rep + 1}-{mode}-")
                rounds[mode].append(r)
                log(f"part 8: {mib} MiB #{rep + 1} trackWrites {mode}: "
                    + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
        summarized = {mode: {"summary": {k: summary([r[k] for r in rs]) for k in rs[0] if isinstance(rs[0][k], float)}, "rounds": rs}
                      for mode, rs in rounds.items()}
        results["sizes"][str(mib)] = summarized[modes[0]] | ({"off": summarized["off"]} if len(modes) == 2 else {})
        save(args.out, results)
    save(args.out, results)


if __name__ == "__main__":
    main()
