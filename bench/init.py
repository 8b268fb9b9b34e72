#!/usr/bin/env python3
"""Part 2: crik as an init against tini and dumb-init: start-up time (hyperfine, beside a NativeAOT
hello world, the floor .NET sets), resident memory while idle, and the time a forwarded signal
takes to reach the app."""
import argparse
import json
import os
import signal
import subprocess
import time

from benchlib import NAMESPACES, Proc, log, now, rss_kib, save, summary, wait_child

HERE = os.path.dirname(os.path.abspath(__file__))
SIGNAL_APP = os.path.join(HERE, "apps", "signal_app.py")


def inits(crik_builds):
    """name → argv prefix that runs the following command under that init."""
    table = {f"crik ({label})": [path, "run", "--"] for label, path in crik_builds}
    table["tini"] = ["tini", "--"]
    table["dumb-init"] = ["dumb-init"]
    return table


def startup(table, runs, work, floors):
    """hyperfine of each init running /bin/true, of each floor program on its own, and of /bin/true alone."""
    out = os.path.join(work, "hyperfine.json")
    commands = [" ".join(prefix + ["/bin/true"]) for prefix in table.values()] + [path for _, path in floors] + ["/bin/true"]
    names = list(table) + [label for label, _ in floors] + ["/bin/true alone"]
    args = ["hyperfine", "-N", "--warmup", "5", "--runs", str(runs), "--export-json", out, "--style", "basic"]
    for name, command in zip(names, commands):
        args += ["-n", name, command]
    env = dict(os.environ)
    env.pop("CRIK_CONFIG", None)
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL)
    with open(out) as f:
        data = json.load(f)
    result = {}
    for entry in data["results"]:
        result[entry["command"]] = {"command": next(c for n, c in zip(names, commands) if n == entry["command"]),
                                    "seconds": summary(entry["times"])}
    return result


def idle_rss(table, reps, settle):
    """VmRSS of each init as PID 1 of a fresh pod, supervising `sleep 1000`."""
    result = {}
    for name, prefix in table.items():
        values = []
        for _ in range(reps):
            pod = Proc(NAMESPACES + prefix + ["sleep", "1000"])
            init_pid = wait_child(pod.pid)
            wait_child(init_pid, name="sleep")
            time.sleep(settle)
            values.append(rss_kib(init_pid))
            pod.kill()
        result[name] = summary(values)
        log(f"idle RSS {name}: {result[name]['median']} KiB")
    return result


def forwarding(table, python, count):
    """Time from kill(SIGUSR1) on the init (PID 1 of the pod) to the app's line on our pipe."""
    targets = dict(table)
    targets["no init (signal sent to the app)"] = None
    result = {}
    for name, prefix in targets.items():
        app = [python, SIGNAL_APP]
        pod = Proc(NAMESPACES + (prefix or []) + app)
        first = wait_child(pod.pid)
        pod.wait_line(r"^ready", timeout=30)
        time.sleep(0.5)
        target = first
        samples = []
        for i in range(1, count + 1):
            t0 = now()
            os.kill(target, signal.SIGUSR1)
            t1, _ = pod.wait_line(rf"^usr1 {i}$", after=t0, timeout=10)
            samples.append(t1 - t0)
            time.sleep(0.005)
        pod.kill()
        result[name] = summary(samples)
        log(f"signal {name}: median {result[name]['median'] * 1e3:.3f} ms")
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--crik", action="append", required=True, help="LABEL=PATH of a crik build; repeatable")
    parser.add_argument("--floor", action="append", default=[], help="LABEL=PATH of a program whose start-up is the floor (a NativeAOT hello world)")
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--signals", type=int, default=300)
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    builds = [tuple(item.split("=", 1)) for item in args.crik]
    table = inits(builds)
    log("init start-up (hyperfine)")
    floors = [tuple(item.split("=", 1)) for item in args.floor]
    result = {"startup": startup(table, args.runs, args.work, floors), "floors": [label for label, _ in floors]}
    log("idle resident memory")
    result["idle_rss_kib"] = idle_rss(table, args.reps, args.settle)
    log("signal forwarding")
    result["signal_s"] = forwarding(table, args.python, args.signals)
    result["signal_count"] = args.signals
    save(args.out, result)


if __name__ == "__main__":
    main()
