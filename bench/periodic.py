#!/usr/bin/env python3
"""Issue 77's first measure: how long a periodic checkpoint stops the app. An HTTP app (apps/http_app.py) of N MiB
answers a client that asks every 5 ms, and rewrites PERCENT % of its pages at random places every second (SIGUSR1).
It runs for SECONDS twice: once under crik without checkpoints, once with `checkpointInterval`. The figure is the
longest stretch without an answer in each run, and the stretches around each checkpoint's freeze; each committed
checkpoint's stages are kept. The app hashes 4 MiB per answer, so the run without checkpoints has gaps of its own. With
--spin N, N processes of the app count on the CPU as fast as they can (apps/http_app.py "spin"), and each run records their rate:
the run with checkpoints beside the one without says how much CPU the checkpoints take from the app's CPU-bound work.
The Python app's threads share its interpreter's lock, so an answer also waits for its rewrite, which each page's first
write after a checkpoint slows (the tracking's fault; "rewrites" keeps each rewrite's time). With --app native the app
is issue 77's own, in C (apps/native_app.c): a thread writing a 1 MiB block 30 times a second, one spinning, one
answering, with no lock between them; there a client's longest wait is how long the app was stopped, and the spinning
thread's share of the wall clock on a CPU (from its own CPU clock) says what the checkpoints took from it apart from the
host's speed, which moves from run to run on a shared VM. From the CRIU
logs of the checkpoints still kept, each run also records how long CRIU held the app (its seize to its unfreeze) and
how long it waited for its walk of the page tables beside the dump (criu-patches/0008, 0011); from every commit line,
how long the app was held in all (CRIU's seize to crik letting it go)."""
import argparse
import os
import re
import signal
import threading
import time

from benchlib import NAMESPACES, Proc, built_app, log, now, save, say_first_touch, summary, wait_child
from downtime import Client
from lazy import S3RVER, Store, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "apps", "http_app.py")


def spin_on_cpu(pod, started, ended):
    """From native_app's "spin 0 N CPU WALL" lines between started and ended: the share of the wall clock its spinning
    thread ran, and its count per second of its own CPU time. The host's speed moves the second from run to run on a
    shared VM (by a third here); the share is what a checkpoint's hold and crik's work beside the app take away."""
    seen = [tuple(float(v) for v in m.groups()) for stamp, line in pod.lines["stdout"]
            if started <= stamp <= ended and (m := re.fullmatch(r"spin 0 (\d+) ([\d.]+) ([\d.]+)", line))]
    if len(seen) < 2 or seen[-1][2] <= seen[0][2] or seen[-1][1] <= seen[0][1]:
        return None, None
    (count0, cpu0, wall0), (count1, cpu1, wall1) = seen[0], seen[-1]
    return round((cpu1 - cpu0) / (wall1 - wall0), 4), round((count1 - count0) / (cpu1 - cpu0))


def spin_rate(pod, started, ended):
    """The spinning processes' counts a second between started and ended, all together, from their "spin K N" lines."""
    runs = {}
    for stamp, line in pod.lines["stdout"]:
        if started <= stamp <= ended and (m := re.fullmatch(r"spin (\d+) (\d+)(?: \S+ \S+)?", line)):
            runs.setdefault(m.group(1), []).append((stamp, int(m.group(2))))
    rates = [(run[-1][1] - run[0][1]) / (run[-1][0] - run[0][0]) for run in runs.values() if len(run) > 1]
    return round(sum(rates)) if rates else None


def cpu_seconds(pid):
    """The CPU time of pid and of its children it has waited for (CRIU, for crik), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def criu_holds(committed):
    """From the CRIU log of each committed checkpoint still kept: how long CRIU held the app (its seize to its unfreeze), how
    long it waited for its walk of the page tables beside the dump (criu-patches/0008), and with how many threads it walked
    (criu-patches/0011): their summaries in ms."""
    held, waited, threads = [], [], set()
    for line in committed:
        found = re.search(r"CRIU log (\S+?\.log)", line)
        if not found or not os.path.exists(found.group(1)):
            continue
        with open(found.group(1), errors="replace") as f:
            text = f.read()
        seized, unfrozen = re.search(r"\((\d+\.\d+)\) Seized task", text), re.search(r"\((\d+\.\d+)\) Unfreezing tasks", text)
        if seized and unfrozen:
            held.append((float(unfrozen.group(1)) - float(seized.group(1))) * 1000)
        waited += [float(w) for w in re.findall(r"pages beside the dump: .*waited ([\d.]+) ms", text)]
        threads.update(int(n) for n in re.findall(r"pages beside the dump with (\d+) threads?", text))
    # crik's own figure, from every commit line: CRIU's seize to crik letting the app go (criu-patches/0013).
    app_held = [float(m.group(1)) for m in (re.search(r"the app held ([\d.]+) ms", line) for line in committed) if m]
    return {"criu_held_ms": summary(held), "criu_waited_for_walk_ms": summary(waited), "walk_threads": sorted(threads),
            "app_held_ms": summary(app_held)}


def one_run(crik, python, work, mib, seconds, percent, interval, spin=0, store_kind="volume", app_kind="python"):
    store = Store(store_kind, work, remote=True)
    config = os.path.join(work, "crik.yaml")
    with open(config, "w") as f:
        f.write(f"imageDir: {store.image_dir}\ncheckpointTimeout: 600s\ncheckpointBudget: 900s\n"
                + (f"checkpointInterval: {interval}\n" if interval else ""))
    port = free_port()
    if app_kind == "native":
        binary = built_app("native_app")
        command, app_comm = [binary, str(mib), str(port)], os.path.basename(binary)[:15]
    else:
        command, app_comm = [python, APP, str(mib), str(port), str(percent)] + ["spin"] * spin, "python3"
    pod = Proc(NAMESPACES + [crik, "run", "--config", config, "--"] + command, env=store.env)
    try:
        pod.wait_line(r"^ready", timeout=900)
        crik_pid = wait_child(pod.pid, name="crik")
        app = wait_child(crik_pid, name=app_comm)
        client = Client(port)
        first_started = now()
        if interval:
            # The first has no checkpoint before it: it copies all memory while the app runs (with trackWrites on).
            pod.wait_line(r"Checkpoint 1 committed", stream="stderr", timeout=900)
        first_answers = [a for a in client.answers if a >= first_started + 0.2]
        first_gaps = sorted(b - a for a, b in zip(first_answers, first_answers[1:]))
        started, crik_cpu = now(), cpu_seconds(crik_pid)
        while now() - started < seconds:
            os.kill(app, signal.SIGUSR1)
            time.sleep(1.0)
        ended, crik_cpu = now(), cpu_seconds(crik_pid) - crik_cpu
        client.stop = True
        client.thread.join()
        answers = [a for a in client.answers if a >= started + 0.2]
        gaps = sorted(b - a for a, b in zip(answers, answers[1:]))
        # Where the longest gaps began, on the clock of crik_log, to tell what made each of them.
        widest = sorted(((b - a, a - first_started) for a, b in zip(answers, answers[1:])), reverse=True)[:5]
        committed = [line for stamp, line in pod.lines["stderr"] if stamp >= started and re.search(r"Checkpoint \d+ committed", line)]
        # How long each of the app's rewrites took by its own clock: a write the tracking delays shows here.
        rewrites = [(float(m.group(1)), stamp - first_started) for stamp, line in pod.lines["stdout"] if stamp >= started
                    for m in [re.search(r"^rewrote \d+ pages in ([\d.]+) ms", line)] if m]
        gathered = [line.split("crik: ", 1)[-1] for stamp, line in pod.lines["stderr"] if stamp >= started and "Gathered checkpoint" in line]
        spin_share, spin_per_cpu_s = spin_on_cpu(pod, started, ended)
        return {
            "crik_log": [f"{stamp - first_started:.3f} {line.split('crik: ', 1)[-1]}" for stamp, line in pod.lines["stderr"] if stamp >= first_started],
            "gathered": gathered,
            "spin_per_s": spin_rate(pod, started, ended) if spin or app_kind == "native" else None,
            "spin_on_cpu_share": spin_share,
            "spin_per_cpu_s": spin_per_cpu_s,
            "crik_cpu_share": round(crik_cpu / (ended - started), 3),
            "answers": len(answers),
            "rewrites": [f"{ms} ms at {at:.3f}" for ms, at in rewrites],
            "first_checkpoint_longest_gap_s": round(first_gaps[-1], 4) if interval and first_gaps else None,
            "longest_gap_s": round(gaps[-1], 4) if gaps else None,
            "p99_gap_s": round(gaps[int(len(gaps) * 0.99)], 4) if gaps else None,
            "longest_gaps_at": [f"{length:.4f} s at {at:.3f}" for length, at in widest],
            "checkpoints": len(committed),
            "stages": [line.split("Stages: ", 1)[-1].split(";")[0] for line in committed],
            **criu_holds(committed),
        }
    finally:
        pod.kill()
        store.close()


def spread_said(spread):
    """A spread of criu_holds for the run's log line."""
    return f"a median of {spread['median']:.1f} ms ({spread['min']:.1f}-{spread['max']:.1f}, {spread['n']} dumps)" if spread else "-"


def spin_said(run):
    """The spinning thread's share of the wall clock on a CPU, and its speed per CPU second, for the run's log line."""
    return (f" (on a CPU {run['spin_on_cpu_share'] * 100:.2f} % of the time, {run['spin_per_cpu_s']} a CPU second)"
            if run["spin_on_cpu_share"] is not None else "")


def rewrites_said(run):
    """The app's rewrites, by its own clock, for the run's log line: their median and longest."""
    took = sorted(float(r.split(" ms")[0]) for r in run["rewrites"])
    return f"; the app's rewrites took {took[len(took) // 2]} ms (median), {took[-1]} ms at most" if took else ""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--crik", required=True)
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--sizes", default="1024")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--percent", type=float, default=0.5)
    parser.add_argument("--interval", default="1s")
    parser.add_argument("--spin", type=int, default=0, help="how many processes of the app spin on the CPU; their rate is recorded")
    parser.add_argument("--app", choices=["python", "native"], default="python",
                        help="apps/http_app.py, or apps/native_app.c: issue 77's app in C (a writer of 1 MiB blocks 30 "
                             "times a second, a spinning thread and an answering thread, with no lock between them)")
    parser.add_argument("--store", choices=["volume", "s3"], default="volume", help="a directory, or object storage (s3rver on loopback, at the lowest CPU priority as if it were another machine)")
    args = parser.parse_args()
    if args.store == "s3" and not os.path.exists(S3RVER):
        parser.error("no s3rver: bash scripts/install-s3rver.sh")
    os.makedirs(args.work, exist_ok=True)
    results = {"runs": []}
    say_first_touch(results, tracked_write=True)
    for mib in (int(s) for s in args.sizes.split(",")):
        for interval in (None, args.interval):
            run = one_run(args.crik, args.python, args.work, mib, args.seconds, args.percent, interval, args.spin, args.store,
                          args.app)
            run.update(mib=mib, interval=interval or "none", store=args.store, app=args.app)
            results["runs"].append(run)
            log(f"periodic: {mib} MiB to {args.store}, checkpointInterval {interval or 'none'}: longest gap {run['longest_gap_s']} s, "
                f"p99 {run['p99_gap_s']} s, {run['checkpoints']} checkpoints committed, {len(run['gathered'])} gathered, "
                f"spinning {run['spin_per_s']}/s{spin_said(run)}, crik and CRIU used {run['crik_cpu_share']} of a core; stages of the last: "
                f"{run['stages'][-1] if run['stages'] else '-'}{rewrites_said(run)}"
                + (f"; the app was held {spread_said(run['app_held_ms'])}, CRIU held it {spread_said(run['criu_held_ms'])} and waited {spread_said(run['criu_waited_for_walk_ms'])}"
                   f" for its walk of the page tables, with {run['walk_threads']} threads" if run["criu_held_ms"] else ""))
    save(args.out, results)


if __name__ == "__main__":
    main()
