"""The event and bounded queue every stream holds (quart_app/wakeup.py)."""

from __future__ import annotations

import asyncio

import pytest

from quart_app.wakeup import BoundedInbox, Wakeup


async def test_set_wakes_every_waiter_and_stays_set_until_cleared() -> None:
    wakeup = Wakeup()
    waiters = [asyncio.create_task(wakeup.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(waiter.done() for waiter in waiters)
    wakeup.set()
    assert await asyncio.wait_for(asyncio.gather(*waiters), 1) == [True, True, True]
    assert wakeup.is_set()
    assert await asyncio.wait_for(wakeup.wait(), 1) is True  # set: no waiting
    wakeup.clear()
    assert not wakeup.is_set()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(wakeup.wait(), 0.05)


async def test_a_cancelled_waiter_leaves_the_others_waiting_and_woken() -> None:
    wakeup = Wakeup()
    cancelled = asyncio.create_task(wakeup.wait())
    other = asyncio.create_task(wakeup.wait())
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert not other.done()
    wakeup.set()
    assert await asyncio.wait_for(other, 1) is True


async def test_the_inbox_keeps_order_and_makes_a_full_put_wait() -> None:
    inbox: BoundedInbox[int] = BoundedInbox(2)
    await inbox.put(1)
    await inbox.put(2)
    third = asyncio.create_task(inbox.put(3))
    await asyncio.sleep(0.01)
    assert not third.done() and len(inbox) == 2  # full: the producer waits
    assert await inbox.get() == 1
    await asyncio.wait_for(third, 1)
    assert [await inbox.get(), await inbox.get()] == [2, 3]


async def test_a_get_waits_for_an_item_and_a_cancelled_get_takes_none() -> None:
    inbox: BoundedInbox[str] = BoundedInbox(8)
    cancelled = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    waiting = asyncio.create_task(inbox.get())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    await inbox.put("message")
    assert await asyncio.wait_for(waiting, 1) == "message"
    assert len(inbox) == 0
