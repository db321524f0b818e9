"""The callback through the real HTTP endpoint of the real app: URL verification, plain and encrypted
messages, bad input (signatures, replays, entity attacks, oversized bodies), deduplication of retries."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time

import httpx
import pytest

from integrations.wechat.crypto import MessageCrypto, sha1_signature
from integrations.wechat.messages import parse_xml

from .conftest import (
    APPID,
    TOKEN,
    encrypted_request,
    event_xml,
    new_aes_key,
    signed_query,
    text_xml,
    wechat_server,
)
from .helpers import conversations_of, count_turns, stored_turns
from .test_protocol import BILLION_LAUGHS, XXE

pytestmark = pytest.mark.integration
URL = "/integrations/wechat"


def _openid() -> str:
    return "o" + secrets.token_hex(12)


async def test_channel_is_off_without_a_token(settings):
    with wechat_server(settings) as base:
        async with httpx.AsyncClient(base_url=base) as http:
            r = await http.get(URL, params={**signed_query(), "echostr": "x"})
            assert r.status_code == 503 and r.json()["error"]["code"] == "channel_off"
            r = await http.post(URL, params=signed_query(), content=text_xml(_openid(), "你好"))
            assert r.status_code == 503 and r.json()["error"]["code"] == "channel_off"


async def test_url_verification_plain_and_safe_mode(wechat_settings, caplog):
    caplog.set_level(logging.INFO)
    crypto = MessageCrypto(TOKEN, wechat_settings.wechat_aes_key, APPID)
    with wechat_server(wechat_settings) as base:
        async with httpx.AsyncClient(base_url=base) as http:
            r = await http.get(URL, params={**signed_query(), "echostr": "1234567890"})
            assert r.status_code == 200 and r.text == "1234567890"

            bad = {**signed_query(), "echostr": "1234567890"}
            bad["signature"] = sha1_signature("other-token", bad["timestamp"], bad["nonce"])
            r = await http.get(URL, params=bad)
            assert r.status_code == 403 and r.json()["error"]["code"] == "bad_signature"
            assert any("wechat callback rejected" in rec.getMessage() for rec in caplog.records)

            old = {**signed_query(timestamp=int(time.time()) - 3600), "echostr": "x"}
            r = await http.get(URL, params=old)
            assert r.status_code == 403 and r.json()["error"]["code"] == "stale_timestamp"

            # safe mode: msg_signature covers the encrypted echostr, the answer is its plaintext
            ts, nonce = str(int(time.time())), "n42"
            echo = crypto.encrypt("echo-plain-987")
            r = await http.get(URL, params={"timestamp": ts, "nonce": nonce, "echostr": echo,
                                            "msg_signature": crypto.signature(ts, nonce, echo)})
            assert r.status_code == 200 and r.text == "echo-plain-987"
            r = await http.get(URL, params={"timestamp": ts, "nonce": nonce, "echostr": echo, "msg_signature": "0" * 40})
            assert r.status_code == 403


async def test_plain_text_message_gets_a_passive_reply_in_the_users_conversation(wechat_settings):
    openid = _openid()
    with wechat_server(wechat_settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            r = await http.post(URL, params=signed_query(), content=text_xml(openid, "你好"))
            assert r.status_code == 200, r.text
            reply = parse_xml(r.content)
            assert reply["ToUserName"] == openid and reply["FromUserName"] == "gh_hospital"
            assert reply["MsgType"] == "text" and "智能助手" in reply["Content"]
            r = await http.post(URL, params=signed_query(), content=text_xml(openid, "我想挂号"))
            assert r.status_code == 200 and parse_xml(r.content)["Content"]
    convs = await conversations_of(wechat_settings, openid)
    assert len(convs) == 1 and convs[0].channel == "wechat"
    turns = await stored_turns(wechat_settings, openid)
    assert [t.role for t in turns] == ["patient", "assistant", "patient", "assistant"]
    assert turns[0].text == "你好" and turns[1].text == reply["Content"]


async def test_encrypted_message_gets_an_encrypted_signed_reply(wechat_settings):
    openid = _openid()
    crypto = MessageCrypto(TOKEN, wechat_settings.wechat_aes_key, APPID)
    with wechat_server(wechat_settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            query, body = encrypted_request(crypto, text_xml(openid, "你好"))
            r = await http.post(URL, params=query, content=body)
            assert r.status_code == 200, r.text
            env = parse_xml(r.content)
            assert set(env) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
            assert env["TimeStamp"] == query["timestamp"] and env["Nonce"] == query["nonce"]
            assert crypto.verify(env["MsgSignature"], env["TimeStamp"], env["Nonce"], env["Encrypt"])
            inner = parse_xml(crypto.decrypt(env["Encrypt"]))
            assert inner["ToUserName"] == openid and inner["Content"]

            # a forged msg_signature, or a body encrypted with another key, is refused
            query, body = encrypted_request(crypto, text_xml(openid, "再来"))
            query["msg_signature"] = "f" * 40
            r = await http.post(URL, params=query, content=body)
            assert r.status_code == 403 and r.json()["error"]["code"] == "bad_signature"
            stranger = MessageCrypto(TOKEN, new_aes_key(), APPID)
            query, body = encrypted_request(stranger, text_xml(openid, "再来"))
            r = await http.post(URL, params=query, content=body)
            assert r.status_code == 403 and r.json()["error"]["code"] == "bad_ciphertext"
    assert len(await stored_turns(wechat_settings, openid)) == 2


async def test_bad_input_is_rejected_without_a_turn(wechat_settings, caplog):
    caplog.set_level(logging.INFO)
    openid = _openid()
    secret_text = "我的秘密症状"
    settings = wechat_settings.model_copy(update={"wechat_max_body_bytes": 4096})
    with wechat_server(settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            bad = signed_query()
            bad["signature"] = "0" * 40
            r = await http.post(URL, params=bad, content=text_xml(openid, secret_text))
            assert r.status_code == 403 and r.json()["error"]["code"] == "bad_signature"
            r = await http.post(URL, params={"timestamp": "1", "nonce": "2"}, content=text_xml(openid, secret_text))
            assert r.status_code == 403
            # replay: a correctly signed request whose timestamp is ten minutes old
            r = await http.post(URL, params=signed_query(timestamp=int(time.time()) - 600), content=text_xml(openid, secret_text))
            assert r.status_code == 403 and r.json()["error"]["code"] == "stale_timestamp"
            for body in (BILLION_LAUGHS, XXE):
                r = await http.post(URL, params=signed_query(), content=body)
                assert r.status_code == 400 and r.json()["error"]["code"] == "xml_forbidden"
            r = await http.post(URL, params=signed_query(), content=b"<xml><MsgType>text</MsgType>")
            assert r.status_code == 400 and r.json()["error"]["code"] == "malformed_xml"
            big = text_xml(openid, "长" * 5000)
            r = await http.post(URL, params=signed_query(), content=big)
            assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"

            async def chunks():  # no Content-Length: the limit is enforced while reading
                for _ in range(10):
                    yield b"<!-- " + b"x" * 1000 + b" -->"

            r = await http.post(URL, params=signed_query(), content=chunks())
            assert r.status_code == 413
            r = await http.post(URL, params=signed_query(), content=(
                f"<xml><ToUserName>gh</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>{int(time.time())}</CreateTime>"
                "<MsgType><![CDATA[hologram]]></MsgType><MsgId>77</MsgId></xml>"))
            assert r.status_code == 200 and r.text == "success"
            assert (await http.get("/healthz")).status_code == 200
    assert await stored_turns(wechat_settings, openid) == []
    assert all(secret_text not in rec.getMessage() for rec in caplog.records)


@pytest.mark.parametrize("store", ["memory", "redis"])
async def test_three_deliveries_of_one_msgid_make_one_turn(wechat_settings, redis_url, store):
    if store == "redis":  # the retry inbox and the per-user lock then live in Redis, shared by processes
        wechat_settings = wechat_settings.model_copy(update={"redis_url": redis_url})
    openid = _openid()
    xml = text_xml(openid, "你好", msg_id=6012345678901234567)
    with wechat_server(wechat_settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            async def deliver():
                return await http.post(URL, params=signed_query(), content=xml)

            responses = await asyncio.gather(deliver(), deliver(), deliver())
            later = await deliver()  # a retry after the first was answered
    assert all(r.status_code == 200 for r in [*responses, later])
    bodies = [r.text for r in [*responses, later]]
    replies = {parse_xml(b)["Content"] for b in bodies if b != "success"}
    assert len(replies) == 1  # every non-empty answer is the same passive reply
    assert later.text != "success" and parse_xml(later.text)["Content"] in replies
    turns = await stored_turns(wechat_settings, openid)
    assert [t.role for t in turns] == ["patient", "assistant"]


async def test_events_subscribe_menu_click_and_others(wechat_settings):
    openid = _openid()
    with wechat_server(wechat_settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            now = int(time.time())
            r = await http.post(URL, params=signed_query(), content=event_xml(openid, "subscribe", create_time=now))
            assert r.status_code == 200 and "智能助手" in parse_xml(r.content)["Content"]
            assert "预约挂号" in parse_xml(r.content)["Content"]
            # the same event again (a retry: same FromUserName + CreateTime) is not answered again
            r = await http.post(URL, params=signed_query(), content=event_xml(openid, "subscribe", create_time=now))
            assert r.status_code == 200
            assert len(await conversations_of(wechat_settings, openid)) == 1
            r = await http.post(URL, params=signed_query(), content=event_xml(openid, "CLICK", "BOOKING", create_time=now + 1))
            assert r.status_code == 200 and parse_xml(r.content)["Content"]
            r = await http.post(URL, params=signed_query(), content=event_xml(openid, "CLICK", "智能导诊", create_time=now + 2))
            assert r.status_code == 200 and parse_xml(r.content)["Content"]
            for i, (event, key) in enumerate([("CLICK", "NO_SUCH_KEY"), ("VIEW", "https://example.org"), ("SCAN", "42"),
                                             ("LOCATION", None), ("unsubscribe", None)]):
                r = await http.post(URL, params=signed_query(), content=event_xml(openid, event, key, create_time=now + 3 + i))
                assert r.status_code == 200 and r.text == "success", event
    turns = await stored_turns(wechat_settings, openid)
    patient = [t for t in turns if t.role == "patient"]
    assert [t.text for t in patient] == ["我要预约挂号", "我不知道该挂哪个科，请帮我智能导诊"]
    assert patient[0].intent == "booking"


async def test_voice_with_wechat_recognition_is_a_text_turn(wechat_settings):
    from .conftest import media_xml

    openid = _openid()
    with wechat_server(wechat_settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            r = await http.post(URL, params=signed_query(),
                                content=media_xml(openid, "voice", "m-1", fmt="amr", recognition="我想挂号"))
            assert r.status_code == 200 and parse_xml(r.content)["Content"]
            # no recognition and no API secret configured: the patient is asked to type
            r = await http.post(URL, params=signed_query(), content=media_xml(openid, "voice", "m-2", fmt="amr"))
            assert "打字" in parse_xml(r.content)["Content"]
    turns = await stored_turns(wechat_settings, openid)
    assert [t.text for t in turns if t.role == "patient"] == ["我想挂号"]


async def test_unusable_settings_do_not_crash(wechat_settings):
    settings = wechat_settings.model_copy(update={"wechat_aes_key": "not-a-key"})
    with wechat_server(settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            crypto = MessageCrypto(TOKEN, new_aes_key(), APPID)
            query, body = encrypted_request(crypto, text_xml(_openid(), "你好"))
            r = await http.post(URL, params=query, content=body)
            assert r.status_code == 400 and r.json()["error"]["code"] == "encryption_off"
    assert await count_turns(settings) == 0
