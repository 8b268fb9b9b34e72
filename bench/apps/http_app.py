#!/usr/bin/env python3
"""Benchmark app: fills MIB mebibytes of memory with random bytes, says "ready", then answers HTTP
GETs on PORT: each answer hashes a 4 MiB slice of that memory at a place that moves with every request
(so a request touches a few MiB, not all of it) and prints "tick N" every 100 ms meanwhile. With a third
argument PERCENT, each SIGUSR1 rewrites that share of its pages, each at a random place (one byte per page),
and prints "rewrote N pages in T ms". A fourth argument, "runs", rewrites them in runs of 1 MiB at random places instead
(as a heap that allocates anew in a few regions does). With "sparse" among the further arguments, every other page
is dropped after the fill (madvise MADV_DONTNEED), so the memory is in tens of thousands of runs, as a heap that freed
much of what it held is. With "spin", a child forked first (before the memory is made) counts as fast as it can and prints
"spin K N" (K its number, N its count) every 0.25 s: how much CPU the app's CPU-bound work gets. Each "spin" given forks one more."""
import hashlib
import mmap
import http.server
import os
import random
import signal
import sys
import threading
import time

mib, port = int(sys.argv[1]), int(sys.argv[2])
percent = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
in_runs = "runs" in sys.argv[4:]
sparse = "sparse" in sys.argv[4:]


def spin(number):
    count, report = 0, time.monotonic() + 0.25
    while True:
        for _ in range(20000):
            count += 1
        if time.monotonic() >= report:
            os.write(1, f"spin {number} {count}\n".encode())  # one write, so it never mixes with the app's own lines
            report += 0.25


for spinner in range(sys.argv[4:].count("spin")):
    if os.fork() == 0:
        spin(spinner)
memory = mmap.mmap(-1, mib << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
view = memoryview(memory)
for i in range(mib):
    view[i << 20:(i + 1) << 20] = os.urandom(1 << 20)
if sparse:
    for page in range(1, mib << 8, 2):
        memory.madvise(mmap.MADV_DONTNEED, page << 12, 1 << 12)
served = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global served
        slice_mib = 4 if mib >= 4 else 1
        start = ((served * 7919) % max(1, mib - slice_mib)) << 20
        served += 1
        body = hashlib.sha256(view[start:start + (slice_mib << 20)]).hexdigest().encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def rewrite(signum, frame):
    began = time.monotonic()
    pages = mib << 8
    if in_runs:
        runs = random.sample(range(mib), max(1, int(pages * percent / 100) >> 8))
        chosen = [(run << 8) + i for run in runs for i in range(256)]
    else:
        chosen = random.sample(range(pages), int(pages * percent / 100))
    for page in chosen:
        memory[(page << 12) + 17] ^= 0xFF
    print(f"rewrote {len(chosen)} pages in {(time.monotonic() - began) * 1000:.1f} ms", flush=True)


signal.signal(signal.SIGUSR1, rewrite)
server = http.server.HTTPServer(("127.0.0.1", port), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(f"ready {mib} MiB", flush=True)
n = 0
while True:
    print(f"tick {n}", flush=True)
    n += 1
    time.sleep(0.1)
