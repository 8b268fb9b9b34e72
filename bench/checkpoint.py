#!/usr/bin/env python3
"""Part 1: crik's checkpoint (SIGTERM to committed checkpoint and exit) and restore (start to app
running) against raw `criu dump` / `criu restore -d` run on the same app laid out the same way."""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import time

from benchlib import (NAMESPACES, Proc, let_memory_go_back, log, now, pid_in_namespace, recycle_memory, rss_kib, save, summary, tree_size,
                      wait_child, wait_exit, say_first_touch)

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = {
    # Random bytes: nothing repeats and nothing compresses, as in a real heap (the primary table).
    "random": os.path.join(HERE, "apps", "random_app.py"),
    # One 1 MiB pattern repeated: chunk reuse stores it once (the second table).
    "pattern": os.path.join(HERE, "apps", "memory_app.py"),
}
APP = APPS["random"]

# The same options crik passes (src/Crik.Cli/Checkpointing/CriuArguments.cs).
DUMP_OPTIONS = ["--leave-stopped", "--tcp-close", "--skip-in-flight", "--file-locks", "--link-remap",
                "--ghost-limit", "1G", "--manage-cgroups=ignore"]
RESTORE_OPTIONS = ["--restore-detached", "--tcp-close", "--file-locks", "--link-remap", "--evasive-devices",
                   "--manage-cgroups=ignore"]
EXTERNAL_CANDIDATES = {"/dev/null": "null", "/dev/zero": "zero", "/dev/random": "random", "/dev/urandom": "urandom",
                       "/dev/full": "full", "/dev/tty": "tty", "/usr/share/zoneinfo": "zoneinfo"}
ENTER = ["-p", "-m", "-i", "-u"]  # criu in the pod's PID, mount, IPC and UTS namespaces, as crik's CRIU is


def app_command(python, mib, app=APP):
    return [python, app, str(mib)]


def plain_env():
    env = dict(os.environ)
    env.pop("CRIK_CONFIG", None)
    return env


def wait_running(pod, mib):
    pod.wait_line(r"^ready", timeout=120)
    t, _ = pod.wait_line(r"^tick", timeout=30)
    pod.wait_line(r"^tick", after=t + 0.001, timeout=30)


def drop_caches():
    """A new node: the images are read from the disk, not from the page cache."""
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def warm_packs(images):
    """Reads crik's packs once: written past the page cache, they are not in it as raw CRIU's just-written images are."""
    packs = os.path.join(images, "packs")
    for name in sorted(os.listdir(packs)):
        with open(os.path.join(packs, name), "rb") as f:
            while f.read(1 << 24):
                pass


def ready_memory(memory, mib):
    """Puts the memory a restore is about to fill in the state MEMORY names, the same for crik and raw CRIU: "recycled"
    (in use a moment ago: cheap first touches), "fresh" (given back to the host: dear ones), or "as-is" (whatever the
    round left: raw CRIU restores into the memory its app freed 0.2 s before, crik after reading its packs)."""
    if memory == "recycled":
        recycle_memory(mib + 64)
    elif memory == "fresh":
        let_memory_go_back()


def crik_round(crik, python, mib, work, app=APP, extra_config="", cold=False, memory="as-is"):
    images = os.path.join(work, "images-crik")
    shutil.rmtree(images, ignore_errors=True)
    config = os.path.join(work, "crik.yaml")
    with open(config, "w") as f:
        # Eager, as raw CRIU restores: the comparison is the streamed restore's cost. Part 6 measures lazy restore.
        f.write(f"imageDir: {images}\ncheckpointTimeout: 300s\nlazyRestore: off\n{extra_config}")
    command = NAMESPACES + [crik, "run", "--config", config, "--"] + app_command(python, mib, app)

    pod = Proc(command, env=plain_env())
    crik_pid = wait_child(pod.pid, name="crik")
    wait_running(pod, mib)
    app_pid = wait_child(crik_pid, name="python3")
    rss = rss_kib(app_pid)
    time.sleep(0.3)
    t0 = now()
    os.kill(crik_pid, signal.SIGTERM)
    t1 = wait_exit(crik_pid, timeout=600)
    code = pod.wait(60)
    _, line = pod.wait_line(r"Checkpoint \d+ committed", stream="stderr", timeout=5)
    if code != 0:
        raise RuntimeError(f"crik exited {code} after SIGTERM\n{pod.transcript()}")
    match = re.search(r"committed in ([\d.]+) s \(CRIU dump ([\d.]+) s", line)
    stages, stream, cpu = stage_times(line)
    # The images are chunks in packs/ now; the manifest says how big they are.
    with open(os.path.join(images, "checkpoint-000001", "manifest.json")) as f:
        manifest = json.load(f)
    size, stored = manifest["imageBytes"], manifest["writtenBytes"]

    time.sleep(0.2)
    if cold:
        drop_caches()
    else:
        warm_packs(images)
    ready_memory(memory, mib)
    restored = Proc(command, env=plain_env())
    t_log, log_line = restored.wait_line(r"Restored checkpoint", stream="stderr", timeout=600)
    t_tick, _ = restored.wait_line(r"^tick", timeout=30)
    restore_match = re.search(r"Restored checkpoint \d+ in ([\d.]+) s", log_line)
    restore_stages, restore_stream, restore_cpu = stage_times(log_line)
    restored_crik = wait_child(restored.pid, name="crik")
    os.kill(restored_crik, signal.SIGKILL)  # not SIGTERM: that would checkpoint again
    restored.wait(60)
    shutil.rmtree(images, ignore_errors=True)
    return {
        "rss_kib": rss,
        "image_bytes": size,
        "stored_bytes": stored,
        "checkpoint_s": t1 - t0,
        "crik_reported_commit_s": float(match.group(1)),
        "crik_reported_dump_s": float(match.group(2)),
        "restore_s": t_log - restored.started_at,
        "crik_reported_restore_s": float(restore_match.group(1)),
        "restore_first_line_s": t_tick - restored.started_at,
        "checkpoint_cpu_s": cpu,
        "restore_cpu_s": restore_cpu,
    } | {f"stage {k}": v for k, v in stages.items()} | {f"stream {k}": v for k, v in stream.items()} \
      | {f"restore stage {k}": v for k, v in restore_stages.items()} | {f"restore stream {k}": v for k, v in restore_stream.items()}


STAGE = re.compile(r"([a-z][a-z -]*?) (\d+) ms")


def stage_times(line):
    """crik's own account of a checkpoint or restore line: seconds per stage, the pages image's
    stream (seconds waiting for CRIU and for crik) and crik's CPU seconds."""
    stages, stream, cpu = {}, {}, None
    body = line.split("Stages: ", 1)[1] if "Stages: " in line else ""
    found = re.search(r"streamed (\S+) [\d.]+ \S+: waited (\d+) ms for CRIU, (\d+) ms for crik", body)
    if found:
        stream = {"waiting for CRIU": int(found.group(2)) / 1e3, "waiting for crik": int(found.group(3)) / 1e3}
        body = re.sub(r"\s*\(\s*\)", "", body.replace(found.group(0), ""))
    used = re.search(r"crik's CPU (\d+) ms", body)
    if used:
        cpu = int(used.group(1)) / 1e3
        body = body[:used.start()]
    for name, value in STAGE.findall(body.replace(";", ",")):
        stages[name.strip(" ,")] = int(value) / 1e3
    return stages, stream, cpu


def external_mounts(pid):
    """The --external options crik would add: candidates that are mount points in the pod."""
    with open(f"/proc/{pid}/mountinfo") as f:
        points = {line.split()[4] for line in f}
    return [path for path in EXTERNAL_CANDIDATES if path in points]


def raw_round(crik, python, mib, work, app=APP, zstd=False, cold=False, memory="as-is"):
    images = os.path.join(work, "images-raw")
    shutil.rmtree(images, ignore_errors=True)
    os.makedirs(images)
    # crik without an image directory is a plain init: the app gets the same PID and namespaces.
    pod = Proc(NAMESPACES + [crik, "run", "--"] + app_command(python, mib, app), env=plain_env())
    init_pid = wait_child(pod.pid, name="crik")
    wait_running(pod, mib)
    app_pid = wait_child(init_pid, name="python3")
    rss = rss_kib(app_pid)
    ns_app_pid = pid_in_namespace(app_pid)
    stdio = [os.readlink(f"/proc/{app_pid}/fd/{fd}") for fd in (1, 2)]
    mounts = external_mounts(init_pid)
    dump = ["nsenter", "-t", str(init_pid)] + ENTER + [
        "criu", "dump", "--tree", str(ns_app_pid), "--images-dir", images, "--log-file", os.path.join(work, "raw-dump.log"),
        "-v4"] + DUMP_OPTIONS
    for path in mounts:
        dump += ["--external", f"mnt[{path}]:{EXTERNAL_CANDIDATES[path]}"]
    time.sleep(0.3)
    t0 = now()
    result = subprocess.run(dump, stdin=subprocess.DEVNULL, capture_output=True)
    t1 = now()
    if result.returncode != 0:
        raise RuntimeError(f"criu dump failed ({result.returncode}): {result.stderr.decode()}; log {work}/raw-dump.log")
    size = tree_size(images)
    if zstd:  # what a user would otherwise script: compress every image, then flush
        files = [os.path.join(images, n) for n in os.listdir(images) if n.endswith(".img")]
        subprocess.run(["zstd", "-q", "-3", "-T0", "--rm"] + files, check=True)
    subprocess.run(["sync", "-f", images], check=True)  # syncfs, as crik does before committing
    t2 = now()
    stored = tree_size(images)
    pod.kill()

    time.sleep(0.2)
    if cold:
        drop_caches()
    t_unzstd = now()
    if zstd:
        packed = [os.path.join(images, n) for n in os.listdir(images) if n.endswith(".zst")]
        subprocess.run(["zstd", "-q", "-d", "-T0", "--rm"] + packed, check=True)
    unzstd_s = now() - t_unzstd
    # A fresh pod whose PID 1 only holds the namespaces; criu restores into it, detached.
    holder = Proc(NAMESPACES + ["sleep", "infinity"])
    holder_pid = wait_child(holder.pid, name="sleep")
    pidfile = os.path.join(work, "raw-restore.pid")
    if os.path.exists(pidfile):
        os.remove(pidfile)
    restore = ["nsenter", "-t", str(holder_pid)] + ENTER + [
        "criu", "restore", "--images-dir", images, "--pidfile", pidfile,
        "--log-file", os.path.join(work, "raw-restore.log"), "-v4"] + RESTORE_OPTIONS
    for path in mounts:
        restore += ["--external", f"mnt[{EXTERNAL_CANDIDATES[path]}]:{path}"]
    seen = set()
    for fd, key in zip((1, 2), stdio):
        if key.startswith("pipe:") and key not in seen:
            seen.add(key)
            restore += ["--inherit-fd", f"fd[{fd}]:{key}"]
    ready_memory(memory, mib)
    runner = Proc(restore)  # its stdout and stderr are the new pipes the restored app inherits
    code = runner.wait(600)
    t_done = now()
    if code != 0:
        raise RuntimeError(f"criu restore failed ({code}); log {work}/raw-restore.log\n{runner.transcript()}")
    t_tick, _ = runner.wait_line(r"^tick", timeout=30)
    holder.kill()
    shutil.rmtree(images, ignore_errors=True)
    return {
        "rss_kib": rss,
        "image_bytes": size,
        "stored_bytes": stored,
        "dump_s": t1 - t0,
        "dump_sync_s": t2 - t0,
        "restore_s": unzstd_s + t_done - runner.started_at,
        "restore_first_line_s": unzstd_s + t_tick - runner.started_at,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--crik", required=True)
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--sizes", default="64,512,2048")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--app", choices=sorted(APPS), default="random")
    parser.add_argument("--work", required=True)
    parser.add_argument("--cold", action="store_true", help="drop the page cache before each restore, as on a new node")
    parser.add_argument("--memory", choices=["recycled", "fresh", "as-is"], default="recycled",
                        help="the memory each restore fills: in use a moment ago (cheap first touches, the default), given "
                             "back to the host (dear ones), or as the round left it")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    app = APPS[args.app]
    results = {"reps": args.reps, "app": args.app, "cold": args.cold, "memory": args.memory, "sizes": {}}
    say_first_touch(results)
    for mib in [int(s) for s in args.sizes.split(",")]:
        rounds = {"crik": [], "raw": []}
        for rep in range(args.reps):
            # Alternate the order so neither side always runs on a warmer cache.
            order = [("crik", crik_round), ("raw", raw_round)]
            if rep % 2:
                order.reverse()
            for name, run in order:
                rounds[name].append(run(args.crik, args.python, mib, args.work, app, cold=args.cold, memory=args.memory))
                r = rounds[name][-1]
                log(f"{mib} MiB #{rep + 1} {name}: " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                                                               for k, v in r.items()))
        results["sizes"][str(mib)] = {
            side: {key: summary([r[key] for r in rs if r.get(key) is not None]) for key in rs[0]} for side, rs in rounds.items()
        } | {"rounds": rounds}
    save(args.out, results)


if __name__ == "__main__":
    main()
