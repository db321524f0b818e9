"""Deduplication of WeChat's retries and each user's last-message time (for the 48-hour window).

An entry per message key goes ``pending`` → ``replied`` (with the passive reply text), ``deferred``
(the answer goes out as a customer-service message) or ``none`` (nothing to say). In memory by default;
in Redis when ``PA_REDIS_URL`` is set, so several server processes see the same retries.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

PENDING, REPLIED, DEFERRED, NONE = "pending", "replied", "deferred", "none"
ENTRY_TTL_S = 15 * 60  # WeChat retries within ~15 s; keep keys well beyond that
USER_TTL_S = 49 * 3600


@dataclass
class Entry:
    status: str
    text: str | None = None


class Inbox:
    async def claim(self, key: str) -> bool:
        """True for the first delivery of ``key``; False for a retry (already claimed)."""
        raise NotImplementedError

    async def get(self, key: str) -> Entry | None:
        raise NotImplementedError

    async def finish(self, key: str, status: str, text: str | None = None) -> None:
        raise NotImplementedError

    async def wait(self, key: str, timeout: float) -> Entry | None:
        """The entry once it leaves ``pending``, or whatever it is after ``timeout`` seconds."""
        raise NotImplementedError

    async def touch_user(self, openid: str, at: float) -> None:
        raise NotImplementedError

    async def last_seen(self, openid: str) -> float | None:
        raise NotImplementedError

    async def close(self) -> None:
        return None


class MemoryInbox(Inbox):
    def __init__(self, now: Any = time.monotonic) -> None:
        self._now = now
        self._entries: dict[str, tuple[Entry, asyncio.Event, float]] = {}
        self._users: dict[str, float] = {}

    def _prune(self) -> None:
        if len(self._entries) < 2048:
            return
        cutoff = self._now() - ENTRY_TTL_S
        for k in [k for k, (_, _, t) in self._entries.items() if t < cutoff]:
            del self._entries[k]

    async def claim(self, key: str) -> bool:
        self._prune()
        if key in self._entries:
            return False
        self._entries[key] = (Entry(PENDING), asyncio.Event(), self._now())
        return True

    async def get(self, key: str) -> Entry | None:
        item = self._entries.get(key)
        return item[0] if item else None

    async def finish(self, key: str, status: str, text: str | None = None) -> None:
        item = self._entries.get(key)
        if item is None:
            self._entries[key] = (Entry(status, text), asyncio.Event(), self._now())
            self._entries[key][1].set()
            return
        item[0].status, item[0].text = status, text
        item[1].set()

    async def wait(self, key: str, timeout: float) -> Entry | None:
        item = self._entries.get(key)
        if item is None:
            return None
        if item[0].status == PENDING:
            try:
                await asyncio.wait_for(item[1].wait(), timeout=max(0.0, timeout))
            except TimeoutError:
                pass
        return item[0]

    async def touch_user(self, openid: str, at: float) -> None:
        self._users[openid] = max(at, self._users.get(openid, 0.0))

    async def last_seen(self, openid: str) -> float | None:
        return self._users.get(openid)


class RedisInbox(Inbox):
    def __init__(self, url: str, prefix: str = "pa:wechat") -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, decode_responses=True)
        self._prefix = prefix

    def _k(self, key: str) -> str:
        return f"{self._prefix}:inbox:{key}"

    async def claim(self, key: str) -> bool:
        return bool(await self._redis.set(self._k(key), json.dumps({"status": PENDING}), nx=True, ex=ENTRY_TTL_S))

    async def get(self, key: str) -> Entry | None:
        raw = await self._redis.get(self._k(key))
        if not raw:
            return None
        data = json.loads(raw)
        return Entry(data.get("status", PENDING), data.get("text"))

    async def finish(self, key: str, status: str, text: str | None = None) -> None:
        await self._redis.set(self._k(key), json.dumps({"status": status, "text": text}, ensure_ascii=False), ex=ENTRY_TTL_S)

    async def wait(self, key: str, timeout: float) -> Entry | None:
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            entry = await self.get(key)
            if entry is None or entry.status != PENDING or time.monotonic() >= deadline:
                return entry
            await asyncio.sleep(0.05)

    async def touch_user(self, openid: str, at: float) -> None:
        k = f"{self._prefix}:seen:{openid}"
        prev = await self._redis.get(k)
        if prev is None or float(prev) < at:
            await self._redis.set(k, str(at), ex=USER_TTL_S)

    async def last_seen(self, openid: str) -> float | None:
        raw = await self._redis.get(f"{self._prefix}:seen:{openid}")
        return float(raw) if raw else None

    async def close(self) -> None:
        await self._redis.aclose()


def make_inbox(redis_url: str | None) -> Inbox:
    return RedisInbox(redis_url) if redis_url else MemoryInbox()
