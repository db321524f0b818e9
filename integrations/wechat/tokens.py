"""Where the Official Account's access token lives: in this process, or in Redis for every process.

WeChat keeps one access token per appid: fetching a new one retires the old one (after a grace
period of about five minutes). Several service processes that each fetch their own therefore knock
each other's tokens out and every one of them sees 40001 in turn. With ``PA_REDIS_URL`` set, the
token is kept in Redis and refreshed under a Redis lock, so the deployment fetches one token at a
time and every process uses it; a process that sees a token rejected removes it only if it is still
the one it used (compare-and-delete), so it never throws away a newer token another process fetched.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Protocol


class TokenCache(Protocol):
    async def get(self) -> str | None:
        """The current token if it has more than the refresh margin left, else None."""

    async def put(self, token: str, valid_for_s: float) -> None:
        """Keep ``token`` for ``valid_for_s`` seconds (already shortened by the refresh margin)."""

    async def discard(self, token: str) -> None:
        """WeChat rejected ``token``: forget it, unless a newer one has replaced it meanwhile."""

    def refresh_lock(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Held while fetching a new token, so only one fetch runs (in the process or deployment)."""

    async def close(self) -> None: ...


class LocalTokenCache:
    """The token in this process's memory (one service process, no Redis)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._token: str | None = None
        self._until = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str | None:
        return self._token if self._token and self._monotonic() < self._until else None

    async def put(self, token: str, valid_for_s: float) -> None:
        self._token, self._until = token, self._monotonic() + valid_for_s

    async def discard(self, token: str) -> None:
        if self._token == token:
            self._token, self._until = None, 0.0

    @contextlib.asynccontextmanager
    async def refresh_lock(self) -> AsyncIterator[None]:
        async with self._lock:
            yield

    async def close(self) -> None:
        return None


# Delete the key only while it still holds the token that was rejected.
_DISCARD = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class RedisTokenCache:
    """The token in Redis under ``{prefix}:wechat:token:{appid}``, expiring with the token itself."""

    def __init__(self, url: str, appid: str, prefix: str = "pa", lock_timeout_s: float = 30.0) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, decode_responses=True)
        self._key = f"{prefix}:wechat:token:{appid}"
        self._lock_key = f"{prefix}:wechat:token-refresh:{appid}"
        self._lock_timeout_s = lock_timeout_s
        self._discard = self._redis.register_script(_DISCARD)
        self._local = asyncio.Lock()  # one waiter per process on the Redis lock

    async def get(self) -> str | None:
        value = await self._redis.get(self._key)
        return str(value) if value else None

    async def put(self, token: str, valid_for_s: float) -> None:
        await self._redis.set(self._key, token, px=max(1, int(valid_for_s * 1000)))

    async def discard(self, token: str) -> None:
        await self._discard(keys=[self._key], args=[token])

    @contextlib.asynccontextmanager
    async def refresh_lock(self) -> AsyncIterator[None]:
        async with self._local:
            lock = self._redis.lock(self._lock_key, timeout=self._lock_timeout_s,
                                    blocking_timeout=self._lock_timeout_s)
            if not await lock.acquire():
                raise TimeoutError("another process has been refreshing the WeChat access token for too long")
            try:
                yield
            finally:
                with contextlib.suppress(Exception):  # expired meanwhile: nothing to release
                    await lock.release()

    async def close(self) -> None:
        await self._redis.aclose()


def make_token_cache(redis_url: str | None, appid: str) -> TokenCache:
    return RedisTokenCache(redis_url, appid) if redis_url else LocalTokenCache()
