"""Start a private Voilà server on the app notebooks of ``apps/`` and stop it by its PID.

Like :class:`tests.browser.lab.LabServer` (whose private folders, token and PID-based stop it
reuses): 127.0.0.1, a free port, a random token; the command is ``python3 dev.py present``'s.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from dev import voila_command  # the command of `python3 dev.py present`

from .lab import LabServer


@dataclass
class VoilaServer(LabServer):
    """A Voilà server on :attr:`root`; :meth:`app_url` is an app's page."""

    def app_url(self, notebook: str, size: str | None = None) -> str:
        """The page of ``notebook`` (``?size=`` picks the dashboard's size)."""
        query = f"?token={self.token}" + (f"&size={size}" if size else "")
        return f"{self.base_url}/voila/render/{notebook}{query}"

    def start(self, timeout: float = 60.0) -> VoilaServer:
        """Launch Voilà and wait until its tree page answers."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / "voila.log"
        cmd = voila_command(sys.executable, str(self.root), self.port, self.token)
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=self.root, env=self._env(), stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Voilà exited early; see {self.log_path}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url("voila/tree"), timeout=5):
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"Voilà did not answer within {timeout} s; see {self.log_path}")
