# Test app for CRIU's lookups of TCP sockets (TcpLookupTests): it holds TCP sockets of every kind a dump meets (a raw one
# among them, so it runs as root), then says "ready" and sleeps. With argv[1] "group" it also holds two listeners sharing
# a port (SO_REUSEPORT), where a lookup by address finds one of the two, maybe not the one asked for; with "many", 40 more
# connected pairs, more sockets than CRIU asks for one by one.
import socket
import sys
import time

kept = []


def tcp(family=socket.AF_INET):
    sock = socket.socket(family, socket.SOCK_STREAM)
    kept.append(sock)
    return sock


def listening(family, host, port=0, reuse_port=False):
    sock = tcp(family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(8)
    return sock


def connected(listener, family, host):
    client = tcp(family)
    client.connect((host, listener.getsockname()[1]))
    server, _ = listener.accept()
    kept.append(server)
    return client, server


v4 = listening(socket.AF_INET, "127.0.0.1")
v6 = listening(socket.AF_INET6, "::1")
dual = listening(socket.AF_INET6, "::")  # takes IPv4 connections too, v4-mapped
anywhere = listening(socket.AF_INET, "0.0.0.0")
connected(v4, socket.AF_INET, "127.0.0.1")
connected(v6, socket.AF_INET6, "::1")
connected(dual, socket.AF_INET, "127.0.0.1")  # the server's end: an IPv6 socket with v4-mapped addresses

# a connection the listener has not accepted yet (in flight); in each family, one whose peer has closed its end, and
# that peer, which has no file left: a walk of the table meets it with no inode
pending = listening(socket.AF_INET, "127.0.0.1")
tcp().connect(pending.getsockname())
for family, host, listener in ((socket.AF_INET, "127.0.0.1", v4), (socket.AF_INET6, "::1", v6)):
    client, server = connected(listener, family, host)
    client.close()
    kept.remove(client)

# bound to a device, bound only, and never bound
on_lo = tcp()
on_lo.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
on_lo.bind(("127.0.0.1", 0))
on_lo.listen(1)
tcp().bind(("127.0.0.1", 0))
tcp(socket.AF_INET6)
kept.append(socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP))  # TCP by its protocol, but raw

if sys.argv[1:] == ["group"]:
    group = listening(socket.AF_INET, "127.0.0.1", reuse_port=True)
    listening(socket.AF_INET, "127.0.0.1", port=group.getsockname()[1], reuse_port=True)
if sys.argv[1:] == ["many"]:
    for _ in range(40):
        connected(v4, socket.AF_INET, "127.0.0.1")

print("ready", flush=True)
while True:
    time.sleep(1)
