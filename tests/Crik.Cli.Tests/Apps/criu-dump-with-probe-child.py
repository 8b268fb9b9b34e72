#!/usr/bin/env python3
"""Plays a `criu dump --stream` caught in one of the kernel probes CRIU runs at every start
(kerndat_has_ptrace_get_rseq_conf): it connects to crik's image streamer, forks a child that sleeps
until its parent kills it, as that probe's child does, and waits to be killed itself. The child holds
a lock on LOCKFILE (flock) for as long as it lives; the file exists once it does.
Usage: criu-dump-with-probe-child.py LOCKFILE criu-arguments..."""
import fcntl
import os
import socket
import sys
import time

images_dir = sys.argv[sys.argv.index("--images-dir") + 1]
criu = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
criu.connect(os.path.join(images_dir, "streamer-capture.sock"))
lock = open(sys.argv[1] + ".part", "w")
fcntl.flock(lock, fcntl.LOCK_EX)
if os.fork() == 0:
    while True:
        time.sleep(1000)
os.rename(sys.argv[1] + ".part", sys.argv[1])
while True:
    time.sleep(1000)
