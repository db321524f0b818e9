"""Voice and photo messages end to end: the media is fetched from the fake WeChat API (media/get),
speech goes through ffmpeg and our recogniser, a report photo through OCR into the report skill."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from .conftest import media_xml, signed_query, wechat_server
from .fake_wechat import fake_wechat_server
from .helpers import stored_turns

pytestmark = [pytest.mark.integration, pytest.mark.slow]
URL = "/integrations/wechat"
SPEECH = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "zh_speech"


def _settings(wechat_settings, fake):
    return wechat_settings.model_copy(update={
        "wechat_appid": fake.appid, "wechat_appsecret": fake.secret, "wechat_api_base": fake.base_url,
        "wechat_reply_budget_s": 0.0,  # recognition takes longer than WeChat waits: always the late path
    })


def _speex(wav: Path) -> bytes:
    return subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(wav), "-c:a", "libspeex", "-ar", "16000", "-f", "ogg", "pipe:1"],
        check=True, capture_output=True, timeout=60,
    ).stdout


async def test_voice_without_recognition_is_fetched_converted_and_recognised(wechat_settings):
    if not SPEECH.is_dir():
        pytest.skip("speech fixtures not present")
    openid = "o" + secrets.token_hex(12)
    with fake_wechat_server() as fake:
        fake.media["voice-aishell"] = (_speex(SPEECH / "aishell_BAC009S0724W0121.wav"), "audio/speex")
        fake.media["voice-garbage"] = (b"\x00\x01not audio at all" * 10, "audio/amr")
        with wechat_server(_settings(wechat_settings, fake)) as base:
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                r = await http.post(URL, params=signed_query(), content=media_xml(openid, "voice", "voice-aishell", fmt="speex"))
                assert r.status_code == 200 and r.text == "success"
                sent = await asyncio.to_thread(fake.wait_for_custom, 1, 120)
                r = await http.post(URL, params=signed_query(), content=media_xml(openid, "voice", "voice-garbage", fmt="amr"))
                sent = await asyncio.to_thread(fake.wait_for_custom, 2, 60)
                r = await http.post(URL, params=signed_query(), content=media_xml(openid, "voice", "no-such-media", fmt="amr"))
                sent = await asyncio.to_thread(fake.wait_for_custom, 3, 60)
    turns = await stored_turns(wechat_settings, openid)
    patient = [t.text for t in turns if t.role == "patient"]
    assert len(patient) == 1 and ("房地产" in patient[0] or "广州" in patient[0]), patient
    assert sent[0]["text"]["content"] == [t.text for t in turns if t.role == "assistant"][0]
    assert "打字" in sent[1]["text"]["content"] and "打字" in sent[2]["text"]["content"]


async def test_report_photo_is_read_and_interpreted_in_the_conversation(wechat_settings):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reports"))
    from render import render_photo  # tests/reports/render.py

    spec = {
        "id": "wechat-cbc", "sex": "M", "cols": [40, 420, 560, 720], "aug": {"rotate": 0.8, "quality": 70},
        "rows": [["项目", "结果", "单位", "参考范围"], ["白细胞计数 WBC", "12.5 ↑", "10^9/L", "3.5-9.5"],
                 ["红细胞计数 RBC", "4.92", "10^12/L", "4.3-5.8"], ["血红蛋白 HGB", "146", "g/L", "130-175"],
                 ["血小板计数 PLT", "233", "10^9/L", "125-350"]],
    }
    openid = "o" + secrets.token_hex(12)
    with fake_wechat_server() as fake:
        fake.media["photo-cbc"] = (render_photo(spec), "image/jpeg")
        fake.media["photo-blank"] = (b"\xff\xd8\xff\xe0 not really a jpeg", "image/jpeg")
        with wechat_server(_settings(wechat_settings, fake)) as base:
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                r = await http.post(URL, params=signed_query(), content=media_xml(openid, "image", "photo-cbc"))
                assert r.status_code == 200 and r.text == "success"
                sent = await asyncio.to_thread(fake.wait_for_custom, 1, 180)
                await http.post(URL, params=signed_query(), content=media_xml(openid, "image", "photo-blank"))
                sent = await asyncio.to_thread(fake.wait_for_custom, 2, 60)
    turns = await stored_turns(wechat_settings, openid)
    assert len([t for t in turns if t.role == "patient"]) == 1
    assert "WBC" in turns[0].text or "白细胞" in turns[0].text
    assert turns[1].intent == "report"
    assert "白细胞" in sent[0]["text"]["content"]
    assert "照片" in sent[1]["text"]["content"]
