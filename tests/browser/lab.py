"""Start a private JupyterLab server for a browser test and stop it by its PID.

The server listens on 127.0.0.1 on a free port with a random token. Its config, runtime,
user-settings and workspace folders are fresh temporary folders, so nothing from the user's own
JupyterLab (a restored workspace, a changed setting) leaks into the test. The application
settings (``<sys.prefix>/share/jupyter/lab/settings/overrides.json``, installed by ``python3
dev.py install`` from ``jupyter-settings/``) are left alone and therefore honoured;
:meth:`LabServer.setting` lets a test check that they are.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil  # a dependency of ipykernel, so present wherever JupyterLab is

#: User settings written for the test server only: no windowing, so every cell of the notebook
#: is in the page's DOM and can be inspected without scrolling.
TEST_USER_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LabServer:
    """A JupyterLab server started by :meth:`start`; always call :meth:`stop`.

    Attributes
    ----------
    root : Path
        The folder served as the notebook directory.
    workdir : Path
        Where the server's private config/runtime/settings folders and its log live.
    """

    root: Path
    workdir: Path
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The browser URL of ``path`` (e.g. ``lab/tree/02.ipynb``), token included."""
        return f"{self.base_url}/{path.lstrip('/')}?token={self.token}"

    def _env(self) -> dict[str, str]:
        dirs = {
            "JUPYTER_CONFIG_DIR": "config",
            "JUPYTER_RUNTIME_DIR": "runtime",
            "JUPYTERLAB_SETTINGS_DIR": "user-settings",
            "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
        }
        env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
        # the kernel must be this interpreter (the project's venv), whatever PATH says
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        for name, sub in dirs.items():
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
            env[name] = str(self.workdir / sub)
        for rel, values in TEST_USER_SETTINGS.items():
            path = self.workdir / "user-settings" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        return env

    def start(self, timeout: float = 60.0) -> LabServer:
        """Launch ``python -m jupyter lab`` and wait until ``/api/status`` answers."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / "jupyterlab.log"
        cmd = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser",
            f"--IdentityProvider.token={self.token}", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={self.root}", "--ServerApp.terminals_enabled=False",
        ]  # fmt: skip
        if os.geteuid() == 0:  # containers and CI run as root
            cmd.append("--allow-root")
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=self.root, env=self._env(), stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early; see {self.log_path}:\n{self.log()}")
            try:
                self.api("api/status")
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"JupyterLab did not answer within {timeout} s; see {self.log_path}")

    def log(self) -> str:
        """The server's combined stdout/stderr so far."""
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def api(self, path: str, method: str = "GET") -> Any:
        """Call the server's REST API with the token; returns the decoded JSON (or None)."""
        req = urllib.request.Request(
            f"{self.base_url}/{path.lstrip('/')}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def setting(self, plugin: str, key: str) -> Any:
        """The effective value of a JupyterLab setting: the user's, else the default.

        The server folds ``overrides.json`` into the schema's defaults, so a value that only
        the overrides set shows up here.
        """
        answer = self.api(f"lab/api/settings/{plugin}")
        default = answer["schema"]["properties"][key].get("default")
        return answer["settings"].get(key, default)

    def stop(self, timeout: float = 10.0) -> None:
        """Shut the kernels down, then end the server and every child of it by PID."""
        if self.proc is None:
            return
        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        if self.proc.poll() is None:
            try:
                for kernel in self.api("api/kernels"):
                    self.api(f"api/kernels/{kernel['id']}", method="DELETE")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        for child in children:  # kernels run in their own session: end them by PID too
            try:
                child.kill()
                child.wait(timeout)
            except psutil.NoSuchProcess:
                pass
        self.proc = None


def chromium_path() -> str | None:
    """The system Chromium (``apt-get install chromium``), or ``None`` when it is missing."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


#: Flags for a quiet, sandbox-free headless Chromium in a container.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
