"""STOMP clients for the tests: stomp.py's WebSocket connection, and a raw one for bad frames."""

from __future__ import annotations

import json
import queue
import socket
import time
from collections import deque
from typing import Any

import stomp
import websocket

from quart_app.protocol.stomp import SERVER_COMMANDS, Frame, FrameParser


class Collector(stomp.ConnectionListener):  # type: ignore[misc]
    """Records what a stomp.py connection receives."""

    def __init__(self) -> None:
        self.frames: queue.Queue[tuple[str, dict[str, str], str]] = queue.Queue()
        self.messages: list[tuple[dict[str, str], dict[str, Any]]] = []

    def on_message(self, frame: Any) -> None:
        self.messages.append((frame.headers, json.loads(frame.body)))
        self.frames.put(("MESSAGE", frame.headers, frame.body))

    def on_receipt(self, frame: Any) -> None:
        self.frames.put(("RECEIPT", frame.headers, frame.body))

    def on_error(self, frame: Any) -> None:
        self.frames.put(("ERROR", frame.headers, frame.body))

    def wait_for(self, command: str, timeout: float = 10) -> tuple[dict[str, str], str]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {command} frame within {timeout} s")
            try:
                got, headers, body = self.frames.get(timeout=remaining)
            except queue.Empty:
                continue
            if got == command:
                return headers, body

    def events_until_terminal(
        self, request_id: str, timeout: float = 30, *, topic: str | None = None
    ) -> list[dict[str, Any]]:
        """The request's events once a terminal one (of ``topic``, if given) has arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = [body for _, body in self.messages if body["requestId"] == request_id]
            last = events[-1] if events else None
            if last and last["status"] != "progress" and topic in (None, last["topic"]):
                return events
            time.sleep(0.02)
        raise AssertionError(f"no terminal event for {request_id}")


def stomp_py(
    port: int, heartbeats: tuple[int, int] = (0, 0)
) -> tuple[stomp.WSStompConnection, Collector]:
    connection = stomp.WSStompConnection(
        [("127.0.0.1", port)],
        ws_path="/ws",
        header={"Sec-WebSocket-Protocol": "v12.stomp"},
        heartbeats=heartbeats,
    )
    collector = Collector()
    connection.set_listener("collector", collector)
    connection.connect(wait=True)
    return connection, collector


class RawStomp:
    """A bare WebSocket that sends exactly the bytes a test gives it."""

    def __init__(
        self, port: int, *, subprotocols: list[str] | None = None, receive_buffer: int | None = None
    ) -> None:
        options = [(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)] if receive_buffer else []
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}/ws",
            subprotocols=subprotocols if subprotocols is not None else ["v12.stomp"],
            sockopt=options,
            timeout=10,
        )
        self.parser = FrameParser(commands=SERVER_COMMANDS)
        self.heartbeats = 0
        # One WebSocket message may carry several frames: those not asked for yet wait here.
        self.pending: deque[Frame] = deque()

    def send(self, data: str | bytes) -> None:
        if isinstance(data, bytes):
            self.ws.send_binary(data)
        else:
            self.ws.send(data)

    def connect(self, heart_beat: str = "0,0") -> Frame:
        self.send(f"CONNECT\naccept-version:1.2\nhost:localhost\nheart-beat:{heart_beat}\n\n\0")
        frame = self.next_frame()
        assert frame.command == "CONNECTED", frame
        return frame

    def next_frame(self, timeout: float = 10) -> Frame:
        frames = self.frames(timeout=timeout, limit=1)
        if not frames:
            raise AssertionError("the connection closed before a frame arrived")
        return frames[0]

    def frames(self, *, timeout: float = 10, limit: int | None = None) -> list[Frame]:
        """Frames until ``limit`` arrive or the server closes the connection."""
        found: list[Frame] = []
        while self.pending and (limit is None or len(found) < limit):
            found.append(self.pending.popleft())
        self.ws.settimeout(timeout)
        while limit is None or len(found) < limit:
            try:
                opcode, data = self.ws.recv_data()
            except (websocket.WebSocketConnectionClosedException, ConnectionError):
                break
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
            if data.strip(b"\r\n") == b"":
                self.heartbeats += 1
            found.extend(self.parser.feed(data))
        if limit is not None and len(found) > limit:
            self.pending.extend(found[limit:])
            del found[limit:]
        return found

    @property
    def closed(self) -> bool:
        try:
            self.ws.settimeout(5)
            opcode, _ = self.ws.recv_data()
            return opcode == websocket.ABNF.OPCODE_CLOSE
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return True

    def close(self) -> None:
        try:
            self.ws.close(timeout=1)
        finally:
            self.ws.shutdown()  # close() skips the socket once the server has closed it
