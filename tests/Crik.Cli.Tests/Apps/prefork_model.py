# Test app for gunicorn --preload: a "model" of MODEL_MIB mebibytes of random bytes loaded once in the
# master, which its workers share copy-on-write. GET / answers "ok PID"; GET /digest reads the whole
# model and answers its SHA-256 with the digest taken at load ("digest D loaded L").
import hashlib, os

MODEL = os.urandom(int(os.environ.get("MODEL_MIB", "200")) << 20)
LOADED = hashlib.sha256(MODEL).hexdigest()


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/digest":
        body = f"digest {hashlib.sha256(MODEL).hexdigest()} loaded {LOADED}"
    else:
        body = f"ok {os.getpid()}"
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode()]
