"""The access token shared by every service process through real Redis: one fetch for the whole
deployment, one refresh when WeChat rejects it, and a stale rejection never deletes a newer token.
Against the local fake WeChat server, which retires a token as soon as a newer one is fetched
(grace 0 here; WeChat itself allows about five minutes)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from integrations.wechat.client import WeChatClient
from integrations.wechat.tokens import LocalTokenCache, RedisTokenCache

from .fake_wechat import fake_wechat_server

pytestmark = pytest.mark.integration


def _process(fake, cache) -> WeChatClient:
    """One service process's client (its own HTTP pool and cache object)."""
    return WeChatClient(fake.appid, fake.secret, fake.base_url, backoff_s=0.01, token_cache=cache)


async def test_processes_sharing_redis_fetch_one_token_and_all_use_it(redis_url):
    prefix = f"pa-test-{uuid.uuid4().hex[:8]}"
    with fake_wechat_server() as fake:
        fake.previous_token_grace_s = 0.0
        clients = [_process(fake, RedisTokenCache(redis_url, fake.appid, prefix=prefix)) for _ in range(3)]
        try:
            await asyncio.gather(*(c.send_text("o-user", f"第{i}条") for i, c in enumerate(clients * 3)))
        finally:
            for c in clients:
                await c.close()
        assert fake.token_requests == 1
        assert sorted(m["text"]["content"] for m in fake.custom_messages) == sorted(f"第{i}条" for i in range(9))


async def test_processes_with_their_own_tokens_knock_each_other_out():
    """Why the shared cache exists: without it the second process's fetch retires the first one's token."""
    with fake_wechat_server() as fake:
        fake.previous_token_grace_s = 0.0
        a, b = _process(fake, LocalTokenCache()), _process(fake, LocalTokenCache())
        try:
            await a.send_text("o-user", "一")
            await b.send_text("o-user", "二")
            await a.send_text("o-user", "三")  # a's token was retired by b's fetch: 40001, refresh, repeat
        finally:
            await a.close()
            await b.close()
        assert fake.token_requests == 3
        assert fake.calls.count("/cgi-bin/message/custom/send") == 4  # one call answered 40001


async def test_a_rejected_token_is_refreshed_once_for_every_process(redis_url):
    prefix = f"pa-test-{uuid.uuid4().hex[:8]}"
    with fake_wechat_server() as fake:
        fake.previous_token_grace_s = 0.0
        a = _process(fake, RedisTokenCache(redis_url, fake.appid, prefix=prefix))
        b = _process(fake, RedisTokenCache(redis_url, fake.appid, prefix=prefix))
        try:
            await a.send_text("o-user", "一")
            fake.invalidate_tokens("expired")  # 42001 for everyone
            await asyncio.gather(a.send_text("o-user", "二"), b.send_text("o-user", "三"))
            await b.send_text("o-user", "四")
        finally:
            await a.close()
            await b.close()
        assert fake.token_requests == 2
        assert sorted(m["text"]["content"] for m in fake.custom_messages) == sorted(["一", "二", "三", "四"])


async def test_discarding_a_stale_token_keeps_the_newer_one(redis_url):
    prefix = f"pa-test-{uuid.uuid4().hex[:8]}"
    cache = RedisTokenCache(redis_url, "wxapp", prefix=prefix)
    other = RedisTokenCache(redis_url, "wxapp", prefix=prefix)
    try:
        await cache.put("OLD", 60)
        await other.put("NEW", 60)  # another process refreshed meanwhile
        await cache.discard("OLD")  # the first process's late 40001 for OLD
        assert await other.get() == "NEW"
        await cache.discard("NEW")
        assert await other.get() is None
        await cache.put("SHORT", 0.05)
        await asyncio.sleep(0.15)
        assert await cache.get() is None  # expires with the token (less the refresh margin)
    finally:
        await cache.close()
        await other.close()


async def test_the_app_uses_the_redis_cache_when_redis_is_configured(redis_url, tmp_path):
    from fastapi import FastAPI

    from assistant.api.wechat import get_adapter
    from assistant.config import Settings

    app = FastAPI()
    s = Settings(data_dir=tmp_path, environment="test", redis_url=redis_url, wechat_appid="wxapp",
                 wechat_appsecret="secret")
    app.state.services = type("S", (), {"settings": s})()
    app.state.engine = None  # only the adapter's wiring is under test here
    adapter = await get_adapter(app)
    try:
        assert isinstance(adapter.client._tokens, RedisTokenCache)
    finally:
        await adapter.close()
