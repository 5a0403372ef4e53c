"""First and warm start of ``python -m quart_app`` on its embedded defaults.

    python bench/startup.py [--runs 5] [--port 18431] [--python .venv/bin/python]

Each run starts the service on a new data folder in /tmp (initdb, demo data, reader role,
history database) and times it from ``Popen`` to the first ``GET /health`` answering 200;
stops it with SIGTERM; starts it again on the same folder (a warm start) and times that
too; stops it and removes the folder. Prints each run, then the median and range.

The modules' bytecode is written first, as ``pip install`` writes it, whatever
PYTHONDONTWRITEBYTECODE says: else every start would compile the package anew.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 120  # seconds


@dataclass(frozen=True)
class Start:
    seconds: float  # Popen to /health answering 200
    demo_seconds: float | None  # as the service prints it, on a first start


def healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def environment(**settings: str) -> dict[str, str]:
    """This environment without what would change the service's defaults."""
    env = {**os.environ, **settings}
    for name in ("DATABASE_URL", "QUART_APP_HISTORY_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        env.pop(name, None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def start(
    python: str, port: int, data_dir: Path, log: Path
) -> tuple[subprocess.Popen[bytes], Start]:
    env = environment(QUART_APP_DATA_DIR=str(data_dir))
    with log.open("wb") as out:
        began = time.monotonic()
        process = subprocess.Popen(
            [python, "-m", "quart_app", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    while not healthy(port):
        if process.poll() is not None:
            raise RuntimeError(f"the service ended with {process.returncode}:\n{log.read_text()}")
        if time.monotonic() - began > READY_TIMEOUT:
            process.kill()
            raise RuntimeError(f"not ready in {READY_TIMEOUT} s:\n{log.read_text()}")
        time.sleep(0.01)
    seconds = time.monotonic() - began
    return process, Start(seconds, demo_seconds(log.read_text()))


def demo_seconds(log: str) -> float | None:
    for line in log.splitlines():
        if line.startswith("Demo data set ready in "):
            return float(line.split()[5])
    return None


def stop(process: subprocess.Popen[bytes], data_dir: Path) -> float:
    began = time.monotonic()
    process.send_signal(signal.SIGTERM)
    if process.wait(timeout=30) != 0:
        raise RuntimeError(f"the service stopped with {process.returncode}")
    if (data_dir / "pgdata" / "postmaster.pid").exists():
        raise RuntimeError(f"the embedded PostgreSQL in {data_dir} still runs")
    return time.monotonic() - began


def one_run(python: str, port: int) -> tuple[Start, Start, float]:
    data_dir = Path(tempfile.mkdtemp(prefix="quart_app_bench_startup_"))
    process = None
    try:
        process, first = start(python, port, data_dir, data_dir / "first.log")
        stop(process, data_dir)
        process, warm = start(python, port, data_dir, data_dir / "warm.log")
        stopped = stop(process, data_dir)
        return first, warm, stopped
    finally:
        if process is not None and process.poll() is None:
            process.kill()  # a failed stop: the service's PostgreSQL may outlive it
            process.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


def summary(name: str, values: list[float]) -> str:
    return (
        f"{name}: median {statistics.median(values):.2f} s, "
        f"range {min(values):.2f} to {max(values):.2f} s, {len(values)} runs"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=18431)
    parser.add_argument("--python", default=str(ROOT / ".venv" / "bin" / "python"))
    args = parser.parse_args()
    subprocess.run(
        [args.python, "-m", "compileall", "-q", "quart_app"],
        cwd=ROOT,
        env=environment(),
        check=True,
    )
    firsts: list[Start] = []
    warms: list[Start] = []
    stops: list[float] = []
    for run in range(1, args.runs + 1):
        first, warm, stopped = one_run(args.python, args.port)
        firsts.append(first)
        warms.append(warm)
        stops.append(stopped)
        print(
            f"run {run}: first start {first.seconds:.2f} s (demo data {first.demo_seconds} s), "
            f"warm start {warm.seconds:.2f} s, stop {stopped:.2f} s",
            flush=True,
        )
    print(summary("first start", [one.seconds for one in firsts]))
    demo = [one.demo_seconds for one in firsts if one.demo_seconds is not None]
    if demo:
        print(summary("  of which demo data", demo))
    print(summary("warm start", [one.seconds for one in warms]))
    print(summary("stop", stops))
    return 0


if __name__ == "__main__":
    sys.exit(main())
