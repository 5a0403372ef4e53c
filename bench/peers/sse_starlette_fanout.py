"""Peer for SSE fan-out: sse-starlette on uvicorn, one bounded queue per subscriber.

    python bench/peers/sse_starlette_fanout.py --port 8091

``GET /sse`` subscribes; ``POST /publish?count=N`` publishes N events (the same
JSON shape and size as quart_app's) to every subscriber, yielding after each;
``&rate=R`` paces them at R per second, each with its send time, as quart_app's
bench publisher does.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import AsyncIterator

import uvicorn
from payload import event_json
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

QUEUE_SIZE = 100_000
subscribers: set[asyncio.Queue[dict[str, str]]] = set()
tasks: set[asyncio.Task[None]] = set()


def event(index: int, sent_at: float | None = None) -> dict[str, str]:
    return {"id": str(index + 1), "event": "status", "data": event_json(index, sent_at)}


async def sse(request: Request) -> EventSourceResponse:
    queue: asyncio.Queue[dict[str, str]] = asyncio.Queue(QUEUE_SIZE)
    subscribers.add(queue)

    async def stream() -> AsyncIterator[dict[str, str]]:
        try:
            while True:
                yield await queue.get()
        finally:
            subscribers.discard(queue)

    return EventSourceResponse(stream())


async def publish(request: Request) -> JSONResponse:
    count = int(request.query_params["count"])
    rate = float(request.query_params.get("rate", 0))

    async def run() -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        for index in range(count):
            item = event(index, time.time() if rate else None)
            for queue in list(subscribers):
                queue.put_nowait(item)
            await asyncio.sleep(max(0.0, started + (index + 1) / rate - loop.time()) if rate else 0)

    task = asyncio.get_running_loop().create_task(run())
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return JSONResponse({"count": count})


app = Starlette(routes=[Route("/sse", sse), Route("/publish", publish, methods=["POST"])])

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
