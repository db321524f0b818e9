"""Protocol pieces alone: the real callback fixtures parse, the WeCom crypto samples decrypt with their
keys, our envelope round-trips, entity attacks are refused, replies are well-formed."""

from __future__ import annotations

import re

import pytest

from integrations.wechat.adapter import MENU_TEXT, split_utf8
from integrations.wechat.crypto import CryptoError, MessageCrypto, check_signature, sha1_signature
from integrations.wechat.messages import XmlRejected, parse_message, parse_xml
from integrations.wechat.replies import MAX_REPLY_BYTES, text_reply

from .conftest import FIXTURES, fixture_index, new_aes_key

pytestmark = pytest.mark.unit

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>"""

XXE = b"""<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"""

BARE_DTD = b"""<!DOCTYPE xml SYSTEM "http://attacker.example/x.dtd"><xml><MsgType>text</MsgType></xml>"""


def test_all_55_fixtures_parse_with_their_type_and_event():
    index = fixture_index()
    assert len(index) == 55
    for entry in index:
        msg = parse_message((FIXTURES / entry["file"]).read_bytes())
        if entry["encrypted"] or entry["msg_type"] is None:
            assert msg.msg_type == "unknown", entry["file"]
            continue
        assert msg.msg_type == entry["msg_type"], entry["file"]
        if entry["event"]:
            assert msg.event == entry["event"].lower(), entry["file"]
        assert msg.create_time > 0 and msg.from_user, entry["file"]


def test_fixture_fields_are_read():
    text = parse_message((FIXTURES / "test_parser__ParseMessageTestCase__test_parse_text_message__xml.xml").read_bytes())
    assert text.content and text.msg_id and text.dedup_key == f"msg:{text.from_user}:text:{text.msg_id}"
    voice = parse_message((FIXTURES / "test_parser__ParseMessageTestCase__test_parse_voice_message__xml.xml").read_bytes())
    assert voice.media_id == "media_id" and voice.media_format == "format"  # the sample's placeholders
    click = parse_message((FIXTURES / "test_events__EventsTestCase__test_click_event__xml.xml").read_bytes())
    assert click.kind == "event:click" and click.event_key == "EVENTKEY"
    assert click.dedup_key == f"evt:{click.from_user}:{click.create_time}:click"
    pics = parse_xml((FIXTURES / "test_events__EventsTestCase__test_pic_photo_or_album_event__xml.xml").read_bytes())
    assert isinstance(pics["SendPicsInfo"], dict)


def _crypto_fixture(name: str) -> tuple[dict, str]:
    entry = next(e for e in fixture_index() if e["file"] == name)
    return entry["crypto_params"], (FIXTURES / name).read_text("utf-8")


def test_wecom_sample_decrypts_with_its_key_and_signature():
    p, xml = _crypto_fixture("test_crypto__CryptoTestCase__test_decrypt_message__xml.xml")
    crypto = MessageCrypto(p["token"], p["encoding_aes_key"], p["corp_id"])
    encrypt = parse_xml(xml)["Encrypt"]
    assert crypto.verify(p["signature"], p["timestamp"], p["nonce"], encrypt)
    assert not crypto.verify(p["signature"], p["timestamp"], "1", encrypt)
    inner = parse_message(crypto.decrypt(encrypt))
    assert inner.kind == "text" and inner.content == "test" and inner.agent_id == "1"
    other = MessageCrypto(p["token"], p["encoding_aes_key"], "wx0000000000000000")
    with pytest.raises(CryptoError):
        other.decrypt(encrypt)


def test_wecom_expected_envelope_decrypts_to_the_reply_sample():
    p, xml = _crypto_fixture("test_crypto__CryptoTestCase__test_encrypt_message__expected.xml")
    fields = parse_xml(xml)
    crypto = MessageCrypto(p["token"], p["encoding_aes_key"], p["corp_id"])
    assert crypto.verify(fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"], fields["Encrypt"])
    reply = parse_xml(crypto.decrypt(fields["Encrypt"]))
    sample = parse_xml((FIXTURES / "test_crypto__CryptoTestCase__test_encrypt_message__reply.xml").read_bytes())
    assert reply == sample


def test_our_envelope_round_trips_and_is_signed():
    crypto = MessageCrypto("tok", new_aes_key(), "wxabc")
    env = parse_xml(crypto.envelope("<xml><Content><![CDATA[你好]]></Content></xml>", "1700000000", "n1"))
    assert crypto.verify(env["MsgSignature"], env["TimeStamp"], env["Nonce"], env["Encrypt"])
    assert parse_xml(crypto.decrypt(env["Encrypt"]))["Content"] == "你好"
    with pytest.raises(CryptoError):
        crypto.decrypt("not base64!!")
    with pytest.raises(CryptoError):
        MessageCrypto("tok", "short", "wxabc")


def test_url_signature_is_sha1_over_sorted_parts():
    import hashlib

    assert sha1_signature("tok", "123", "abc") == hashlib.sha1("".join(sorted(["tok", "123", "abc"])).encode()).hexdigest()
    assert check_signature(sha1_signature("tok", "1", "2"), "tok", "1", "2")
    assert not check_signature(None, "tok", "1", "2")
    assert not check_signature("0" * 40, "tok", "1", "2")


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE, BARE_DTD], ids=["billion-laughs", "xxe", "external-dtd"])
def test_entity_attacks_are_refused_before_parsing(body):
    with pytest.raises(XmlRejected) as e:
        parse_xml(body)
    assert e.value.code == "xml_forbidden"


@pytest.mark.parametrize("body", [b"", b"<xml>", b"not xml", b"<other><a>1</a></other>", "<xml>\ud800</xml>"])
def test_malformed_xml_is_refused(body):
    with pytest.raises(XmlRejected) as e:
        parse_xml(body)
    assert e.value.code == "malformed_xml"


def test_text_reply_is_well_formed_and_clipped():
    xml = text_reply("o-user", "gh_acc", "a]]>b\x01c" + "长" * 2000, 1700000000)
    fields = parse_xml(xml)
    assert fields["ToUserName"] == "o-user" and fields["MsgType"] == "text"
    assert fields["Content"].startswith("a]]>bc")
    assert len(fields["Content"].encode()) <= MAX_REPLY_BYTES


def test_long_replies_split_into_customer_service_parts():
    text = "\n".join([f"第{i}行：" + "说明" * 100 for i in range(10)])
    parts = split_utf8(text, 1800)
    assert all(len(p.encode()) <= 1800 for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_menu_keys_and_names_map_to_the_same_words():
    assert MENU_TEXT["BOOKING"] == MENU_TEXT["预约挂号"]
    assert MENU_TEXT["REPORT"] == MENU_TEXT["报告查询"]
    assert MENU_TEXT["TRIAGE"] == MENU_TEXT["智能导诊"]
    assert re.search("挂号", MENU_TEXT["BOOKING"])
