#!/usr/bin/env python3
"""Probe for the checkpoint's fixed cost (issue 48): one crik checkpoint of a small random-memory app
at a time, builds alternated round by round, reporting what a loaded machine still measures well: the
CPU seconds crik and CRIU spend (not only the wall time). With --raw, raw `criu dump` plus syncfs on
the same app in between, with its CPU seconds.

    python3 bench/dumpcost.py --crik A=/path/to/crik,B=/path/to/other --mib 64 --rounds 5 --work /var/tmp/w

--perf DIR records each crik checkpoint with `perf record -g` (crik's process only, from just before
SIGTERM to its exit) into DIR/NAME-ROUND.data.
"""
import argparse
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import time

from benchlib import NAMESPACES, Proc, now, wait_child, wait_exit
from checkpoint import APP, DUMP_OPTIONS, ENTER, EXTERNAL_CANDIDATES, external_mounts, plain_env, stage_times, wait_running
from benchlib import pid_in_namespace

CRIU_WRAPPER = """#!/bin/sh
# Counts criu's own CPU seconds for the probe, then is criu.
exec /usr/bin/time -a -o {out} -f '%U %S %e' {criu} "$@"
"""


def criu_wrapper(work):
    """A directory to put first on PATH whose `criu` appends criu's user, system and wall seconds to a file."""
    bin_dir = os.path.join(work, "wrapped-bin")
    os.makedirs(bin_dir, exist_ok=True)
    out = os.path.join(work, "criu-times")
    criu = shutil.which("criu")
    with open(os.path.join(bin_dir, "criu"), "w") as f:
        f.write(CRIU_WRAPPER.format(out=out, criu=criu))
    os.chmod(os.path.join(bin_dir, "criu"), 0o755)
    return bin_dir, out


def last_criu_times(path):
    with open(path) as f:
        lines = [line.split() for line in f if re.match(r"^[\d.]+ [\d.]+ [\d.]+$", line.strip())]
    user, system, wall = (float(x) for x in lines[-1])
    return user + system, wall


def crik_round(crik, mib, work, perf_out=None, extra_config="", perf_events=None):
    images = os.path.join(work, "images-crik")
    shutil.rmtree(images, ignore_errors=True)
    config = os.path.join(work, "crik.yaml")
    with open(config, "w") as f:
        f.write(f"imageDir: {images}\ncheckpointTimeout: 300s\nlazyRestore: off\n{extra_config}")
    env = plain_env()
    bin_dir, criu_times = criu_wrapper(work)
    env["PATH"] = bin_dir + ":" + env["PATH"]
    pod = Proc(NAMESPACES + [crik, "run", "--config", config, "--", "python3", APP, str(mib)], env=env)
    crik_pid = wait_child(pod.pid, name="crik")
    wait_running(pod, mib)
    time.sleep(0.3)
    perf = None
    if perf_out:
        sampling = perf_events.split() if perf_events else ["-g", "-F", "4999"]
        perf = subprocess.Popen(["perf", "record", *sampling, "-p", str(crik_pid), "-o", perf_out],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    t0 = now()
    os.kill(crik_pid, signal.SIGTERM)
    t1 = wait_exit(crik_pid, timeout=600)
    if perf:
        perf.wait(30)
    code = pod.wait(60)
    _, line = pod.wait_line(r"Checkpoint \d+ committed", stream="stderr", timeout=5)
    if code != 0:
        raise RuntimeError(f"crik exited {code}\n{pod.transcript()}")
    match = re.search(r"committed in ([\d.]+) s \(CRIU dump ([\d.]+) s", line)
    stages, stream, cpu = stage_times(line)
    criu_cpu, criu_wall = last_criu_times(criu_times)
    shutil.rmtree(images, ignore_errors=True)
    return {"wall": t1 - t0, "commit": float(match.group(1)), "dump": float(match.group(2)), "crik cpu": cpu,
            "criu cpu": criu_cpu, "criu wall": criu_wall} | {f"stage {k}": v for k, v in stages.items()} \
        | {f"stream {k}": v for k, v in stream.items()}


def raw_round(crik, mib, work):
    images = os.path.join(work, "images-raw")
    shutil.rmtree(images, ignore_errors=True)
    os.makedirs(images)
    pod = Proc(NAMESPACES + [crik, "run", "--", "python3", APP, str(mib)], env=plain_env())
    init_pid = wait_child(pod.pid, name="crik")
    wait_running(pod, mib)
    app_pid = wait_child(init_pid, name="python3")
    dump = ["nsenter", "-t", str(init_pid)] + ENTER + [
        "criu", "dump", "--tree", str(pid_in_namespace(app_pid)), "--images-dir", images,
        "--log-file", os.path.join(work, "raw-dump.log"), "-v4"] + DUMP_OPTIONS
    for path in external_mounts(init_pid):
        dump += ["--external", f"mnt[{path}]:{EXTERNAL_CANDIDATES[path]}"]
    time.sleep(0.3)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = now()
    subprocess.run(dump, stdin=subprocess.DEVNULL, capture_output=True, check=True)
    t1 = now()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["sync", "-f", images], check=True)
    t2 = now()
    pod.kill()
    shutil.rmtree(images, ignore_errors=True)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": t2 - t0, "dump": t1 - t0, "criu cpu": cpu}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--crik", required=True, help="NAME=PATH[,NAME=PATH...], alternated round by round")
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--work", required=True)
    parser.add_argument("--raw", action="store_true", help="a raw criu dump + syncfs round after each crik round")
    parser.add_argument("--perf", help="directory for perf record -g data of each crik checkpoint")
    parser.add_argument("--perf-events", help="what perf records instead of -g -F 4999, e.g. '-e page-faults -c 1 -g'")
    parser.add_argument("--config", default="", help="extra crik.yaml lines")
    args = parser.parse_args()
    builds = [tuple(item.split("=", 1)) for item in args.crik.split(",")]
    os.makedirs(args.work, exist_ok=True)
    results = {name: [] for name, _ in builds} | ({"raw": []} if args.raw else {})
    for round_ in range(args.rounds):
        for name, path in builds:
            perf_out = os.path.join(args.perf, f"{name}-{round_}.data") if args.perf else None
            result = crik_round(path, args.mib, args.work, perf_out, args.config.replace("\\n", "\n"), args.perf_events)
            results[name].append(result)
            print(name, round_, {k: round(v, 3) for k, v in result.items() if v is not None}, flush=True)
        if args.raw:
            result = raw_round(builds[0][1], args.mib, args.work)
            results["raw"].append(result)
            print("raw", round_, {k: round(v, 3) for k, v in result.items()}, flush=True)
    for name, rounds in results.items():
        keys = sorted({k for r in rounds for k in r})
        medians = {k: round(statistics.median(r[k] for r in rounds if r.get(k) is not None), 3) for k in keys
                   if any(r.get(k) is not None for r in rounds)}
        print(f"median {name}: {medians}", flush=True)


if __name__ == "__main__":
    main()
