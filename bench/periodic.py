#!/usr/bin/env python3
"""Issue 77's first measure: how long a periodic checkpoint stops the app. An HTTP app (apps/http_app.py) of N MiB
answers a client that asks every 5 ms, and rewrites PERCENT % of its pages at random places every second (SIGUSR1).
It runs for SECONDS twice: once under crik without checkpoints, once with `checkpointInterval`. The figure is the
longest stretch without an answer in each run, and the stretches around each checkpoint's freeze; each committed
checkpoint's stages are kept. The app hashes 4 MiB per answer, so the run without checkpoints has gaps of its own."""
import argparse
import os
import re
import shutil
import signal
import threading
import time

from benchlib import NAMESPACES, Proc, log, now, save, say_first_touch, wait_child
from downtime import Client
from lazy import free_port

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "apps", "http_app.py")


def one_run(crik, python, work, mib, seconds, percent, interval):
    shutil.rmtree(os.path.join(work, "images"), ignore_errors=True)
    config = os.path.join(work, "crik.yaml")
    with open(config, "w") as f:
        f.write(f"imageDir: {os.path.join(work, 'images')}\ncheckpointTimeout: 600s\ncheckpointBudget: 900s\n"
                + (f"checkpointInterval: {interval}\n" if interval else ""))
    port = free_port()
    pod = Proc(NAMESPACES + [crik, "run", "--config", config, "--", python, APP, str(mib), str(port), str(percent)])
    try:
        pod.wait_line(r"^ready", timeout=900)
        app = wait_child(wait_child(pod.pid, name="crik"), name="python3")
        if interval:
            pod.wait_line(r"Checkpoint 1 committed", stream="stderr", timeout=900)  # the first reads all memory
        client = Client(port)
        started = now()
        while now() - started < seconds:
            os.kill(app, signal.SIGUSR1)
            time.sleep(1.0)
        client.stop = True
        client.thread.join()
        answers = [a for a in client.answers if a >= started + 0.2]
        gaps = sorted(b - a for a, b in zip(answers, answers[1:]))
        committed = [line for stamp, line in pod.lines["stderr"] if stamp >= started and re.search(r"Checkpoint \d+ committed", line)]
        gathered = [line.split("crik: ", 1)[-1] for stamp, line in pod.lines["stderr"] if stamp >= started and "Gathered checkpoint" in line]
        return {
            "gathered": gathered,
            "answers": len(answers),
            "longest_gap_s": round(gaps[-1], 4) if gaps else None,
            "p99_gap_s": round(gaps[int(len(gaps) * 0.99)], 4) if gaps else None,
            "checkpoints": len(committed),
            "stages": [line.split("Stages: ", 1)[-1].split(";")[0] for line in committed],
        }
    finally:
        pod.kill()


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
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    results = {"runs": []}
    say_first_touch(results)
    for mib in (int(s) for s in args.sizes.split(",")):
        for interval in (None, args.interval):
            run = one_run(args.crik, args.python, args.work, mib, args.seconds, args.percent, interval)
            run.update(mib=mib, interval=interval or "none")
            results["runs"].append(run)
            log(f"periodic: {mib} MiB, checkpointInterval {interval or 'none'}: longest gap {run['longest_gap_s']} s, "
                f"p99 {run['p99_gap_s']} s, {run['checkpoints']} checkpoints committed, {len(run['gathered'])} gathered; stages of the last: "
                f"{run['stages'][-1] if run['stages'] else '-'}")
    save(args.out, results)


if __name__ == "__main__":
    main()
