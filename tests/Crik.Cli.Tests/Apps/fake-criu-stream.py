#!/usr/bin/env python3
"""Plays CRIU's side of `criu dump --stream` for the image streamer tests: connects to SOCKET and, for
each NAME=FILE, sends a request naming the image, then one end of a pipe (SCM_RIGHTS), and writes the
file's bytes through the pipe. Images are sent one after another, as CRIU does."""
import os
import socket
import struct
import sys


def request(name):
    encoded = name.encode()
    body = b"\x0a" + bytes([len(encoded)]) + encoded  # field 1, length-delimited (names here are < 128 bytes)
    return struct.pack("<I", len(body)) + body


with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as criu:
    criu.connect(sys.argv[1])
    for item in sys.argv[2:]:
        name, path = item.split("=", 1)
        criu.sendall(request(name))
        read_end, write_end = os.pipe()
        socket.send_fds(criu, [b"\0"], [read_end])
        os.close(read_end)
        with open(path, "rb") as f, os.fdopen(write_end, "wb") as pipe:
            pipe.write(f.read())
