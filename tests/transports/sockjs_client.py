"""A small SockJS client for the tests: it receives over xhr_streaming, xhr polling or the
SockJS WebSocket, sends over xhr_send (or that WebSocket), and reads STOMP frames from the
messages, the way sockjs-client carries @stomp/stompjs."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections import deque
from typing import Any
from urllib.parse import urlencode

import httpx
import websocket

from quart_app.protocol.stomp import SERVER_COMMANDS, Frame, FrameParser

PRELUDE = "h" * 2048


class SockJS:
    """One SockJS session. ``frames`` holds its SockJS frames as they come: ``o``, ``h``,
    ``a[...]``, ``c[...]``, or ``status N`` when a receiving request was refused."""

    def __init__(
        self,
        url: str,
        transport: str = "xhr_streaming",
        *,
        session: str | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        local_address: str | None = None,
    ) -> None:
        self.session = session or uuid.uuid4().hex
        self.path = f"{url}/ws/{uuid.uuid4().int % 1000:03d}/{self.session}"
        self.transport, self.params = transport, params or {}
        carrier = httpx.AsyncHTTPTransport(local_address=local_address)
        self.http = httpx.AsyncClient(timeout=30, headers=headers, transport=carrier)
        self.frames: asyncio.Queue[str] = asyncio.Queue()
        self.parser = FrameParser(commands=SERVER_COMMANDS)
        self.pending: deque[Frame] = deque()
        self.closed: list[Any] | None = None  # [code, reason] once a close frame was read
        self.ws: websocket.WebSocket | None = None
        self.task: asyncio.Task[None] | None = None

    async def open(self, *, expect: str = "o") -> SockJS:
        if self.transport == "websocket":
            query = f"?{urlencode(self.params)}" if self.params else ""
            url = self.path.replace("http", "ws", 1) + "/websocket" + query
            self.ws = await asyncio.to_thread(websocket.create_connection, url, timeout=30)
            loop = asyncio.get_running_loop()
            threading.Thread(target=self._read_websocket, args=(loop,), daemon=True).start()
        else:
            self.task = asyncio.create_task(self._receive())
        if expect:
            assert (first := await self.frame()) == expect, first
        return self

    def _read_websocket(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self.ws is not None
        while True:
            try:
                data = self.ws.recv()
            except Exception:
                return
            loop.call_soon_threadsafe(self.frames.put_nowait, str(data))
            if not data or str(data).startswith("c"):
                return

    async def _receive(self) -> None:
        """Receiving requests one after another, as sockjs-client makes them, until the close."""
        url = f"{self.path}/{self.transport}"
        closed = False
        while not closed:
            async with self.http.stream("POST", url, params=self.params) as response:
                if response.status_code != 200:
                    self.frames.put_nowait(f"status {response.status_code}")
                    return
                async for line in response.aiter_lines():
                    if line != PRELUDE:
                        self.frames.put_nowait(line)
                    closed = line.startswith("c")

    async def send(self, *messages: str, **request: Any) -> httpx.Response:
        if self.ws is not None:
            await asyncio.to_thread(self.ws.send, json.dumps(messages))
            return httpx.Response(204)
        request.setdefault("params", self.params)
        return await self.http.post(f"{self.path}/xhr_send", json=list(messages), **request)

    async def frame(self, timeout: float = 10) -> str:
        try:
            return await asyncio.wait_for(self.frames.get(), timeout)
        except TimeoutError:
            if self.task is not None and self.task.done() and not self.task.cancelled():
                self.task.result()  # what ended the receiving requests, if it failed
            raise

    async def stomp(self, timeout: float = 10) -> Frame | None:
        """The next STOMP frame; None once the session's close frame came instead."""
        while not self.pending:
            if self.closed is not None:
                return None
            frame = await self.frame(timeout)
            if frame.startswith("c"):
                self.closed = json.loads(frame[1:])
            elif frame.startswith("a"):
                for message in json.loads(frame[1:]):  # a STOMP heart-beat ("\n") is no frame
                    self.pending.extend(self.parser.feed(message.encode()))
        return self.pending.popleft()

    async def connect(self, **headers: str) -> Frame:
        head = "".join(f"{name}:{value}\n" for name, value in headers.items())
        await self.send(f"CONNECT\naccept-version:1.2\nhost:localhost\n{head}\n\0")
        frame = await self.stomp()
        assert frame is not None and frame.command == "CONNECTED", frame
        return frame

    async def aclose(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        if self.ws is not None:
            await asyncio.to_thread(self.ws.close, timeout=1)
        await self.http.aclose()
