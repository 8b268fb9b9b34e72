#!/usr/bin/env python3
"""A fake Kubernetes API server with just enough of /api/v1/nodes for the node-state server benchmark:

  GET  /api/v1/nodes?limit=N&continue=T        a NodeList page (metadata.resourceVersion, metadata.continue)
  GET  /api/v1/nodes?watch=1&resourceVersion=R  a chunked stream of newline-delimited watch events
                                                (a BOOKMARK every 5 s of quiet with allowWatchBookmarks)
  GET  /api/v1/nodes/NAME                       one Node
  POST /bench/disrupt?node=NAME                 adds the taint karpenter.sh/disrupted:NoSchedule (a MODIFIED event)
  POST /bench/undisrupt?node=NAME               removes it again
  GET  /healthz, /version

Plain HTTP by default; HTTPS with --cert and --key. Every request is answered as from a cluster admin."""
import argparse
import base64
import json
import queue
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

DISRUPTED = "karpenter.sh/disrupted"


class Cluster:
    def __init__(self, count):
        self.lock = threading.Lock()
        self.version = 1000
        self.names = [f"node-{i:05d}" for i in range(count)]
        self.nodes = {name: self._node(i, name) for i, name in enumerate(self.names)}
        self.history = []  # (resourceVersion, event) for watches that start from an older version
        self.watchers = []

    def _next_version(self):
        self.version += 1
        return str(self.version)

    def _node(self, index, name):
        zone = f"eu-west-1{'abc'[index % 3]}"
        return {
            "kind": "Node",
            "apiVersion": "v1",
            "metadata": {
                "name": name,
                "uid": str(uuid.UUID(int=index + 1)),
                "resourceVersion": self._next_version(),
                "creationTimestamp": "2026-11-01T00:00:00Z",
                "labels": {
                    "kubernetes.io/hostname": name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "node.kubernetes.io/instance-type": "m6i.large",
                    "topology.kubernetes.io/region": "eu-west-1",
                    "topology.kubernetes.io/zone": zone,
                    "karpenter.sh/nodepool": "default",
                    "karpenter.sh/capacity-type": "spot" if index % 2 else "on-demand",
                },
                "annotations": {
                    "node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                },
            },
            "spec": {"providerID": f"aws:///{zone}/i-{index:017x}", "taints": []},
            "status": {
                "capacity": {"cpu": "2", "memory": "8012508Ki", "pods": "29"},
                "allocatable": {"cpu": "1930m", "memory": "7305948Ki", "pods": "29"},
                "conditions": [
                    {"type": t, "status": "False", "reason": f"Kubelet{t}", "lastHeartbeatTime": "2026-11-21T00:00:00Z",
                     "lastTransitionTime": "2026-11-01T00:00:00Z", "message": "ok"}
                    for t in ("MemoryPressure", "DiskPressure", "PIDPressure")
                ] + [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                      "lastHeartbeatTime": "2026-11-21T00:00:00Z", "lastTransitionTime": "2026-11-01T00:00:00Z",
                      "message": "kubelet is posting ready status"}],
                "addresses": [{"type": "InternalIP", "address": f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}"},
                              {"type": "Hostname", "address": name}],
                "nodeInfo": {"kubeletVersion": "v1.31.0", "containerRuntimeVersion": "containerd://1.7.22",
                             "osImage": "Bottlerocket OS 1.22.0", "kernelVersion": "6.1.106", "architecture": "amd64",
                             "operatingSystem": "linux"},
            },
        }

    def page(self, limit, token):
        with self.lock:
            start = int(base64.b64decode(token).decode()) if token else 0
            end = len(self.names) if not limit else min(len(self.names), start + limit)
            items = [self.nodes[n] for n in self.names[start:end]]
            meta = {"resourceVersion": str(self.version)}
            if end < len(self.names):
                meta["continue"] = base64.b64encode(str(end).encode()).decode()
                meta["remainingItemCount"] = len(self.names) - end
            return json.dumps({"kind": "NodeList", "apiVersion": "v1", "metadata": meta, "items": items}).encode()

    def get(self, name):
        with self.lock:
            node = self.nodes.get(name)
            return json.dumps(node).encode() if node else None

    def watch(self, since):
        """A queue that gets every event after resourceVersion `since`."""
        q = queue.Queue()
        with self.lock:
            for version, event in self.history:
                if since is None or version > since:
                    q.put(event)
            self.watchers.append(q)
        return q

    def unwatch(self, q):
        with self.lock:
            if q in self.watchers:
                self.watchers.remove(q)

    def set_disrupted(self, name, disrupted):
        with self.lock:
            node = self.nodes.get(name)
            if node is None:
                return None
            taints = [t for t in node["spec"]["taints"] if t["key"] != DISRUPTED]
            if disrupted:
                taints.append({"key": DISRUPTED, "effect": "NoSchedule"})
            node = json.loads(json.dumps(node))
            node["spec"]["taints"] = taints
            version = self._next_version()
            node["metadata"]["resourceVersion"] = version
            self.nodes[name] = node
            event = (json.dumps({"type": "MODIFIED", "object": node}) + "\n").encode()
            self.history.append((int(version), event))
            for q in self.watchers:
                q.put(event)
            return version


def handler(cluster, verbose):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            if verbose:
                super().log_message(fmt, *args)

        def send_json(self, code, body):
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def status(self, code, reason, message):
            body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
                               "reason": reason, "code": code}).encode()
            self.send_json(code, body)

        def do_GET(self):
            url = urlparse(self.path)
            query = parse_qs(url.query)
            if url.path in ("/healthz", "/readyz", "/livez"):
                return self.send_json(200, b"ok")
            if url.path == "/version":
                return self.send_json(200, json.dumps({"major": "1", "minor": "31", "gitVersion": "v1.31.0-fake"}).encode())
            if url.path == "/api/v1/nodes":
                if query.get("watch", ["0"])[0] in ("1", "true"):
                    return self.watch(query)
                limit = int(query.get("limit", ["0"])[0] or 0)
                return self.send_json(200, cluster.page(limit, query.get("continue", [""])[0]))
            if url.path.startswith("/api/v1/nodes/"):
                body = cluster.get(url.path.rsplit("/", 1)[1])
                return self.send_json(200, body) if body else self.status(404, "NotFound", "node not found")
            return self.status(404, "NotFound", f"no {url.path} in the fake API")

        def watch(self, query):
            since = query.get("resourceVersion", [""])[0]
            timeout = float(query.get("timeoutSeconds", ["3600"])[0])
            q = cluster.watch(int(since) if since else None)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            bookmarks = query.get("allowWatchBookmarks", ["false"])[0] in ("1", "true")
            deadline = time.monotonic() + timeout
            last_sent = time.monotonic()
            try:
                self.wfile.flush()
                while time.monotonic() < deadline:
                    try:
                        event = q.get(timeout=min(1.0, max(0.01, deadline - time.monotonic())))
                    except queue.Empty:
                        if not bookmarks or time.monotonic() - last_sent < 5:
                            continue
                        event = (json.dumps({"type": "BOOKMARK", "object": {"kind": "Node", "apiVersion": "v1", "metadata": {
                            "resourceVersion": str(cluster.version)}}}) + "\n").encode()
                    last_sent = time.monotonic()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass
            finally:
                cluster.unwatch(q)
                self.close_connection = True

        def do_POST(self):
            url = urlparse(self.path)
            name = parse_qs(url.query).get("node", [""])[0]
            if url.path in ("/bench/disrupt", "/bench/undisrupt"):
                version = cluster.set_disrupted(name, url.path == "/bench/disrupt")
                if version is None:
                    return self.status(404, "NotFound", "node not found")
                return self.send_json(200, json.dumps({"resourceVersion": version}).encode())
            return self.status(404, "NotFound", f"no {url.path} in the fake API")

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    cluster = Cluster(args.nodes)
    server = ThreadingHTTPServer((args.bind, args.port), handler(cluster, args.verbose))
    server.daemon_threads = True
    scheme = "http"
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    print(f"listening {scheme}://{args.bind}:{server.server_address[1]} with {args.nodes} nodes", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
