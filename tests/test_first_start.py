"""README's first commands, run as a new user runs them: a fresh virtual environment, the
project installed from a copy of the checkout (not in editable mode, so that what the
package ships is what is served), the service on its embedded defaults; then the
notebook extra and JupyterLab on the notebooks."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import ROOT, free_port
from tests.snippets import snippet

# What a clone holds that a fresh one would not, or that is not needed to install.
LEFT_OUT = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "__pycache__", "*.egg-info", "build", "dist", ".*_cache"
)

pytestmark = [
    pytest.mark.skipif(shutil.which("python3") is None, reason="the commands start with python3"),
    # Each installs from PyPI: on a busy machine that alone can take longer than the suite's
    # 120 s per test, while wait_until() allows 600 s.
    pytest.mark.timeout(600),
]


@pytest.fixture(scope="module", name="checkout")
def fixture_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project, as a fresh clone holds it; the data folder beside it."""
    checkout = tmp_path_factory.mktemp("first-start") / "quart_app"
    shutil.copytree(ROOT, checkout, ignore=LEFT_OUT)
    return checkout


@contextlib.contextmanager
def started(
    command: str, cwd: Path, log: Path, **settings: str
) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` in bash, as typed in a terminal; Ctrl-C at the end."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUART_APP_")}
    env.pop("DATABASE_URL", None)
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", **settings)
    with log.open("ab") as out:
        process = subprocess.Popen(
            ["bash", "-c", command],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal
        process.wait(60)


def wait_until(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 600  # installing from PyPI, then the first start
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.5)
    raise AssertionError(f"no answer on {url}:\n" + log.read_text()[-3000:])


def test_the_first_command_installs_and_starts_the_service(checkout: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = checkout.parent / "service.log"
    data = checkout.parent / "data"
    command = f"{snippet('run-service').text.strip()} --port {port}"
    with started(command, checkout, log, QUART_APP_DATA_DIR=str(data)) as process:
        wait_until(f"{url}/health", process, log)
        assert "Demo data set ready" in log.read_text()
        with httpx.Client(base_url=url, timeout=30) as client:
            answer = client.post(
                "/api/query-execution/execute", json={"sql": "SELECT count(*) FROM page_views"}
            )
            assert answer.json()["rows"] == [[2_000_000]]
            # the installed package serves its own files: the API docs' UI, the dashboard's
            for path in ("/docs", "/", "/static/dashboard.js"):
                assert client.get(path).status_code == 200, path
            assets = re.findall(r'(?:src|href)="(/[^"]+)"', client.get("/docs").text)
            assert len(assets) >= 2 and all(client.get(a).status_code == 200 for a in assets)
    # Ctrl-C stops the service and the embedded PostgreSQL with it
    assert process.returncode == 0, log.read_text()[-3000:]
    assert not list(data.glob("**/postmaster.pid"))
    # README's command to start it again: the same data, not loaded a second time
    log.write_bytes(b"")
    command = f"{snippet('restart-service').text.strip()} --port {port}"
    with started(command, checkout, log, QUART_APP_DATA_DIR=str(data)) as process:
        wait_until(f"{url}/health", process, log)
        answer = httpx.post(
            f"{url}/api/query-execution/execute", json={"sql": "SELECT count(*) FROM orders"}
        )
        assert answer.json()["rows"] == [[200_000]]
    assert "Loading the demo data set" not in log.read_text()
    assert process.returncode == 0, log.read_text()[-3000:]


def test_the_notebook_commands_start_the_service_and_jupyterlab_on_the_notebooks(
    checkout: Path,
) -> None:
    port, lab_port = free_port(), free_port()
    log = checkout.parent / "notebook.log"
    home = checkout.parent / "jupyter"
    service = f"{snippet('notebook-service').text.strip()} --port {port}"
    lab = (
        f"{snippet('notebook-lab').text.strip()} --no-browser --port={lab_port} "
        "--IdentityProvider.token=" + (" --allow-root" if os.getuid() == 0 else "")
    )
    jupyter_dirs = {
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    data = str(checkout.parent / "data")
    with started(service, checkout, log, QUART_APP_DATA_DIR=data) as process:
        wait_until(f"http://127.0.0.1:{port}/health", process, log)
        with started(lab, checkout, log, **jupyter_dirs) as jupyter:
            wait_until(f"http://127.0.0.1:{lab_port}/api/status", jupyter, log)
            base = f"http://127.0.0.1:{lab_port}"
            listed = httpx.get(f"{base}/api/contents/").json()["content"]
            assert {"quickstart.ipynb", "live_progress.ipynb"} <= {item["name"] for item in listed}
            kernels = httpx.get(f"{base}/api/kernelspecs").json()["kernelspecs"]
            assert "python3" in kernels
    # the notebooks open with the same two commands
    for name in ("quickstart", "live_progress"):
        first = "".join(
            json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["cells"][0]["source"]
        )
        for command in ("notebook-service", "notebook-lab"):
            assert snippet(command).text.strip() in first, (name, command)
