"""A real JupyterLab for the widget's browser-side tests, with settings of its own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.servers import free_port

# Lab settings for a quiet, reproducible page: no news or update toasts, widget state
# saved with the notebook (so a reopened notebook shows the outcome without a kernel).
_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings": {"saveState": True},
    # Every cell stays in the DOM, scrolled into view or not; no kernel-choice dialog.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
        "autoStartDefaultKernel": True,
    },
}

_THEMES = "@jupyterlab/apputils-extension/themes.jupyterlab-settings"


class JupyterLab:
    """``jupyter lab`` on a free port, serving ``root`` with no token, in its own dirs."""

    def __init__(self, root: Path, *, env: dict[str, str], theme: str | None = None) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        home = root / ".jupyter-test"
        settings = home / "settings"
        self._settings = settings
        for name, value in _SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        self.choose_theme(theme)
        self.log = (home / "lab.log").open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={self.port}",
                f"--ServerApp.root_dir={root}",
                "--IdentityProvider.token=",
                "--ServerApp.password=",
                "--LabApp.expose_app_in_browser=True",
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],
            env={
                **os.environ,
                **env,
                "JUPYTERLAB_SETTINGS_DIR": str(settings),
                "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
                "JUPYTER_CONFIG_DIR": str(home / "config"),
                "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
                "JUPYTER_PLATFORM_DIRS": "1",
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
        self._wait_ready()

    def choose_theme(self, theme: str | None) -> None:
        """Set the theme in the lab's settings, or drop it for JupyterLab's default: a page
        opened from then on shows it (the settings are read as each page loads)."""
        path = self._settings / _THEMES
        if theme is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"theme": theme}))

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited: {self.log_text()}")
            try:
                if httpx.get(f"{self.url}/api/status", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"jupyter lab did not start in {timeout} s: {self.log_text()}")

    def log_text(self) -> str:
        self.log.flush()
        return (self.root / ".jupyter-test" / "lab.log").read_text(errors="replace")[-4000:]

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.root / ".jupyter-test", ignore_errors=True)
