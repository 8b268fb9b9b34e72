# A Python service that keeps what containers keep of their own: a log it opened in a directory it
# made (/var/log/app), a scratch file in /tmp and a shared-memory file in /dev/shm, plus a count in
# memory. GET / counts a hit and answers "hits N log N tmp N shm N"; every N must agree.
import http.server, mmap, os

os.makedirs("/var/log/app", exist_ok=True)
log = open("/var/log/app/hits.log", "a", buffering=1)
scratch = open("/tmp/scratch", "a+b", buffering=0)
with open("/dev/shm/service-state", "wb") as f:
    f.write(b"\0" * 4096)
fd = os.open("/dev/shm/service-state", os.O_RDWR)
shared = mmap.mmap(fd, 4096)
os.close(fd)
hits = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        global hits
        if self.path == "/":
            hits += 1
            log.write(f"hit {hits}\n")
            scratch.write(b"x")
            shared[:16] = str(hits).encode().ljust(16, b"\0")
        with open("/var/log/app/hits.log") as f:
            logged = sum(1 for _ in f)
        stored = int(shared[:16].rstrip(b"\0") or b"0")
        body = f"hits {hits} log {logged} tmp {os.fstat(scratch.fileno()).st_size} shm {stored}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


print("serving on 8080", flush=True)
http.server.ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
