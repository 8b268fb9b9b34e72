# Test app for TCP sockets across a checkpoint (TcpSocketTests): it listens on 127.0.0.1 and on ::1, each on a port the
# kernel picks, with SO_REUSEADDR as servers set it, and says "ports V4 V6". It answers each connection on either with
# "answer N" (N counting answers since it started, kept in its memory) and closes it, and says "count N" each 0.2 s.
import select
import socket
import sys
import time


def listener(family, host):
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen()
    return sock


listeners = [listener(socket.AF_INET, "127.0.0.1"), listener(socket.AF_INET6, "::1")]
print("ports %d %d" % (listeners[0].getsockname()[1], listeners[1].getsockname()[1]), flush=True)
answers = 0
count = 0
while True:
    ready, _, _ = select.select(listeners, [], [], 0.2)
    for sock in ready:
        conn, _ = sock.accept()
        answers += 1
        conn.sendall(b"answer %d\n" % answers)
        conn.close()
    count += 1
    print("count %d" % count, flush=True)
