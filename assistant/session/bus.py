"""The shared bus: pub/sub for observers (staff console, transcripts) and per-session locks.

In-process by default; Redis when ``PA_REDIS_URL`` is set, so several server processes share
sessions (one turn at a time per conversation) and live updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

TOPIC_ESCALATIONS = "escalations"


def session_topic(session_id: str) -> str:
    return f"session:{session_id}"


class Bus:
    async def publish(self, topic: str, message: dict[str, Any]) -> None:
        raise NotImplementedError

    def subscribe(self, topic: str) -> AsyncIterator[dict[str, Any]]:
        raise NotImplementedError

    def lock(self, session_id: str) -> contextlib.AbstractAsyncContextManager[None]:
        raise NotImplementedError

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class MemoryBus(Bus):
    def __init__(self) -> None:
        self._subs: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._locks: dict[str, asyncio.Lock] = {}

    async def publish(self, topic: str, message: dict[str, Any]) -> None:
        for q in list(self._subs.get(topic, ())):
            q.put_nowait(message)

    async def subscribe(self, topic: str) -> AsyncIterator[dict[str, Any]]:  # type: ignore[override]
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._subs[topic].add(q)
        try:
            while True:
                yield await q.get()
        finally:
            self._subs[topic].discard(q)

    @contextlib.asynccontextmanager
    async def lock(self, session_id: str) -> AsyncIterator[None]:  # type: ignore[override]
        lk = self._locks.get(session_id)
        if lk is None:
            lk = self._locks[session_id] = asyncio.Lock()
        async with lk:
            yield
        if not lk.locked() and len(self._locks) > 10000:
            self._locks.pop(session_id, None)


class RedisBus(Bus):
    def __init__(self, url: str, prefix: str = "pa") -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, decode_responses=True)
        self._prefix = prefix

    def _k(self, name: str) -> str:
        return f"{self._prefix}:{name}"

    async def publish(self, topic: str, message: dict[str, Any]) -> None:
        await self._redis.publish(self._k(topic), json.dumps(message, ensure_ascii=False, default=str))

    async def subscribe(self, topic: str) -> AsyncIterator[dict[str, Any]]:  # type: ignore[override]
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self._k(topic))
        try:
            async for item in pubsub.listen():
                if item.get("type") == "message":
                    yield json.loads(item["data"])
        finally:
            await pubsub.unsubscribe(self._k(topic))
            await pubsub.aclose()

    @contextlib.asynccontextmanager
    async def lock(self, session_id: str) -> AsyncIterator[None]:  # type: ignore[override]
        lk = self._redis.lock(self._k(f"lock:{session_id}"), timeout=60, blocking_timeout=30)
        acquired = await lk.acquire()
        if not acquired:
            raise TimeoutError("conversation is busy")
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await lk.release()

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:
            return False

    async def close(self) -> None:
        await self._redis.aclose()


def make_bus(redis_url: str | None) -> Bus:
    return RedisBus(redis_url) if redis_url else MemoryBus()
