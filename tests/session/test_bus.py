"""The shared bus in-process and on the real Redis: pub/sub delivery and one turn at a time per session."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from assistant.session.bus import MemoryBus, RedisBus

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "redis"])
async def bus(request):
    b = MemoryBus() if request.param == "memory" else RedisBus(request.getfixturevalue("redis_url"), prefix=f"t{uuid.uuid4().hex[:6]}")
    yield b
    await b.close()


async def test_subscribers_receive_published_messages(bus):
    got: list[dict] = []
    ready = asyncio.Event()

    async def listen():
        agen = bus.subscribe("escalations")
        task = asyncio.ensure_future(agen.__anext__())
        await asyncio.sleep(0.2)  # let the subscription register
        ready.set()
        got.append(await task)
        got.append(await agen.__anext__())
        await agen.aclose()

    listener = asyncio.create_task(listen())
    await ready.wait()
    await bus.publish("escalations", {"n": 1, "text": "胸痛"})
    await bus.publish("other", {"n": 99})
    await bus.publish("escalations", {"n": 2})
    await asyncio.wait_for(listener, 5)
    assert got == [{"n": 1, "text": "胸痛"}, {"n": 2}]


async def test_lock_serialises_turns_of_one_session(bus):
    order: list[str] = []

    async def turn(name: str):
        async with bus.lock("s-1"):
            order.append(f"{name}-start")
            await asyncio.sleep(0.05)
            order.append(f"{name}-end")

    await asyncio.gather(turn("a"), turn("b"), turn("c"))
    for i in range(0, 6, 2):
        assert order[i].endswith("-start") and order[i + 1].endswith("-end")
        assert order[i].split("-")[0] == order[i + 1].split("-")[0]


async def test_different_sessions_do_not_wait_for_each_other(bus):
    async def hold(sid: str):
        async with bus.lock(sid):
            await asyncio.sleep(0.2)

    t0 = asyncio.get_running_loop().time()
    await asyncio.gather(*(hold(f"s-{i}") for i in range(5)))
    assert asyncio.get_running_loop().time() - t0 < 0.9
