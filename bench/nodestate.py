#!/usr/bin/env python3
"""Part 3: the node-state server with 5,000 nodes from the fake Kubernetes API: requests per second
and latency under wrk, resident memory, and the time from a Node change to the new state served."""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import time
import urllib.request

from benchlib import Proc, log, now, rss_kib, save, summary

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(work):
    cert, key = os.path.join(work, "api.crt"), os.path.join(work, "api.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=fake-kube-api",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def kubeconfig(path, server, ca=None):
    import base64
    cluster = f"    server: {server}\n"
    if ca:
        with open(ca, "rb") as f:
            cluster += f"    certificate-authority-data: {base64.b64encode(f.read()).decode()}\n"
    with open(path, "w") as f:
        f.write("apiVersion: v1\nkind: Config\ncurrent-context: bench\n"
                f"clusters:\n- name: bench\n  cluster:\n{cluster}"
                "users:\n- name: bench\n  user:\n    token: bench-token\n"
                "contexts:\n- name: bench\n  context:\n    cluster: bench\n    user: bench\n")


def get(url, timeout=2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return None, b""


def wait_ready(server, base, timeout):
    start = now()
    while now() - start < timeout:
        if server.popen.poll() is not None:
            return None
        code, _ = get(base + "/readyz", timeout=1)
        if code == 200:
            return now() - start
        time.sleep(0.02)
    return None


def start_stack(args, scheme):
    api_port, port = free_port(), free_port()
    api_args = [args.python, os.path.join(HERE, "fake_kube_api.py"), "--nodes", args.nodes, "--port", api_port]
    ca = None
    if scheme == "https":
        ca, key = self_signed(args.work)
        api_args += ["--cert", ca, "--key", key]
    api = Proc(api_args)
    api.wait_line(r"^listening", timeout=60)
    config = os.path.join(args.work, f"kubeconfig-{scheme}")
    kubeconfig(config, f"{scheme}://127.0.0.1:{api_port}", ca)
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    started = now()
    server = Proc([args.server, "--port", port, "--bind", "127.0.0.1", "--kubeconfig", config, "--log-level", "warning"],
                  env=env)
    base = f"http://127.0.0.1:{port}"
    ready = wait_ready(server, base, args.ready_timeout)
    return api, api_port, server, base, ready, now() - started


def wrk(args, base, seconds):
    env = dict(os.environ, NODES=str(args.nodes))
    out = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--latency",
                          "-s", os.path.join(HERE, "wrk_nodes.lua"), base], env=env, capture_output=True, text=True, check=True)
    line = next(l for l in out.stdout.splitlines() if l.startswith("WRK_JSON "))
    data = json.loads(line[len("WRK_JSON "):])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def peak_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))


FLOOR_ANSWER = '{"name":"node-00001","state":"ready","reasons":[]}'


def start_floor(args):
    """nginx, one worker, answering every request with a fixed node answer from memory: what wrk on the same
    cores gets from a server that does nothing, to tell the machine's latency from the node-state server's."""
    nginx = shutil.which("nginx")
    if nginx is None:
        log("no nginx: the floor is not measured")
        return None, None
    port = free_port()
    conf = os.path.join(args.work, "floor-nginx.conf")
    with open(conf, "w") as f:
        f.write(f"worker_processes 1;\ndaemon off;\npid {args.work}/floor-nginx.pid;\nerror_log {args.work}/floor-nginx.log warn;\n"
                "events { worker_connections 4096; }\n"
                "http { access_log off; keepalive_requests 1000000000; keepalive_timeout 60s;\n"
                f"  server {{ listen 127.0.0.1:{port};\n"
                f"    location / {{ default_type application/json; return 200 '{FLOOR_ANSWER}'; }} }} }}\n")
    proc = Proc([nginx, "-c", conf, "-e", os.path.join(args.work, "floor-nginx.log")])
    base = f"http://127.0.0.1:{port}"
    start = now()
    while get(base + "/v1/nodes/node-00001")[0] != 200:
        if proc.popen.poll() is not None or now() - start > 10:
            log(f"the nginx floor did not start:\n{proc.transcript()}")
            proc.kill()
            return None, None
        time.sleep(0.05)
    return proc, base


def state_of(conn, name):
    conn.request("GET", f"/v1/nodes/{name}")
    response = conn.getresponse()
    return json.loads(response.read()).get("state")


def visibility(args, api_port, base, reps):
    """Time from the POST that changes a Node in the API to the server answering the new state."""
    host, port = base.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    api_scheme_conn = None
    results = {"disrupt": [], "undisrupt": []}
    names = random.Random(1).sample(range(args.nodes), reps)
    for index in names:
        name = f"node-{index:05d}"
        for action, wanted in (("disrupt", "shutting-down"), ("undisrupt", "ready")):
            t0 = now()
            request = urllib.request.Request(f"{args.api_scheme}://127.0.0.1:{api_port}/bench/{action}?node={name}", method="POST")
            ctx = None
            if args.api_scheme == "https":
                import ssl
                ctx = ssl._create_unverified_context()
            urllib.request.urlopen(request, timeout=5, context=ctx).read()
            while state_of(conn, name) != wanted:
                if now() - t0 > 10:
                    raise TimeoutError(f"{name} never became {wanted}")
            results[action].append(now() - t0)
            time.sleep(0.05)
    conn.close()
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True, help="the node-state-server executable")
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--ready-timeout", type=float, default=60)
    parser.add_argument("--floor", action="store_true",
                        help="also run the same wrk load, alternating, against nginx answering from memory (the machine's floor)")
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)

    # Plain HTTP when the server's kubeconfig handling takes an http:// API; else HTTPS, self-signed.
    for scheme in ("http", "https"):
        api, api_port, server, base, ready, waited = start_stack(args, scheme)
        if ready is not None:
            break
        log(f"node-state server not ready with an {scheme} API after {waited:.1f} s:\n{server.transcript()}")
        server.kill()
        api.kill()
    else:
        raise SystemExit("bench: the node-state server never became ready")
    args.api_scheme = scheme
    log(f"node-state server ready after {ready:.2f} s ({args.nodes} nodes over {scheme})")
    code, body = get(base + "/v1/nodes/node-00001")
    log(f"sample answer {code}: {body.decode()[:200]}")
    result = {"nodes": args.nodes, "api_scheme": scheme, "ready_s": ready, "threads": args.threads,
              "connections": args.connections, "seconds": args.seconds}
    result["rss_idle_kib"] = rss_kib(server.pid)
    # The peak so far is the start-up's: the list of every node.
    result["rss_peak_ready_kib"] = peak_kib(server.pid)
    floor, floor_base = start_floor(args) if args.floor else (None, None)
    wrk(args, base, 2)  # warm-up
    if floor:
        wrk(args, floor_base, 2)
    runs, floor_runs = [], []
    for rep in range(args.reps):
        runs.append(wrk(args, base, args.seconds))
        runs[-1]["rss_kib"] = rss_kib(server.pid)
        runs[-1]["load1"] = load1()
        log(f"wrk #{rep + 1}: {runs[-1]['rps']:.0f} req/s, p50 {runs[-1]['p50_us']} us, p99 {runs[-1]['p99_us']} us, "
            f"errors {runs[-1]['non2xx'] + runs[-1]['socket_errors']}, RSS {runs[-1]['rss_kib']} KiB, load {runs[-1]['load1']}")
        if floor:
            # Alternating, so that both see the same neighbours on a shared machine.
            floor_runs.append(wrk(args, floor_base, args.seconds))
            floor_runs[-1]["load1"] = load1()
            log(f"floor #{rep + 1} (nginx): {floor_runs[-1]['rps']:.0f} req/s, p50 {floor_runs[-1]['p50_us']} us, "
                f"p99 {floor_runs[-1]['p99_us']} us, load {floor_runs[-1]['load1']}")
    if floor:
        floor.kill()
    result["wrk_runs"] = runs
    for key in ("rps", "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "rss_kib"):
        result[key] = summary([r[key] for r in runs])
    result["errors"] = sum(r["non2xx"] + r["socket_errors"] for r in runs)
    if floor_runs:
        result["floor"] = {"server": "nginx, 1 worker, fixed answer", "wrk_runs": floor_runs,
                           **{key: summary([r[key] for r in floor_runs]) for key in ("rps", "p50_us", "p99_us", "p999_us")}}
    result["rss_peak_kib"] = peak_kib(server.pid)
    changes = visibility(args, api_port, base, args.changes)
    result["visible_s"] = {k: summary(v) for k, v in changes.items()}
    result["visible_runs"] = changes
    log(f"change visible: median {result['visible_s']['disrupt']['median'] * 1e3:.1f} ms")
    server.kill()
    api.kill()
    save(args.out, result)


if __name__ == "__main__":
    main()
