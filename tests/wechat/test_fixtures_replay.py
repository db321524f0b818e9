"""Replay the 55 real callback messages from wechatpy's tests through the real endpoint, and the WeCom
encrypted samples with their own token, EncodingAESKey, CorpID, timestamp, nonce and signature."""

from __future__ import annotations

import httpx
import pytest

from integrations.wechat.crypto import MessageCrypto
from integrations.wechat.messages import parse_message, parse_xml

from .conftest import FIXTURES, fixture_index, signed_query, wechat_server

pytestmark = pytest.mark.integration
URL = "/integrations/wechat"
OLD = 10**10  # the fixtures were signed years ago: widen the replay window for them only


async def test_all_55_fixtures_are_accepted_and_answered_by_type(wechat_settings):
    settings = wechat_settings.model_copy(update={"wechat_replay_window_s": OLD})
    index = fixture_index()
    seen_types = set()
    with wechat_server(settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            for entry in index:
                body = (FIXTURES / entry["file"]).read_bytes()
                msg = parse_message(body)
                r = await http.post(URL, params=signed_query(), content=body)
                assert r.status_code == 200, (entry["file"], r.text)
                seen_types.add(msg.kind)
                if msg.kind in ("text", "image", "voice", "video", "location", "link"):
                    reply = parse_xml(r.content)
                    assert reply["MsgType"] == "text" and reply["Content"], entry["file"]
                    assert reply["ToUserName"] == msg.from_user and reply["FromUserName"] == msg.to_user
                elif msg.kind == "event:subscribe":
                    assert "智能助手" in parse_xml(r.content)["Content"], entry["file"]
                else:  # unknown types, unhandled events, menu keys we do not have
                    assert r.text == "success", entry["file"]
            assert (await http.get("/healthz")).status_code == 200
    assert {"text", "image", "voice", "event:subscribe", "event:click", "event:view", "event:scan",
            "event:location", "event:unsubscribe", "notsure", "unknown"} <= seen_types


def _crypto_entry(name: str) -> tuple[dict, bytes]:
    entry = next(e for e in fixture_index() if e["file"] == name)
    return entry["crypto_params"], (FIXTURES / name).read_bytes()


@pytest.fixture
def wecom_settings(settings):
    p, _ = _crypto_entry("test_crypto__CryptoTestCase__test_decrypt_message__xml.xml")
    return settings.model_copy(update={
        "wechat_token": p["token"], "wechat_aes_key": p["encoding_aes_key"], "wechat_appid": p["corp_id"],
        "wechat_replay_window_s": OLD,
    })


async def test_encrypted_samples_decrypt_with_their_keys_and_get_encrypted_replies(wecom_settings):
    p, body = _crypto_entry("test_crypto__CryptoTestCase__test_decrypt_message__xml.xml")
    crypto = MessageCrypto(p["token"], p["encoding_aes_key"], p["corp_id"])
    query = {"msg_signature": p["signature"], "timestamp": p["timestamp"], "nonce": p["nonce"], "encrypt_type": "aes"}
    expected_p, expected_body = _crypto_entry("test_crypto__CryptoTestCase__test_encrypt_message__expected.xml")
    fields = parse_xml(expected_body)
    expected_query = {"msg_signature": fields["MsgSignature"], "timestamp": fields["TimeStamp"],
                      "nonce": fields["Nonce"], "encrypt_type": "aes"}
    with wechat_server(wecom_settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            r = await http.post(URL, params=query, content=body)
            assert r.status_code == 200, r.text
            env = parse_xml(r.content)
            assert crypto.verify(env["MsgSignature"], env["TimeStamp"], env["Nonce"], env["Encrypt"])
            reply = parse_xml(crypto.decrypt(env["Encrypt"]))
            assert reply["ToUserName"] == "messense" and reply["FromUserName"] == p["corp_id"] and reply["Content"]

            # the "expected" envelope of wechatpy's encrypt test, posted as a request, carries the reply sample
            r = await http.post(URL, params=expected_query, content=expected_body)
            assert r.status_code == 200
            inner = parse_xml(crypto.decrypt(parse_xml(r.content)["Encrypt"]))
            assert inner["ToUserName"] == p["corp_id"] and inner["Content"]

            # the plain samples of the same test file: a reply message and a WeChat Pay refund notice
            for name in ("test_crypto__CryptoTestCase__test_encrypt_message__reply.xml",
                         "test_crypto__CryptoTestCase__test_refund_notify_decrypt_message__xml.xml"):
                r = await http.post(URL, params=signed_query(token=p["token"]), content=(FIXTURES / name).read_bytes())
                assert r.status_code == 200, name

            # the same sample with a signature that does not match is refused
            r = await http.post(URL, params={**query, "nonce": "1"}, content=body)
            assert r.status_code == 403 and r.json()["error"]["code"] == "bad_signature"


async def test_encrypted_sample_outside_the_default_replay_window_is_refused(wecom_settings):
    settings = wecom_settings.model_copy(update={"wechat_replay_window_s": 300})
    p, body = _crypto_entry("test_crypto__CryptoTestCase__test_decrypt_message__xml.xml")
    query = {"msg_signature": p["signature"], "timestamp": p["timestamp"], "nonce": p["nonce"], "encrypt_type": "aes"}
    with wechat_server(settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            r = await http.post(URL, params=query, content=body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "stale_timestamp"
