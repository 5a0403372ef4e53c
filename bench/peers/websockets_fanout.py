"""The floor: a bare ``websockets`` server that ``broadcast()``s each event to every client.

    python bench/peers/websockets_fanout.py --port 8092

Any WebSocket connection subscribes; ``GET /publish?count=N`` (plain HTTP)
publishes N events of the same JSON shape as quart_app's, yielding after each;
``&rate=R`` paces them at R per second.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from payload import event_json
from websockets.asyncio.server import ServerConnection, broadcast, serve

clients: set[ServerConnection] = set()
tasks: set[asyncio.Task[None]] = set()


async def handler(connection: ServerConnection) -> None:
    clients.add(connection)
    try:
        await connection.wait_closed()
    finally:
        clients.discard(connection)


async def publish(count: int, rate: float) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    for index in range(count):
        broadcast(clients, event_json(index, time.time() if rate else None))
        await asyncio.sleep(max(0.0, started + (index + 1) / rate - loop.time()) if rate else 0)


def process_request(connection: ServerConnection, request: Any) -> Any:
    url = urlsplit(request.path)
    if url.path != "/publish":
        return None
    query = parse_qs(url.query)
    rate = float(query.get("rate", ["0"])[0])
    task = asyncio.get_running_loop().create_task(publish(int(query["count"][0]), rate))
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return connection.respond(HTTPStatus.OK, "publishing\n")


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, process_request=process_request) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
