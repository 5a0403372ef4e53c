"""Interrupting the kernel during a call cancels the request on the server."""

from __future__ import annotations

import asyncio
import os

import asyncpg
import pytest
from jupyter_client.manager import start_new_async_kernel

from tests.servers import ServerProcess
from tests.widget.notebooks import active_sleeps, until_no_sleeps

SQL = "SELECT pg_sleep(61)"


@pytest.mark.parametrize("mode", ["browser", "kernel"])
async def test_interrupt_cancels_the_query(
    server: ServerProcess, db: asyncpg.Connection, mode: str
) -> None:
    env = {**os.environ, "QUART_APP_URL": server.url, "QUART_APP_WIDGET_MODE": mode}
    manager, kernel = await start_new_async_kernel(kernel_name="python3", env=env)
    try:
        message_id = kernel.execute(f"from widget import Client\nClient().run({SQL!r})")
        for _ in range(300):  # the kernel imports the client (and pandas) first
            if await active_sleeps(db, SQL) == 1:
                break
            await asyncio.sleep(0.1)
        assert await active_sleeps(db, SQL) == 1
        await manager.interrupt_kernel()
        reply = await kernel.get_shell_msg(timeout=20)
        while reply["parent_header"]["msg_id"] != message_id:  # a late kernel_info reply
            assert reply["msg_type"] == "kernel_info_reply", reply
            reply = await kernel.get_shell_msg(timeout=20)
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        await until_no_sleeps(db, SQL)
    finally:
        kernel.stop_channels()
        await manager.shutdown_kernel(now=True)
