"""One LISTEN connection to the history database, shared by the channels registered on it.

The history listens for new events on it, the job store for cancel requests.
When the connection drops it is made again, with a growing delay, every channel
is listened to again, and those that asked to be told (the history, to read what
it missed meanwhile) are told.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from .availability import FAILURES

log = logging.getLogger(__name__)

OnPayload = Callable[[str], object]


class Listener:
    def __init__(self, url: str, *, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self._channels: dict[str, OnPayload] = {}
        self._on_reconnect: list[Callable[[], Awaitable[None]]] = []
        self._connection: asyncpg.Connection | None = None
        self._reconnecting: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        await self._connect()

    async def add(
        self,
        channel: str,
        on_payload: OnPayload,
        *,
        on_reconnect: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Call ``on_payload`` with each notification on ``channel``; ``on_reconnect`` once
        the connection is back after it dropped (notifications meanwhile were lost)."""
        self._channels[channel] = on_payload
        if on_reconnect is not None:
            self._on_reconnect.append(on_reconnect)
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.add_listener(channel, _payload_only(on_payload))

    async def close(self) -> None:
        self._closing = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close(timeout=self.timeout)  # then terminated

    async def _connect(self) -> None:
        connection = await asyncpg.connect(
            self.url, timeout=10, server_settings={"application_name": "quart_app listener"}
        )
        for channel, on_payload in self._channels.items():
            await connection.add_listener(channel, _payload_only(on_payload))
        connection.add_termination_listener(self._lost)
        self._connection = connection

    def _lost(self, connection: Any) -> None:
        if self._closing or self._reconnecting is not None:
            return
        log.warning("history listener lost its connection; reconnecting")
        self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.5
        try:
            while not self._closing:
                try:
                    await self._connect()
                except FAILURES as error:
                    log.warning(
                        "history listener: reconnect failed (%s); retrying in %.1f s", error, delay
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10)
                    continue
                log.info("history listener reconnected")
                for on_reconnect in self._on_reconnect:
                    await on_reconnect()
                return
        finally:
            self._reconnecting = None


def _payload_only(on_payload: OnPayload) -> Callable[[Any, int, str, str], None]:
    def listener(connection: Any, pid: int, channel: str, payload: str) -> None:
        on_payload(payload)

    return listener
