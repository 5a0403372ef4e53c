"""quart_app as the fan-out benchmark runs it: the real app, plus a publisher to trigger.

    python bench/peers/quart_app_fanout.py --port 8090

``POST /bench/publish?count=N`` publishes N progress events of one request on
``query-execution`` as fast as the event loop allows (yielding after each, as a
real job does), through the same ``RequestEvents`` → ``EventBus`` path as jobs;
``&rate=R`` paces them at R events per second instead, each carrying its send
time (``metadata.sentAt``, epoch seconds) for latency measurements.
Subscribers use the real ``/ws`` and ``/sse/topic/query-execution``. Settings
come from the environment as for ``python -m quart_app``.

With ``BENCH_TRACEMALLOC=1`` it traces allocations from the start, and ``POST
/bench/snapshot?path=P`` writes a ``tracemalloc`` snapshot to the file P
(``bench/memory.py`` uses it). With ``BENCH_UVLOOP=1`` it runs on uvloop's event loop
instead of asyncio's.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time
import tracemalloc
import uuid

from hypercorn.asyncio import serve
from hypercorn.config import Config as HypercornConfig
from quart import request

from quart_app.app import create_app
from quart_app.bus import RequestEvents
from quart_app.config import Config


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if os.environ.get("BENCH_TRACEMALLOC") == "1":
        tracemalloc.start(1)
    app = create_app(Config.from_env())
    tasks: set[asyncio.Task[None]] = set()

    @app.post("/bench/publish")
    async def publish() -> dict[str, int]:
        count = int(request.args["count"])
        rate = float(request.args.get("rate", 0))
        events = RequestEvents(app.extensions["quart_app"].bus, f"bench-{uuid.uuid4().hex[:12]}")

        async def run() -> None:
            loop = asyncio.get_running_loop()
            started = loop.time()
            for index in range(count):
                timing = {"sentAt": time.time()} if rate else {}
                events.progress(  # as a job publishes progress: without waiting for it
                    "query-execution",
                    "fetching",
                    f"Fetched {index} rows",
                    50,
                    rowsFetched=index,
                    **timing,
                )
                await asyncio.sleep(
                    max(0.0, started + (index + 1) / rate - loop.time()) if rate else 0
                )

        task = asyncio.get_running_loop().create_task(run())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return {"count": count}

    @app.post("/bench/snapshot")
    async def snapshot() -> dict[str, int]:
        gc.collect()
        taken = tracemalloc.take_snapshot()
        taken.dump(request.args["path"])
        return {"traces": len(taken.traces)}

    config = HypercornConfig()
    config.bind = [f"127.0.0.1:{args.port}"]
    config.accesslog = None
    if os.environ.get("BENCH_UVLOOP") == "1":
        import uvloop

        uvloop.run(serve(app, config))
    else:
        asyncio.run(serve(app, config))


if __name__ == "__main__":
    main()
