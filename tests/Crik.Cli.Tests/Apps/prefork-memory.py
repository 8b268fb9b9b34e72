#!/usr/bin/env python3
# Test app: a pre-fork server in miniature. The parent fills SHARED mebibytes with random bytes and
# forks WORKERS workers that share them copy-on-write; with DEPTH 2 each worker forks one of its own.
# Then the parent fills PRIVATE mebibytes that only it has. Each process says "ready NAME" and then
# only reads, until the test asks through files it makes in CONTROL:
#   digest-N  every process prints "digest N NAME SHA256" of the shared memory (the parent adds its
#             private memory's)
#   flip-N    worker1 flips one byte in each page of the first half of the shared memory and prints
#             "flipped N"; a second flip puts the bytes back
# The first time the parent finds it was restored (restore_sense.py) it at
# once forks one more worker, while its memory may still be arriving, which prints "late intact yes"
# or "late intact no" against the digests taken at the start.
import hashlib, os, sys, time
from restore_sense import RestoreSense

shared_mib, workers, depth, private_mib, control = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
PAGE = 4096
shared = bytearray(os.urandom(shared_mib << 20))
shared_digest = hashlib.sha256(shared).hexdigest()
private, private_digest = None, None


def say(line):  # one write per line: the processes share one pipe
    os.write(1, (line + "\n").encode())


def answer(name, seen):
    for entry in sorted(os.listdir(control)):
        if entry in seen:
            continue
        seen.add(entry)
        kind, _, n = entry.partition("-")
        if kind == "digest":
            line = f"digest {n} {name} {hashlib.sha256(shared).hexdigest()}"
            say(line + (f" {hashlib.sha256(private).hexdigest()}" if private is not None else ""))
        elif kind == "flip" and name == "worker1":
            for offset in range(0, len(shared) // 2, PAGE):
                shared[offset] ^= 0xFF
            say(f"flipped {n}")


def fork_late():
    pid = os.fork()
    if pid == 0:
        ok = hashlib.sha256(shared).hexdigest() == shared_digest and hashlib.sha256(private).hexdigest() == private_digest
        say("late intact " + ("yes" if ok else "no"))
        os._exit(0)
    os.waitpid(pid, 0)


def serve(name, is_parent):
    seen, late, sense = set(), False, RestoreSense()  # before the line the tests wait for
    say(f"ready {name}")
    while True:
        answer(name, seen)
        time.sleep(0.1)
        if is_parent and not late and sense.restored():
            late = True
            fork_late()


def start_worker(name, level):
    if os.fork() == 0:
        if level < depth:
            start_worker(f"{name}.1", level + 1)
        serve(name, False)


for w in range(1, workers + 1):
    start_worker(f"worker{w}", 1)
private = os.urandom(private_mib << 20)
private_digest = hashlib.sha256(private).hexdigest()
serve("parent", True)
