#!/usr/bin/env python3
"""Part 4: time to safe. An app checkpointed once (crik checkpoint, on demand: the app runs on)
rewrites 5 % of its memory; then SIGTERM. What that second checkpoint writes and how long it takes,
against the first (full) one. Also what a checkpoint the app runs on from costs it: the freeze
(CRIU's dump; the app is resumed once its images are captured), bytes written and crik's CPU."""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import time

from benchlib import NAMESPACES, Proc, log, now, save, sigterm_checkpoint, summary, wait_child

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "apps", "rewrite_app.py")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def manifest(images, generation):
    with open(os.path.join(images, f"checkpoint-{generation:06d}", "manifest.json")) as f:
        return json.load(f)


def stage_ms(line, stage):
    match = re.search(rf"[:,] {stage} (\d+) ms", line)
    return int(match.group(1)) if match else 0


def app_wrote_bytes(line):
    """What the checkpoint's line says the app wrote since the previous one (tracked writes), or None."""
    match = re.search(r"the app wrote ([\d.]+) ([KMG]?i?B) of its memory", line)
    units = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
    return int(float(match.group(1)) * units[match.group(2)]) if match else None


def one_round(crik, python, mib, percent, work, extra_config=""):
    images = os.path.join(work, "images")
    shutil.rmtree(images, ignore_errors=True)
    config = os.path.join(work, "crik.yaml")
    with open(config, "w") as f:
        f.write(f"imageDir: {images}\ncheckpointTimeout: 300s\ncheckpointBudget: 600s\n{extra_config}")
    socket = os.path.join(work, "control.sock")
    env = dict(os.environ, CRIK_CONTROL_SOCKET=socket)
    pod = Proc(NAMESPACES + [crik, "run", "--config", config, "--", python, APP, str(mib), str(percent)], env=env)
    crik_pid = wait_child(pod.pid, name="crik")
    pod.wait_line(r"^ready", timeout=300)
    app_pid = wait_child(crik_pid, name="python3")

    # The first checkpoint: everything is new. The app runs on.
    cpu0, t0 = cpu_s(crik_pid), now()
    out = subprocess.run([crik, "checkpoint"], env=env, capture_output=True, text=True, timeout=600)
    t1, cpu1 = now(), cpu_s(crik_pid)
    if out.returncode != 0:
        raise RuntimeError(f"crik checkpoint failed: {out.stdout}{out.stderr}\n{pod.transcript()}")
    _, first_line = pod.wait_line(r"Checkpoint 1 committed", stream="stderr", timeout=5)
    first = manifest(images, 1)

    os.kill(app_pid, signal.SIGUSR1)
    t_rewrote, _ = pod.wait_line(r"^rewrote", timeout=120)
    pod.wait_line(r"^tick", after=t_rewrote, timeout=30)

    t2, t3, second_line = sigterm_checkpoint(pod, crik_pid, 2, timeout=600)
    second = manifest(images, 2)
    dump = lambda line: float(re.search(r"CRIU dump ([\d.]+) s", line).group(1))
    shutil.rmtree(images, ignore_errors=True)
    return {
        "image_bytes": second["imageBytes"],
        "full_written_bytes": first["writtenBytes"],
        "full_s": t1 - t0,
        "full_freeze_s": dump(first_line),
        "full_crik_cpu_s": cpu1 - cpu0,
        "changed_written_bytes": second["writtenBytes"],
        "changed_s": t3 - t2,
        "changed_freeze_s": dump(second_line),
        # Tracked writes (trackWrites): arming at the first checkpoint, reading them at the second, and what they came to.
        "full_writes_stage_ms": stage_ms(first_line, "writes"),
        "changed_writes_stage_ms": stage_ms(second_line, "writes"),
        "changed_app_wrote_bytes": app_wrote_bytes(second_line),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--crik", required=True)
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--mib", type=int, default=2048)
    parser.add_argument("--percent", type=float, default=5.0)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--track-writes", choices=["on", "off", "both"], default="on",
                        help="crik's trackWrites; both: each round once with it on and once off, in turn first")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    modes = ["on", "off"] if args.track_writes == "both" else [args.track_writes]
    rounds = {mode: [] for mode in modes}
    for rep in range(args.reps):
        for mode in modes if rep % 2 == 0 else list(reversed(modes)):
            r = one_round(args.crik, args.python, args.mib, args.percent, args.work, extra_config=f"trackWrites: {mode}\n")
            rounds[mode].append(r)
            log(f"reuse {args.mib} MiB #{rep + 1} trackWrites {mode}: "
                + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
    save(args.out, {"reps": args.reps, "mib": args.mib, "percent": args.percent, "modes": {
        mode: {"summary": {key: summary([r[key] for r in rs if r[key] is not None]) for key in rs[0]}, "rounds": rs}
        for mode, rs in rounds.items()}})

if __name__ == "__main__":
    main()
