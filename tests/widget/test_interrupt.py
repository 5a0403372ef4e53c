"""Interrupting the kernel during a call cancels the request on the server."""

from __future__ import annotations

import os
import queue
from typing import Any

import asyncpg
import pytest
from jupyter_client import AsyncKernelClient
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
        for _ in range(600):  # the kernel imports the client (and pandas) first
            if await active_sleeps(db, SQL) == 1:
                break
            ended = await _reply_to(kernel, message_id)
            assert ended is None, (
                f"the call ended before its query ran: {ended}\n{server.log()[-3000:]}"
            )
        assert await active_sleeps(db, SQL) == 1, f"no query after 60 s\n{server.log()[-3000:]}"
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


async def _reply_to(kernel: AsyncKernelClient, message_id: str) -> dict[str, Any] | None:
    """The execution's reply if it came within 0.1 s, with what the cell printed."""
    try:
        reply = await kernel.get_shell_msg(timeout=0.1)
    except queue.Empty:
        return None
    if reply["parent_header"]["msg_id"] != message_id:
        return None  # a kernel_info reply
    output = []
    while True:
        try:
            message = await kernel.get_iopub_msg(timeout=0.1)
        except queue.Empty:
            break
        output.append((message["msg_type"], message["content"]))
    return {"reply": reply["content"], "output": output}
