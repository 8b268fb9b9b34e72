#!/usr/bin/env python3
"""Part 6: lazy restore. For an HTTP app with N MiB of random memory whose requests each touch 4 MiB:
time from starting crik on a new "node" (page cache dropped) to the restored app's first HTTP answer,
time until every page is in, and request latency while pages still arrive against after; lazy against
eager restores of the same checkpoint, from a volume and from object storage (s3rver on loopback). Then
the app is restored lazily, answers once and is checkpointed again, and that checkpoint is restored
lazily too: it reads first what the app touched first after the restore before it."""
import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import time

from benchlib import NAMESPACES, Proc, log, now, save, summary, wait_child, say_first_touch

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "apps", "http_app.py")
REPO = os.path.dirname(HERE)
S3RVER = os.path.join(REPO, "artifacts", "tools", "s3rver", "node_modules", "s3rver", "bin", "s3rver.js")
APP_SHAPE = []  # ["0", "sparse"] with --sparse: the app's memory in tens of thousands of runs


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, timeout=5.0):
    """One GET; its latency in seconds, or None when nothing answers yet."""
    started = now()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request("GET", "/")
        response = connection.getresponse()
        response.read()
        connection.close()
        return now() - started if response.status == 200 else None
    except OSError:
        return None


def drop_caches():
    subprocess.run(["sync"], check=False)
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


class Store:
    """Where the checkpoint lives: a directory, or s3rver on loopback. With remote=True s3rver runs at the lowest CPU
    priority, as if it were another machine's: beside an app that runs on, its own work would otherwise be counted
    against crik (it took 0.28 of a core beside checkpoints of 1 GiB every second, crik and CRIU 0.05)."""

    def __init__(self, kind, work, remote=False):
        self.kind, self.work, self.env, self.server = kind, work, dict(os.environ), None
        self.env.pop("CRIK_CONFIG", None)
        if kind == "s3":
            port = free_port()
            data = os.path.join(work, "s3rver-data")
            shutil.rmtree(data, ignore_errors=True)
            os.makedirs(data)
            self.server = subprocess.Popen((["nice", "-n", "19"] if remote else []) + ["node", S3RVER, "-d", data, "-a", "127.0.0.1", "-p", str(port), "--configure-bucket", "bench",
                                            "--no-vhost-buckets", "-s"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = now() + 30
            while get_port_open(port) is False and now() < deadline:
                time.sleep(0.1)
            self.env |= {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER", "AWS_REGION": "us-east-1",
                         "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}"}
            self.image_dir = f"s3://bench/lazy-{int(time.time())}"
        else:
            self.image_dir = os.path.join(work, "images")
            shutil.rmtree(self.image_dir, ignore_errors=True)

    def close(self):
        if self.server:
            self.server.kill()
            self.server.wait()


def get_port_open(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def pod(crik, python, store, mib, port, work, lazy):
    config = os.path.join(work, "crik.yaml")
    with open(config, "w") as f:
        f.write(f"imageDir: {store.image_dir}\ncheckpointTimeout: 600s\ncheckpointBudget: 900s\nrestoreTimeout: 15m\n"
                f"restoreAttempts: 1000\nlazyRestore: {'on' if lazy else 'off'}\n")
    return Proc(NAMESPACES + [crik, "run", "--config", config, "--", python, APP, str(mib), str(port)] + APP_SHAPE, env=store.env)


def checkpoint(crik, python, store, mib, port, work):
    first = pod(crik, python, store, mib, port, work, lazy=False)
    first.wait_line(r"^ready", timeout=900)
    first.wait_line(r"^tick", timeout=60)
    crik_pid = wait_child(first.pid, name="crik")
    os.kill(crik_pid, signal.SIGTERM)
    if first.wait(900) != 0:
        raise RuntimeError(f"the checkpoint failed\n{first.transcript()}")


def checkpoint_after_restore(crik, python, store, mib, port, work, lazy):
    """A restore that answers one request, then is checkpointed again. After a lazy restore the new
    checkpoint keeps the pages the app touched first, which the next lazy restore fills before the
    rest; after an eager one it keeps no such list, and the next lazy restore fills first what the app
    wrote since the previous checkpoint."""
    restored = pod(crik, python, store, mib, port, work, lazy=lazy)
    while get(port, timeout=60) is None:
        if restored.popen.poll() is not None:
            raise RuntimeError(f"crik ended during the restore\n{restored.transcript()}")
        time.sleep(0.005)
    if lazy:
        restored.wait_line(r"the app's memory is all in", stream="stderr", timeout=900)
    os.kill(wait_child(restored.pid, name="crik"), signal.SIGTERM)
    if restored.wait(900) != 0:
        raise RuntimeError(f"the checkpoint after the lazy restore failed\n{restored.transcript()}")


def restore_round(crik, python, store, mib, port, work, lazy, read_first=False, ask_during=True):
    drop_caches()
    restored = pod(crik, python, store, mib, port, work, lazy)
    first_answer = None
    while first_answer is None:
        if restored.popen.poll() is not None:
            raise RuntimeError(f"crik ended during the restore\n{restored.transcript()}")
        latency = get(port, timeout=60)
        if latency is not None:
            first_answer = now() - restored.started_at
        else:
            time.sleep(0.005)
    t_restored, line = restored.wait_line(r"Restored checkpoint", stream="stderr", timeout=60)
    stages = {m.group(1): int(m.group(2)) for m in re.finditer(r"([a-z][a-z -]*?) (\d+) ms", line.split("Stages: ", 1)[-1].split(";")[0])}
    if lazy and ", lazily (" not in line:
        raise RuntimeError(f"the restore was not lazy: {line}")
    first = re.search(r"; (?:the )?([0-9.]+ [KMG]?i?B) it (?:touched first after its last restore|wrote since the previous checkpoint) filled first", line)
    if read_first and first is None:
        raise RuntimeError(f"the restore read nothing first: {line}")
    during = []
    if lazy:
        while True:
            done = [l for _, l in restored.lines["stderr"] if "the app's memory is all in" in l]
            if done:
                break
            if not ask_during:
                time.sleep(0.005)
                continue
            latency = get(port, timeout=60)
            if latency is not None:
                during.append(latency)
        t_all_in, all_in = restored.wait_line(r"the app's memory is all in", stream="stderr", timeout=5)
        used = re.search(r"the app waited for a page (\d+) times", all_in)
        serving = re.search(r"(\d+) threads read and checked chunks for ([0-9.]+) s, and copied them in for ([0-9.]+) s", all_in)
        serving = {"reading_s": float(serving.group(2)), "copying_s": float(serving.group(3))} if serving else {}
    else:
        t_all_in, used, serving = t_restored, None, {}
    after = [x for x in (get(port) for _ in range(40)) if x is not None]
    os.kill(wait_child(restored.pid, name="crik"), signal.SIGKILL)  # not SIGTERM: that would checkpoint again
    restored.wait(60)
    return {"first_answer_s": first_answer, "all_in_s": t_all_in - restored.started_at, "during_ms": [x * 1000 for x in during],
            "after_ms": [x * 1000 for x in after], "stages": stages,
            "read_first": first.group(1) if first else None,
            "first_used": used.group(1) if used else None, "serving": serving}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--crik", required=True)
    parser.add_argument("--python", default="python3")
    parser.add_argument("--sizes", default="64,512,2048,6144")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--stores", default="volume,s3")
    parser.add_argument("--work", required=True)
    parser.add_argument("--read-first", type=int, default=1, help="also restore a checkpoint taken after a lazy restore (1) or not (0)")
    parser.add_argument("--sparse", action="store_true", help="the app drops every other page after its fill")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    if args.sparse:
        APP_SHAPE.extend(["0", "sparse"])
    results = {"sizes": [], "reps": args.reps, "sparse": args.sparse}
    say_first_touch(results)
    for kind in args.stores.split(","):
        if kind == "s3" and not os.path.exists(S3RVER):
            log("part 6: no s3rver (bash scripts/install-s3rver.sh): object storage is skipped")
            continue
        for mib in [int(s) for s in args.sizes.split(",")]:
            store = Store(kind, args.work)
            port = free_port()
            try:
                log(f"part 6: {mib} MiB from {kind}: checkpoint")
                try:
                    checkpoint(args.crik, args.python, store, mib, port, args.work)
                except RuntimeError as e:
                    log(f"part 6: {mib} MiB from {kind}: the checkpoint failed, so this size is left out: {str(e).splitlines()[0]}")
                    results.setdefault("left_out", []).append(f"{mib} MiB from {kind}: the checkpoint failed")
                    continue
                rounds = {"lazy": [], "eager": []}
                for rep in range(args.reps):
                    for lazy in (True, False) if rep % 2 == 0 else (False, True):
                        rounds["lazy" if lazy else "eager"].append(restore_round(args.crik, args.python, store, mib, port, args.work, lazy))
                log(f"part 6: {mib} MiB from {kind}: a lazy restore left alone while its memory arrives")
                rounds["lazy, no requests"] = [restore_round(args.crik, args.python, store, mib, port, args.work, True, ask_during=False)]
                if args.read_first:
                    # First an eager restore checkpointed again (what it wrote is read first), then a lazy one (what it touched first).
                    for mode, lazy in (("written read first", False), ("read first", True)):
                        log(f"part 6: {mib} MiB from {kind}: {'a lazy' if lazy else 'an eager'} restore answers once and is checkpointed again")
                        try:
                            checkpoint_after_restore(args.crik, args.python, store, mib, port, args.work, lazy)
                            rounds[mode] = [restore_round(args.crik, args.python, store, mib, port, args.work, True, read_first=True)
                                            for _ in range(args.reps)]
                        except RuntimeError as e:
                            log(f"part 6: {mib} MiB from {kind}: no {mode} rounds: {str(e).splitlines()[0]}")
                            results.setdefault("left_out", []).append(f"{mib} MiB from {kind}, {mode}: {str(e).splitlines()[0]}")
                entry = {"store": kind, "mib": mib}
                for mode, runs in rounds.items():
                    entry[mode] = {
                        "first_answer_s": summary([r["first_answer_s"] for r in runs]),
                        "all_in_s": summary([r["all_in_s"] for r in runs]),
                        "during_ms": summary([x for r in runs for x in r["during_ms"]]),
                        "after_ms": summary([x for r in runs for x in r["after_ms"]]),
                        "stages_ms": {k: summary([r["stages"].get(k, 0) for r in runs]) for k in runs[0]["stages"]},
                        "read_first": runs[0]["read_first"],
                        "first_used": runs[0]["first_used"],
                        "serving_s": {k: summary([r["serving"][k] for r in runs]) for k in runs[0]["serving"]},
                    }
                    log(f"part 6: {mib} MiB from {kind}, {mode}: first answer {entry[mode]['first_answer_s']['median']:.3f} s, "
                        f"all in {entry[mode]['all_in_s']['median']:.3f} s")
                results["sizes"].append(entry)
                save(args.out, results)  # after each size: a later one that fails loses nothing
            finally:
                store.close()
                shutil.rmtree(os.path.join(args.work, "images"), ignore_errors=True)
    save(args.out, results)


if __name__ == "__main__":
    main()
