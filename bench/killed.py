#!/usr/bin/env python3
"""Issue 77's work-lost measure: how much of the app's work a pod killed without notice loses. The HTTP app
(apps/http_app.py) of N MiB prints "tick N" every 100 ms, a counter in its memory, and rewrites PERCENT % of its pages at
random places every second (SIGUSR1). It runs under crik with `checkpointInterval`; at a random moment the whole pod is
killed at once (SIGKILL to its process group: unshare's --kill-child takes the PID namespace down with crik), and a new
pod on the same image directory restores the newest committed checkpoint. The work lost is the ticks the killed pod
printed that the restored app prints again, at 100 ms each. Repeated KILLS times, each pod restoring the last one's."""
import argparse
import os
import random
import re
import shutil
import signal
import time

from benchlib import NAMESPACES, Proc, log, now, save, wait_child
from lazy import free_port

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "apps", "http_app.py")
TICK_S = 0.1


def ticks(pod, after=0.0):
    return [(stamp, int(m.group(1))) for stamp, line in pod.lines["stdout"]
            if stamp >= after and (m := re.fullmatch(r"tick (\d+)", line))]


def rewrite_every_second(pod, app, until):
    while now() < until and pod.popen.poll() is None:
        try:
            os.kill(app, signal.SIGUSR1)
        except ProcessLookupError:
            return
        time.sleep(1.0)


def one_pod(args, config, port, number, rng):
    """Starts a pod, waits for the app (fresh or restored), lets it run a random while and kills it. Every pod runs the same
    command (the port included): crik restores a checkpoint only into a container that runs the app it was taken of."""
    pod = Proc(NAMESPACES + [args.crik, "run", "--config", config, "--", args.python, APP, str(args.mib), str(port), str(args.percent)])
    if number == 0:
        pod.wait_line(r"^ready", timeout=900)
        restored = None
    else:
        # A pod may start fresh: crik gives up on a checkpoint whose restored pods keep dying within restoreProbation.
        _, line = pod.wait_line(r"Restored checkpoint \d+|starting the app fresh", stream="stderr", timeout=900)
        restored = int(m.group(1)) if (m := re.search(r"Restored checkpoint (\d+)", line)) else None
    running_from = now()
    app = wait_child(wait_child(pod.pid, name="crik"), name="python3")
    first = pod.wait_line(r"^tick \d+", after=running_from, timeout=120)
    lives = rng.uniform(args.least, args.most)
    rewrite_every_second(pod, app, running_from + lives)
    printed = ticks(pod)
    committed = [line for _, line in pod.lines["stderr"] if re.search(r"Checkpoint \d+ committed", line)]
    pod.kill()
    with open(os.path.join(args.work, f"pod-{number}.stderr"), "w") as f:
        f.write("\n".join(line for _, line in pod.lines["stderr"]) + "\n")
    return {
        "restored": restored,
        "first_tick": int(first[1].split()[1]),
        "last_tick": printed[-1][1] if printed else None,
        "lived_s": round(lives, 2),
        "committed_in_pod": len(committed),
        # How long each checkpoint held the app, from CRIU's seize to crik letting it go; the first in a pod has no committed
        # checkpoint before it.
        "held_ms": [float(m.group(1)) for m in (re.search(r"the app held (?:at most )?([\d.]+) ms", line) for line in committed) if m],
        "first_checkpoint": [line.split("crik: ", 1)[-1][:400] for _, line in pod.lines["stderr"]
                             if re.search(r"Restored checkpoint|Checkpoint \d+ committed|Copied |memory is all in|reads all of|crik tracks what the restored", line)][:5],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--crik", required=True)
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--percent", type=float, default=0.5)
    parser.add_argument("--interval", default="1s")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--least", type=float, default=3.0, help="the shortest a pod lives before it is killed, in seconds")
    parser.add_argument("--most", type=float, default=12.0, help="the longest a pod lives before it is killed, in seconds")
    parser.add_argument("--seed", type=int, default=77)
    parser.add_argument("--lazy-restore", choices=["auto", "on", "off"], default="auto",
                        help="lazyRestore: off restores on crik's fill, the app stopped until its memory is all in, and tracks its writes from before it runs")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    shutil.rmtree(os.path.join(args.work, "images"), ignore_errors=True)
    config = os.path.join(args.work, "crik.yaml")
    with open(config, "w") as f:
        f.write(f"imageDir: {os.path.join(args.work, 'images')}\ncheckpointInterval: {args.interval}\nlazyRestore: {args.lazy_restore}\n")
    rng = random.Random(args.seed)
    port = free_port()
    pods = [one_pod(args, config, port, number, rng) for number in range(args.kills + 1)]
    kills = []
    for killed, restoring in zip(pods, pods[1:]):
        lost = (killed["last_tick"] - restoring["first_tick"] + 1) * TICK_S
        kills.append({"lived_s": killed["lived_s"], "committed_in_pod": killed["committed_in_pod"], "held_ms": killed["held_ms"],
                      "restored": restoring["restored"], "lost_s": round(lost, 1)})
        log(f"killed after {killed['lived_s']} s ({killed['committed_in_pod']} checkpoints committed in that pod): "
            + (f"restored checkpoint {restoring['restored']}" if restoring["restored"] else "started fresh")
            + f", {lost:.1f} s of work lost; holds {killed['held_ms']} ms")
    worst = max(k["lost_s"] for k in kills)
    log(f"{len(kills)} kills, checkpointInterval {args.interval}: work lost at most {worst:.1f} s, "
        f"median {sorted(k['lost_s'] for k in kills)[len(kills) // 2]:.1f} s")
    save(args.out, {"mib": args.mib, "interval": args.interval, "percent": args.percent, "lazy_restore": args.lazy_restore, "kills": kills, "pods": pods})


if __name__ == "__main__":
    main()
