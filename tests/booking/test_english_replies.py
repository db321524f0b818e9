"""English booking replies say where to go in English (the triage wording: "Main campus, Building 1,
floor 7"), not the Chinese location from departments.csv; a passport said as a sentence at the ID
question is the ID answer, not a new symptom conversation."""

from __future__ import annotations

import re

import pytest

from .conftest import NOW
from .engine_chat import Chat, start, stop

pytestmark = pytest.mark.integration
_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
async def app(tmp_path):
    from assistant.clock import FixedClock

    services, eng = await start(tmp_path / "data", FixedClock(NOW))
    yield services, eng
    await stop(services)


async def test_passport_sentence_and_english_location(app):
    _, engine = app
    chat = Chat(engine, lang="en")
    await chat("I want to see a dentist tomorrow")
    await chat("1")
    await chat("for myself")
    r = await chat("Maria Garcia")
    assert "passport or travel permit number" in r.reply, r.reply
    r = await chat("my passport number is X98765432")
    assert r.intent == "booking" and "mobile" in r.reply, r.reply
    r = await chat("+86 139 1234 5678")
    assert "passport X*****432" in r.reply, r.reply
    r = await chat("yes")
    assert r.appointment["status"] == "confirmed", r.reply
    where = re.search(r"Where: ([^.]+)\.", r.reply)
    assert where and "Main campus, Building" in where.group(1), r.reply
    assert not _CJK.search(where.group(1)), where.group(1)
