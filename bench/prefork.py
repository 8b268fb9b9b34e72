#!/usr/bin/env python3
"""Part 6, a pre-fork app: Debian's gunicorn with --preload and four workers over a model of N MiB of
random bytes that the workers share copy-on-write (tests/Crik.Cli.Tests/Apps/prefork_model.py). It is
checkpointed once; then restored lazily and eagerly in turn, each from a cold page cache: time from
starting crik to the first HTTP answer, until every page is in, and the whole tree's proportional set
size (PSS) once it is, against the tree's before the checkpoint."""
import argparse
import http.client
import os
import shutil
import signal
import socket
import time

from benchlib import NAMESPACES, Proc, children, log, now, save, summary, wait_child

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
APPS = os.path.join(REPO, "tests", "Crik.Cli.Tests", "Apps")
GUNICORN = "/usr/bin/gunicorn"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/")
        ok = connection.getresponse().status == 200
        connection.close()
        return ok
    except OSError:
        return False


def tree_pss(pid):
    """The PSS of every process below pid (crik's app tree), summed, in MiB."""
    total, todo = 0, list(children(pid))
    while todo:
        child = todo.pop()
        todo.extend(children(child))
        try:
            with open(f"/proc/{child}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def pod(crik, images, port, mib, work, lazy):
    config = os.path.join(work, "crik.yaml")
    with open(config, "w") as f:
        f.write(f"imageDir: {images}\ncheckpointTimeout: 600s\ncheckpointBudget: 900s\nrestoreAttempts: 1000\nlazyRestore: {'on' if lazy else 'off'}\n")
    env = dict(os.environ, MODEL_MIB=str(mib))
    env.pop("CRIK_CONFIG", None)
    return Proc(NAMESPACES + [crik, "run", "--config", config, "--", GUNICORN, "--preload", "-w", "4", "-b", f"127.0.0.1:{port}",
                              "--chdir", APPS, "prefork_model:application"], env=env)


def drop_caches():
    os.system("sync")
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def restore_round(crik, images, port, mib, work, lazy):
    drop_caches()
    restored = pod(crik, images, port, mib, work, lazy)
    while not answers(port):
        if restored.popen.poll() is not None:
            raise RuntimeError(f"crik ended during the restore\n{restored.transcript()}")
        time.sleep(0.005)
    first_answer = now() - restored.started_at
    _, line = restored.wait_line(r"Restored checkpoint", stream="stderr", timeout=600)
    log(f"part 6: pre-fork app, {'lazy' if lazy else 'eager'}: {line.split(': the app runs again')[0].split('crik: ')[-1]}; {line.split('Stages: ')[-1]}")
    pattern = r"the app's memory is all in" if lazy else r"Restored checkpoint"
    t_all_in, _ = restored.wait_line(pattern, stream="stderr", timeout=600)
    crik_pid = wait_child(restored.pid, name="crik")
    pss = tree_pss(crik_pid)
    os.kill(crik_pid, signal.SIGKILL)  # not SIGTERM: that would checkpoint again
    restored.wait(60)
    return {"first_answer_s": first_answer, "all_in_s": t_all_in - restored.started_at, "pss_mib": pss}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--crik", required=True)
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if not os.path.exists(GUNICORN):
        log("part 6: no gunicorn (apt-get install gunicorn): the pre-fork app is skipped")
        return
    os.makedirs(args.work, exist_ok=True)
    images = os.path.join(args.work, "images")
    shutil.rmtree(images, ignore_errors=True)
    port = free_port()
    log(f"part 6: pre-fork app, {args.mib} MiB model, four workers: checkpoint")
    first = pod(args.crik, images, port, args.mib, args.work, lazy=False)
    deadline = now() + 300
    while not answers(port) and now() < deadline:
        time.sleep(0.05)
    crik_pid = wait_child(first.pid, name="crik")
    time.sleep(2)  # the workers are up and have answered
    before = tree_pss(crik_pid)
    os.kill(crik_pid, signal.SIGTERM)
    if first.wait(900) != 0:
        raise RuntimeError(f"the checkpoint failed\n{first.transcript()}")
    rounds = {"lazy": [], "eager": []}
    for rep in range(args.reps):
        for lazy in (True, False) if rep % 2 == 0 else (False, True):
            rounds["lazy" if lazy else "eager"].append(restore_round(args.crik, images, port, args.mib, args.work, lazy))
    result = {"mib": args.mib, "workers": 4, "reps": args.reps, "before_pss_mib": before}
    for mode, runs in rounds.items():
        result[mode] = {k: summary([r[k] for r in runs]) for k in ("first_answer_s", "all_in_s", "pss_mib")}
        log(f"part 6: pre-fork app, {mode}: first answer {result[mode]['first_answer_s']['median']:.3f} s, "
            f"all in {result[mode]['all_in_s']['median']:.3f} s, PSS {result[mode]['pss_mib']['median']:.0f} MiB (before {before:.0f} MiB)")
    save(args.out, result)
    shutil.rmtree(images, ignore_errors=True)


if __name__ == "__main__":
    main()
