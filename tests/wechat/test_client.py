"""The outgoing API client against the local fake WeChat server: token caching and refresh, errcodes,
retries on 5xx, timeouts, media download and template messages."""

from __future__ import annotations

import pytest

from integrations.wechat.client import WeChatApiError, WeChatClient, WeChatUnavailable

from .fake_wechat import fake_wechat_server

pytestmark = pytest.mark.integration


def _client(fake, **kw) -> WeChatClient:
    return WeChatClient(fake.appid, fake.secret, fake.base_url, backoff_s=0.01, **kw)


async def test_token_is_fetched_once_and_reused():
    with fake_wechat_server() as fake:
        client = _client(fake)
        try:
            await client.send_text("o-user", "你好")
            await client.send_text("o-user", "再见")
        finally:
            await client.close()
        assert fake.token_requests == 1
        assert [m["text"]["content"] for m in fake.custom_messages] == ["你好", "再见"]
        assert fake.custom_messages[0] == {"touser": "o-user", "msgtype": "text", "text": {"content": "你好"}}


async def test_token_refreshed_before_expiry():
    now = [1000.0]
    with fake_wechat_server() as fake:
        client = _client(fake, monotonic=lambda: now[0])
        try:
            first = await client.access_token()
            now[0] += 7200 - 299  # within five minutes of expiry
            second = await client.access_token()
        finally:
            await client.close()
        assert first != second and fake.token_requests == 2


@pytest.mark.parametrize("how,code", [("invalid", 40001), ("expired", 42001)])
async def test_rejected_token_is_refreshed_and_the_call_repeated_once(how, code):
    with fake_wechat_server() as fake:
        client = _client(fake)
        try:
            await client.send_text("o-user", "一")
            fake.invalidate_tokens(how)
            await client.send_text("o-user", "二")
        finally:
            await client.close()
        assert fake.token_requests == 2
        assert [m["text"]["content"] for m in fake.custom_messages] == ["一", "二"]


async def test_errcode_raises_a_clear_error():
    with fake_wechat_server() as fake:
        client = _client(fake)
        try:
            with pytest.raises(WeChatApiError) as e:
                await client.send_template("o-user", "", {"first": "x"})
            assert e.value.errcode == 40037 and "template" in str(e.value)
            with pytest.raises(WeChatApiError) as e:
                await client.get_media("no-such-media")
            assert e.value.errcode == 40007
        finally:
            await client.close()
        bad = WeChatClient(fake.appid, "wrong-secret", fake.base_url)
        try:
            with pytest.raises(WeChatApiError) as e:
                await bad.send_text("o-user", "x")
            assert e.value.errcode == 40125 and e.value.api == "token"
        finally:
            await bad.close()


async def test_5xx_is_retried_with_backoff():
    with fake_wechat_server() as fake:
        fake.fail_5xx["/cgi-bin/message/custom/send"] = 2
        client = _client(fake)
        try:
            await client.send_text("o-user", "重试后送达")
        finally:
            await client.close()
        assert fake.calls.count("/cgi-bin/message/custom/send") == 3
        assert len(fake.custom_messages) == 1


async def test_persistent_5xx_gives_up_with_unavailable():
    with fake_wechat_server() as fake:
        fake.fail_5xx["/cgi-bin/token"] = 10
        client = _client(fake, attempts=3)
        try:
            with pytest.raises(WeChatUnavailable) as e:
                await client.access_token()
        finally:
            await client.close()
        assert "502" in e.value.reason and fake.calls.count("/cgi-bin/token") == 3


async def test_timeouts_raise_and_a_sent_message_is_not_repeated():
    with fake_wechat_server() as fake:
        client = _client(fake, timeout_s=0.3)
        try:
            await client.access_token()
            fake.delays["/cgi-bin/message/custom/send"] = 1.0
            with pytest.raises(WeChatUnavailable) as e:
                await client.send_text("o-user", "慢")
            assert "Timeout" in e.value.reason
            # a POST that may have reached WeChat is not sent again (never answer twice)
            assert fake.calls.count("/cgi-bin/message/custom/send") == 1
            fake.delays["/cgi-bin/media/get"] = 1.0
            fake.media["m1"] = (b"RIFF", "audio/amr")
            with pytest.raises(WeChatUnavailable):
                await client.get_media("m1")
            assert fake.calls.count("/cgi-bin/media/get") == 3  # idempotent download: retried
        finally:
            await client.close()


async def test_media_download_and_template_message():
    with fake_wechat_server() as fake:
        fake.media["voice-1"] = (b"#!AMR\n" + b"\x00" * 32, "audio/amr")
        client = _client(fake)
        try:
            media = await client.get_media("voice-1")
            result = await client.send_template(
                "o-user", "TPL_APPT", {"first": "您的预约已确认", "keyword1": {"value": "心内科", "color": "#173177"}},
                url="https://example.org/appt/1",
            )
        finally:
            await client.close()
        assert media.content.startswith(b"#!AMR") and media.content_type == "audio/amr"
        assert media.filename == "voice-1.amr"
        assert result["msgid"]
        sent = fake.template_messages[0]
        assert sent["data"]["first"] == {"value": "您的预约已确认"} and sent["data"]["keyword1"]["color"] == "#173177"
        assert sent["url"] == "https://example.org/appt/1"


async def test_unreachable_server_is_unavailable():
    client = WeChatClient("wx", "s", "http://127.0.0.1:9", backoff_s=0.01, timeout_s=0.5)
    try:
        with pytest.raises(WeChatUnavailable):
            await client.access_token()
    finally:
        await client.close()
