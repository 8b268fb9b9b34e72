# A JupyterHub (Debian's) on the test machine whose spawner starts each server as a new podman container of
# the runtime image, crik its PID 1: a pod, as KubeSpawner would make. JupyterHubTests says how, in the JSON
# file $CRIK_TEST_HUB_SETTINGS: the pods' podman arguments up to the image, in the order they are to start.
import json
import os
import subprocess

from jupyterhub.spawner import Spawner

settings = json.load(open(os.environ["CRIK_TEST_HUB_SETTINGS"]))
here = os.path.dirname(os.environ["CRIK_TEST_HUB_SETTINGS"])


def podman(*args):
    return subprocess.run([*settings["podman"], *args], capture_output=True, text=True)


class PodmanSpawner(Spawner):
    pod = None

    async def start(self):
        started = [p for p in settings["pods"] if podman("container", "exists", p[p.index("--name") + 1]).returncode == 0]
        if len(started) == len(settings["pods"]):
            raise RuntimeError("every pod the test planned has been started")
        run = settings["pods"][len(started)]
        self.pod = run[run.index("--name") + 1]
        environment = [a for name, value in self.get_env().items() for a in ("-e", f"{name}={value}")]
        done = podman(run[0], *environment, *run[1:], *self.cmd, *self.get_args())
        if done.returncode != 0:
            raise RuntimeError(f"podman run failed: {done.stderr}")
        ip = podman("inspect", "--format", "{{.NetworkSettings.IPAddress}}", self.pod).stdout.strip()
        return (ip, self.port)

    async def poll(self):
        if self.pod is None:
            return 0
        running = podman("inspect", "--format", "{{.State.Running}}", self.pod).stdout.strip()
        return None if running == "true" else 0

    async def stop(self, now=False):
        # SIGTERM, then as long as a pod's grace period: crik checkpoints the server meanwhile.
        podman("stop", "-t", "60", self.pod)


c.JupyterHub.spawner_class = PodmanSpawner
c.Spawner.ip = "0.0.0.0"
c.Spawner.port = 8888
c.Spawner.cmd = ["jupyterhub-singleuser"]
c.Spawner.args = ["--allow-root"]
c.Spawner.environment = {
    "HOME": "/home/jovyan",
    "PYTHONPATH": "/apps/jupyterhub",
    "JUPYTER_CONFIG_PATH": "/apps/jupyterhub/jupyter-config",
}
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
c.DummyAuthenticator.password = settings["password"]
c.JupyterHub.bind_url = f"http://127.0.0.1:{settings['proxyPort']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxyApiPort']}"
c.ConfigurableHTTPProxy.pid_file = os.path.join(here, "proxy.pid")
c.JupyterHub.hub_bind_url = f"http://0.0.0.0:{settings['hubPort']}"
c.JupyterHub.hub_connect_url = f"http://{settings['hubAddress']}:{settings['hubPort']}"
c.JupyterHub.db_url = "sqlite:///" + os.path.join(here, "hub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(here, "cookie_secret")
c.JupyterHub.services = [{"name": "crik-test", "api_token": settings["serviceToken"]}]
c.JupyterHub.load_roles = [
    {"name": "crik-test", "scopes": ["admin:users", "admin:servers", "access:servers"], "services": ["crik-test"]},
]
