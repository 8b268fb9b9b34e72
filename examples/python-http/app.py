# A small HTTP service with state in memory and a journal on disk, to show a service resumed after
# preemption: /count keeps counting across checkpoint and restore.
import http.server
import os

STATE_DIR = "/var/lib/counter"
os.makedirs(STATE_DIR, exist_ok=True)
journal = open(os.path.join(STATE_DIR, "journal.log"), "a", buffering=1)
hits = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        global hits
        hits += 1
        journal.write(f"hit {hits}\n")
        body = f"{hits}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


print("serving on :8080", flush=True)
http.server.HTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
