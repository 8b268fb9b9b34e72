#!/usr/bin/env python3
"""Part 7: a SIGTERM while a lazily restored app's memory still arrives. For the HTTP app of part 6
with N MiB of random memory, restored lazily from a store: the checkpoint's time (SIGTERM to crik's
exit) when the SIGTERM comes one second into the fill, against the same app's checkpoint once all its
memory is in. The first takes the pages crik has not filled from the restored checkpoint's chunks
instead of waiting for them; the run checks that its log says so, and that its restore answers."""
import argparse
import os
import re
import signal
import time

from benchlib import Proc, log, now, save, summary, wait_child, say_first_touch
from lazy import S3RVER, Store, checkpoint, free_port, get, pod


def answering(restored, port):
    """Waits for the restored app's first answer; the restore line."""
    while get(port, timeout=60) is None:
        if restored.popen.poll() is not None:
            raise RuntimeError(f"crik ended during the restore\n{restored.transcript()}")
        time.sleep(0.005)
    _, line = restored.wait_line(r"Restored checkpoint", stream="stderr", timeout=60)
    return line


def sigterm(restored):
    """SIGTERM to crik; seconds until it exited, and its checkpoint line."""
    crik_pid = wait_child(restored.pid, name="crik")
    started = now()
    os.kill(crik_pid, signal.SIGTERM)
    if restored.wait(900) != 0:
        raise RuntimeError(f"the checkpoint failed\n{restored.transcript()}")
    took = now() - started
    _, line = restored.wait_line(r"Checkpoint \d+ committed", stream="stderr", timeout=5)
    return took, line


def all_in_round(crik, python, store, mib, port, work):
    restored = pod(crik, python, store, mib, port, work, lazy=True)
    answering(restored, port)
    restored.wait_line(r"the app's memory is all in", stream="stderr", timeout=900)
    took, line = sigterm(restored)
    return {"checkpoint_s": took, "line": line}


def midfill_round(crik, python, store, mib, port, work, into):
    restored = pod(crik, python, store, mib, port, work, lazy=True)
    answering(restored, port)
    time.sleep(max(0.0, into - (now() - restored.started_at)))
    if any("the app's memory is all in" in l for _, l in restored.lines["stderr"]):
        raise RuntimeError(f"the memory was all in {into} s after the pod started: nothing to measure")
    took, line = sigterm(restored)
    taken = [l for _, l in restored.lines["stderr"] if "not waited for" in l]
    waited = [l for _, l in restored.lines["stderr"] if "cannot take it as it is" in l]
    check = pod(crik, python, store, mib, port, work, lazy=True)  # the checkpoint taken mid-fill restores and answers
    try:
        answering(check, port)
    finally:
        os.kill(wait_child(check.pid, name="crik"), signal.SIGKILL)
        check.wait(60)
    found = re.search(r": ([0-9.]+ [KMG]?i?B) of it still as checkpoint \d+ has it is taken from that checkpoint's chunks \(([0-9.]+ [KMG]?i?B)", taken[0]) if taken else None
    return {"checkpoint_s": took, "line": line, "taken_as_it_is": bool(taken), "waited_why": waited[0] if waited else None,
            "from_restored": found.group(1) if found else None, "read_to_cut": found.group(2) if found else None}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--crik", required=True)
    parser.add_argument("--python", default="python3")
    parser.add_argument("--mib", type=int, default=2048)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--store", choices=["s3", "volume"], default="s3")
    parser.add_argument("--into", type=float, default=1.0, help="seconds after the pod started that the SIGTERM comes")
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.store == "s3" and not os.path.exists(S3RVER):
        raise SystemExit("part 7: no s3rver (bash scripts/install-s3rver.sh)")
    os.makedirs(args.work, exist_ok=True)
    store, port = Store(args.store, args.work), free_port()
    rounds = {"all in": [], "one second into the fill": []}
    try:
        log(f"part 7: {args.mib} MiB from {args.store}: first checkpoint")
        checkpoint(args.crik, args.python, store, args.mib, port, args.work)
        for rep in range(args.reps):
            order = [("all in", False), ("one second into the fill", True)]
            for name, mid in order if rep % 2 == 0 else reversed(order):
                r = midfill_round(args.crik, args.python, store, args.mib, port, args.work, args.into) if mid \
                    else all_in_round(args.crik, args.python, store, args.mib, port, args.work)
                rounds[name].append(r)
                log(f"part 7: {name} #{rep + 1}: checkpoint {r['checkpoint_s']:.3f} s" + (
                    f", taken as it is: {r['taken_as_it_is']} ({r['from_restored']} from the restored checkpoint, {r['read_to_cut']} read)" if mid else ""))
    finally:
        store.close()
    results = {"mib": args.mib, "store": args.store, "into_s": args.into, "reps": args.reps,
               "checkpoint_s": {name: summary([r["checkpoint_s"] for r in rs]) for name, rs in rounds.items()}, "rounds": rounds}
    say_first_touch(results)
    all_in, mid = results["checkpoint_s"]["all in"]["median"], results["checkpoint_s"]["one second into the fill"]["median"]
    results["ratio"] = mid / all_in
    log(f"part 7: checkpoint one second into the fill {mid:.3f} s, with all memory in {all_in:.3f} s: {mid / all_in:.2f}x")
    save(args.out, results)


if __name__ == "__main__":
    main()
