#!/usr/bin/env python3
"""Two builds of crik side by side, round by round: before and after a change, so that a slow minute of the
machine (or of s3rver, which shares its two cores with crik) falls on both sides rather than on one. Each
round runs part 1's checkpoint and eager restore, then part 6's eager and lazy restores of one checkpoint
from object storage; the order of the two builds alternates from round to round. Prints, for each figure,
each side's median and range, and flags a figure whose median after lies beyond the whole range before
in the wrong direction."""
import argparse
import os
import shutil

import checkpoint
import lazy
from benchlib import log, save, say_first_touch, summary

FIGURES = [
    # (name, where it comes from, key in the round's result)
    ("checkpoint_s", "part1", "checkpoint_s"),
    ("eager restore (volume)", "part1", "restore_s"),
    ("eager restore from s3", "s3-eager", "all_in_s"),
    ("lazy first answer from s3", "s3-lazy", "first_answer_s"),
    ("lazy all in from s3", "s3-lazy", "all_in_s"),
]


def one_round(crik, python, mib, work, s3_store, port):
    part1 = checkpoint.crik_round(crik, python, mib, os.path.join(work, "part1"))
    result = {"part1": part1}
    if s3_store is not None:
        result["s3-eager"] = lazy.restore_round(crik, python, s3_store, mib, port, work, False)
        result["s3-lazy"] = lazy.restore_round(crik, python, s3_store, mib, port, work, True)
    return result


def verdict(before, after):
    if after["median"] > before["max"]:
        return "slower beyond the spread"
    if after["median"] < before["min"]:
        return "faster beyond the spread"
    return "within the spread"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True, help="the crik binary before the change")
    parser.add_argument("--after", required=True, help="the crik binary after it")
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--sizes", default="512")
    parser.add_argument("--reps", type=int, default=4)
    parser.add_argument("--part1-only", action="store_true", help="leave object storage out: part 1's checkpoint and eager restore only")
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    builds = {"before": args.before, "after": args.after}
    os.makedirs(os.path.join(args.work, "part1"), exist_ok=True)
    results = {"builds": builds, "reps": args.reps, "sizes": {}}
    say_first_touch(results)
    for mib in [int(s) for s in args.sizes.split(",")]:
        s3_store = lazy.Store("s3", args.work) if os.path.exists(lazy.S3RVER) and not args.part1_only else None
        if s3_store is None and not args.part1_only:
            log("ab: no s3rver (bash scripts/install-s3rver.sh): object storage is left out")
        port = lazy.free_port()
        rounds = {side: [] for side in builds}
        try:
            if s3_store is not None:
                # One checkpoint in object storage, taken by the build after: both read the same packs.
                lazy.checkpoint(args.after, args.python, s3_store, mib, port, args.work)
            for rep in range(args.reps):
                order = list(builds) if rep % 2 == 0 else list(reversed(builds))
                for side in order:
                    rounds[side].append(one_round(builds[side], args.python, mib, args.work, s3_store, port))
                    log(f"ab: {mib} MiB #{rep + 1} {side}: " + ", ".join(
                        f"{name} {rounds[side][-1][where][key]:.3f} s" for name, where, key in FIGURES if where in rounds[side][-1]))
        finally:
            if s3_store is not None:
                s3_store.close()
            shutil.rmtree(os.path.join(args.work, "images"), ignore_errors=True)
        table = {}
        for name, where, key in FIGURES:
            if where not in rounds["before"][0]:
                continue
            sides = {side: summary([r[where][key] for r in rs]) for side, rs in rounds.items()}
            table[name] = sides | {"verdict": verdict(sides["before"], sides["after"])}
            log(f"ab: {mib} MiB {name}: before {sides['before']['median']:.3f} s ({sides['before']['min']:.3f}-{sides['before']['max']:.3f}), "
                f"after {sides['after']['median']:.3f} s ({sides['after']['min']:.3f}-{sides['after']['max']:.3f}): {table[name]['verdict']}")
        results["sizes"][str(mib)] = {"figures": table, "rounds": rounds}
        save(args.out, results)  # after each size: a later one that fails loses nothing
    save(args.out, results)


if __name__ == "__main__":
    main()
