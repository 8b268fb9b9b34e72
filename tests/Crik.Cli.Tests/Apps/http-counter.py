#!/usr/bin/env python3
# Test app: an HTTP server on 127.0.0.1:PORT that counts requests in memory and appends each one to
# a file it keeps open. Usage: http-counter.py PORT LOGFILE
import http.server, sys

port, log_path = int(sys.argv[1]), sys.argv[2]
log = open(log_path, "a", buffering=1)
hits = 0

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        global hits
        hits += 1
        log.write(f"hit {hits}\n")
        body = f"hits {hits}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", port), Handler)
print(f"serving {port}", flush=True)
server.serve_forever()
