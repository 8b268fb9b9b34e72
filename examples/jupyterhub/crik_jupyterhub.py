"""Hands a notebook server that crik restored the hub token its new pod was given.

JupyterHub issues a server a new API token at each start, and that token is also the server's OAuth
client secret; the old one is deleted when the server stops. A server crik restored still holds the
old token in memory, so the hub would refuse its OAuth logins and its activity reports. Two halves:

* In the server (a Jupyter server extension, enabled by jupyter-config/): it listens on the abstract
  Unix socket "crik-jupyterhub-<its PID>" of the pod's network namespace, takes only a peer running
  as root or as its own user, and sets the token it is handed on every HubOAuth of the server and in
  os.environ (for the kernels it starts after).
* crik's afterRestore program (`python3 -m crik_jupyterhub`): run by crik after each restore with the
  new pod's environment and CRIK_APP_PID, it sends the JUPYTERHUB_* variables to the server at that
  PID (or below it, behind a wrapper) and prints what the server answered.
"""

import json
import os
import socket
import struct
import sys
import threading
import time

HANDED_OVER = "JPY_API_TOKEN"
PREFIX = "JUPYTERHUB_"
WAIT_FOR_SERVER = 30
LARGEST_MESSAGE = 1 << 16


def _address(pid):
    return "\0crik-jupyterhub-%d" % pid


# The server's half.


def _hub_auths(app):
    """Every HubOAuth the server uses: the app's, its settings', its identity provider's, its extensions'."""
    found = [
        getattr(app, "hub_auth", None),
        getattr(getattr(app, "web_app", None), "settings", {}).get("hub_auth"),
        getattr(getattr(app, "identity_provider", None), "hub_auth", None),
    ]
    manager = getattr(app, "extension_manager", None)
    for point in getattr(manager, "extension_points", {}).values():
        found.append(getattr(getattr(point, "app", None), "hub_auth", None))
    unique = []
    for auth in found:
        if auth is not None and hasattr(auth, "api_token") and all(auth is not u for u in unique):
            unique.append(auth)
    return unique


def _adopt(app, variables):
    token = variables.get("JUPYTERHUB_API_TOKEN", "")
    if not token:
        return "refused: no JUPYTERHUB_API_TOKEN was handed over"
    auths = _hub_auths(app)
    for auth in auths:
        auth.api_token = token
    for name, value in variables.items():
        if name.startswith(PREFIX) or name == HANDED_OVER:
            os.environ[name] = value
    os.environ[HANDED_OVER] = token
    return "adopted the hub token of this pod (%d HubOAuth)" % len(auths)


def _read_all(connection):
    chunks = []
    size = 0
    while size <= LARGEST_MESSAGE:
        chunk = connection.recv(4096)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise ValueError("more than %d bytes" % LARGEST_MESSAGE)


def _answer(connection, app, loop):
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", credentials)
    if uid not in (0, os.getuid()):
        return "refused: uid %d is neither root nor this server's user" % uid
    variables = json.loads(_read_all(connection).decode("utf-8"))
    if not isinstance(variables, dict):
        return "refused: not a JSON object of variables"
    answered = threading.Event()
    answer = []

    def on_loop():
        try:
            answer.append(_adopt(app, variables))
        finally:
            answered.set()

    loop.add_callback(on_loop)
    if not answered.wait(WAIT_FOR_SERVER):
        return "refused: the server's event loop did not run the handover within %d s" % WAIT_FOR_SERVER
    return answer[0] if answer else "refused: the handover failed (see the server's log)"


def _serve(listener, app, loop):
    while True:
        connection, _ = listener.accept()
        with connection:
            try:
                reply = _answer(connection, app, loop)
            except Exception as e:  # one bad peer must not end the listener
                reply = "refused: %s" % e
            app.log.info("crik_jupyterhub: %s", reply)
            try:
                connection.sendall((reply + "\n").encode("utf-8"))
            except OSError:
                pass


def _start(app):
    from tornado.ioloop import IOLoop

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(_address(os.getpid()))
    listener.listen(4)
    threading.Thread(target=_serve, args=(listener, app, IOLoop.current()), name="crik-jupyterhub", daemon=True).start()
    app.log.info("crik_jupyterhub: waiting for crik's afterRestore program on %r", _address(os.getpid())[1:])


def _jupyter_server_extension_points():
    return [{"module": "crik_jupyterhub"}]


def _jupyter_server_extension_paths():
    return [{"module": "crik_jupyterhub"}]


def _load_jupyter_server_extension(app):
    _start(app)


load_jupyter_server_extension = _load_jupyter_server_extension


# crik's half: the afterRestore program.


def _descendants(pid):
    found = [pid]
    for each in found:
        try:
            for task in os.listdir("/proc/%d/task" % each):
                with open("/proc/%d/task/%s/children" % (each, task)) as children:
                    found.extend(int(child) for child in children.read().split())
        except OSError:
            pass
    return found


def _connect(pid):
    deadline = time.monotonic() + WAIT_FOR_SERVER
    while True:
        for candidate in _descendants(pid):
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                client.connect(_address(candidate))
                return client, candidate
            except OSError:
                client.close()
        if time.monotonic() > deadline:
            return None, None
        time.sleep(0.2)


def hand_over():
    variables = {n: v for n, v in os.environ.items() if n.startswith(PREFIX) or n == HANDED_OVER}
    if not variables.get("JUPYTERHUB_API_TOKEN"):
        print("crik_jupyterhub: this pod has no JUPYTERHUB_API_TOKEN; nothing to hand over (is it started by a hub?)", file=sys.stderr)
        return 1
    try:
        pid = int(os.environ["CRIK_APP_PID"])
    except (KeyError, ValueError):
        print("crik_jupyterhub: CRIK_APP_PID is not set; run this as crik's afterRestore program", file=sys.stderr)
        return 2
    client, server = _connect(pid)
    if client is None:
        print("crik_jupyterhub: no server with the crik_jupyterhub extension at PID %d or below it after %d s; "
              "enable the extension (examples/jupyterhub/jupyter-config)" % (pid, WAIT_FOR_SERVER), file=sys.stderr)
        return 1
    with client:
        client.sendall(json.dumps(variables).encode("utf-8"))
        client.shutdown(socket.SHUT_WR)
        reply = _read_all(client).decode("utf-8").strip()
    print("crik_jupyterhub: the server (PID %d) %s" % (server, reply), file=sys.stderr)
    return 0 if reply.startswith("adopted") else 1


if __name__ == "__main__":
    sys.exit(hand_over())
