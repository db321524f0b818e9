"""Answers a reviewer found looping in the booking form, through the real engine: who the patient is
(a name, ID number, phone or a yes means the caller), "any doctor" at the slot list, a session said
before the day, natural cancel / my-appointments phrasings, and the age and sex limits of departments."""

from __future__ import annotations

import pytest

from .conftest import NOW, make_id
from .engine_chat import Chat, start, stop

pytestmark = pytest.mark.integration

ADULT = make_id("19800101", "123")


@pytest.fixture
async def engine(tmp_path):
    from assistant.clock import FixedClock

    services, eng = await start(tmp_path / "data", FixedClock(NOW))
    yield eng
    await stop(services)


async def to_relationship_question(chat: Chat) -> None:
    await chat("我要挂心内科")
    await chat("明天")
    await chat("下午")
    r = await chat("1")
    assert "给您自己挂" in r.reply, r.reply


@pytest.mark.parametrize("answer,expect", [
    ("张伟", "身份证"),  # the name is taken; the ID is asked next
    (ADULT, "姓名"),
    ("13812345678", "姓名"),
    ("对，确认", "姓名"),
    ("yes", "姓名|name"),
    ("我叫李娜，身份证" + ADULT, "手机"),
])
async def test_relationship_question_accepts_the_patients_own_details(engine, answer, expect):
    chat = Chat(engine)
    await to_relationship_question(chat)
    r = await chat(answer)
    assert "给您自己挂" not in r.reply
    import re
    assert re.search(expect, r.reply), r.reply
    slots = await chat.slots()
    assert slots["patient_relationship"] == "self"
    if answer == "张伟":
        assert slots["patient_name"] == "张伟"
    if answer.startswith("我叫"):
        assert slots["patient_name"] == "李娜" and slots["id_number"] == ADULT


@pytest.mark.parametrize("answer,rel", [("给我妈", "mother"), ("我爸的", "father")])
async def test_relationship_question_names_a_relative(engine, answer, rel):
    chat = Chat(engine)
    await to_relationship_question(chat)
    r = await chat(answer)
    assert "姓名" in r.reply
    assert (await chat.slots())["patient_relationship"] == rel


@pytest.mark.parametrize("answer", ["随便哪个医生都行", "都可以", "哪个都行", "any doctor"])
async def test_any_doctor_at_the_slot_list_takes_the_earliest(engine, answer):
    chat = Chat(engine)
    await chat("我要挂心内科")
    await chat("明天")
    listed = await chat("下午")
    assert "1. " in listed.reply
    r = await chat(answer)
    assert "请从上面" not in r.reply
    assert "最早" in r.reply or "earliest" in r.reply
    slots = await chat.slots()
    assert slots["slot"] and slots["session"] == "PM"


async def test_session_said_at_the_date_step_is_kept(engine):
    chat = Chat(engine)
    await chat("我要挂心内科")
    r = await chat("下午")
    assert "下午号" in r.reply
    r = await chat("1")
    assert "下午" in r.reply and "上午" not in r.reply.split("\n")[0]
    assert (await chat.slots())["session"] == "PM"
