"""The five-second rule against the local fake WeChat API: an answer not ready within the budget is
sent later as a customer-service message (once), through token refreshes and API timeouts; the 48-hour
window is respected."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from datetime import datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest

from assistant.clock import FixedClock
from integrations.wechat.adapter import WeChatAdapter
from integrations.wechat.client import WeChatClient
from integrations.wechat.inbox import MemoryInbox
from integrations.wechat.messages import parse_xml

from .conftest import signed_query, text_xml, wechat_server
from .fake_wechat import fake_wechat_server
from .helpers import stored_turns

pytestmark = pytest.mark.integration
URL = "/integrations/wechat"


def _openid() -> str:
    return "o" + secrets.token_hex(12)


def _slow_settings(wechat_settings, fake, **extra):
    # Budget 0: the engine can never answer in time, so every answer takes the customer-service path.
    return wechat_settings.model_copy(update={
        "wechat_appid": fake.appid, "wechat_appsecret": fake.secret, "wechat_api_base": fake.base_url,
        "wechat_reply_budget_s": 0.0, **extra,
    })


async def test_late_answer_arrives_once_as_a_customer_service_message(wechat_settings):
    openid = _openid()
    with fake_wechat_server() as fake, wechat_server(_slow_settings(wechat_settings, fake)) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            xml = text_xml(openid, "你好", msg_id=7000000000000000001)
            r = await http.post(URL, params=signed_query(), content=xml)
            assert r.status_code == 200 and r.text == "success"
            sent = await asyncio.to_thread(fake.wait_for_custom, 1, 30)
            assert len(sent) == 1 and sent[0]["touser"] == openid and sent[0]["msgtype"] == "text"
            # WeChat retries twice more: answered `success`, no second turn, no second message
            for _ in range(2):
                r = await http.post(URL, params=signed_query(), content=xml)
                assert r.status_code == 200 and r.text == "success"
            await asyncio.sleep(0.5)
    assert len(fake.custom_messages) == 1
    turns = await stored_turns(wechat_settings, openid)
    assert [t.role for t in turns] == ["patient", "assistant"]
    assert sent[0]["text"]["content"] == turns[1].text
    assert fake.token_requests == 1


async def test_deferred_delivery_refreshes_a_rejected_token(wechat_settings):
    openid = _openid()
    with fake_wechat_server() as fake, wechat_server(_slow_settings(wechat_settings, fake)) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            await http.post(URL, params=signed_query(), content=text_xml(openid, "你好"))
            await asyncio.to_thread(fake.wait_for_custom, 1, 30)
            fake.invalidate_tokens("invalid")  # WeChat answers 40001 to the cached token
            await http.post(URL, params=signed_query(), content=text_xml(openid, "我想挂号"))
            sent = await asyncio.to_thread(fake.wait_for_custom, 2, 30)
    assert len(sent) == 2 and fake.token_requests == 2


async def test_api_timeout_is_logged_and_the_channel_keeps_working(wechat_settings, caplog):
    caplog.set_level(logging.INFO)
    openid = _openid()
    with fake_wechat_server() as fake:
        settings = _slow_settings(wechat_settings, fake, wechat_api_timeout_s=0.3)
        with wechat_server(settings) as base:
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                await http.post(URL, params=signed_query(), content=text_xml(openid, "你好"))  # fetches the token
                await asyncio.to_thread(fake.wait_for_custom, 1, 30)
                fake.delays["/cgi-bin/message/custom/send"] = 1.5
                r = await http.post(URL, params=signed_query(), content=text_xml(openid, "我想挂号"))
                assert r.status_code == 200 and r.text == "success"
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline and not any(
                        "customer-service message failed" in rec.getMessage() for rec in caplog.records):
                    await asyncio.sleep(0.1)
                assert any("customer-service message failed" in rec.getMessage() for rec in caplog.records)
                assert fake.calls.count("/cgi-bin/message/custom/send") == 2  # not re-sent after the timeout
                fake.delays.clear()
                assert (await http.get("/healthz")).status_code == 200
                r = await http.post(URL, params=signed_query(), content=text_xml(openid, "谢谢"))
                assert r.status_code == 200
                await asyncio.sleep(1.6)  # the stalled request lands late at the fake server
                sent = await asyncio.to_thread(fake.wait_for_custom, 3, 30)
    assert len(sent) == 3


async def test_passive_reply_within_budget_sends_nothing_later(wechat_settings):
    openid = _openid()
    with fake_wechat_server() as fake:
        settings = _slow_settings(wechat_settings, fake, wechat_reply_budget_s=4.5)
        with wechat_server(settings) as base:
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                r = await http.post(URL, params=signed_query(), content=text_xml(openid, "你好"))
                assert parse_xml(r.content)["Content"]
                await asyncio.sleep(0.3)
    assert fake.custom_messages == []


async def test_customer_service_messages_respect_the_48_hour_window(settings):
    clock = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=__import__("zoneinfo").ZoneInfo("Asia/Shanghai")))
    with fake_wechat_server() as fake:
        state = SimpleNamespace(engine=None, services=SimpleNamespace(settings=settings, clock=clock, db=None, bus=None))
        client = WeChatClient(fake.appid, fake.secret, fake.base_url)
        adapter = WeChatAdapter(state, MemoryInbox(), client)
        try:
            assert await adapter.push_text("o-never-wrote", "报告已出") is False  # never wrote to us
            await adapter.inbox.touch_user("o-old", (clock.now() - timedelta(hours=49)).timestamp())
            assert await adapter.push_text("o-old", "报告已出") is False
            await adapter.inbox.touch_user("o-recent", (clock.now() - timedelta(hours=47)).timestamp())
            assert await adapter.push_text("o-recent", "报告已出") is True
        finally:
            await adapter.close()
    assert [m["touser"] for m in fake.custom_messages] == ["o-recent"]
