#!/usr/bin/env python3
"""Part 5: compressed and encrypted images. An app whose memory is half text, half random;
crik with compression: zstd and an encryptionKeyFile against raw CRIU, and against raw CRIU
followed by zstd on every image (what a user would otherwise script): stored size, checkpoint
time (to synced images) and restore time (to the app's next line)."""
import argparse
import os

from benchlib import log, save, summary
from checkpoint import HERE, crik_round, raw_round

APP = os.path.join(HERE, "apps", "mixed_app.py")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--crik", required=True)
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    key = os.path.join(args.work, "key")
    with open(key, "wb") as f:
        f.write(os.urandom(32))
    sides = {
        "crik": lambda: crik_round(args.crik, args.python, args.mib, args.work, APP, f"compression: zstd\nencryptionKeyFile: {key}\n"),
        "crik_plain": lambda: crik_round(args.crik, args.python, args.mib, args.work, APP),
        "raw": lambda: raw_round(args.crik, args.python, args.mib, args.work, APP),
        "raw_zstd": lambda: raw_round(args.crik, args.python, args.mib, args.work, APP, zstd=True),
    }
    rounds = {name: [] for name in sides}
    for rep in range(args.reps):
        order = list(sides) if rep % 2 == 0 else list(reversed(sides))
        for name in order:
            r = sides[name]()
            rounds[name].append(r)
            log(f"secure {args.mib} MiB #{rep + 1} {name}: " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
    save(args.out, {"reps": args.reps, "mib": args.mib,
                    "summary": {name: {k: summary([r[k] for r in rs]) for k in rs[0]} for name, rs in rounds.items()},
                    "rounds": rounds})


if __name__ == "__main__":
    main()
