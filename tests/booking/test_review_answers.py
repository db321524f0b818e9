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


# ---- natural cancel and my-appointments phrasings ------------------------------------------------
async def booked(chat: Chat, idn: str, name: str) -> None:
    await chat("明天上午心内科还有号吗")
    await chat("第二个")
    await chat("我自己")
    await chat(name)
    await chat(idn)
    await chat("13900001111")
    r = await chat("对")
    assert r.appointment and r.appointment["status"] == "confirmed", r.reply


@pytest.mark.parametrize("text", ["帮我把这个号取消了", "取消刚才的"])
async def test_natural_cancel_phrasings_cancel_the_booking(engine, text):
    chat = Chat(engine)
    await booked(chat, ADULT, "张三")
    r = await chat(text)
    assert "确定要取消" in r.reply, r.reply
    r = await chat("是")
    assert r.appointment["status"] == "cancelled", r.reply


@pytest.mark.parametrize("text", ["刚才那个不要了", "不去了，退了吧", "我昨天挂的号不想去了", "约好的号去不了了", "I can't make my appointment"])
async def test_natural_cancel_phrasings_the_nlu_does_not_call_booking(engine, text):
    chat = Chat(engine)
    await booked(chat, ADULT, "张三")
    r = await chat(text)
    assert "确定要取消" in r.reply or r.reply.startswith("Cancel the appointment"), r.reply


async def test_my_appointments_proved_with_id_and_phone_from_another_session(engine):
    await booked(Chat(engine), ADULT, "张三")
    other = Chat(engine)
    r = await other(f"我身份证{ADULT}，手机13900001111，帮我看看我有没有预约")
    assert "您接下来的预约" in r.reply and "心血管内科" in r.reply, r.reply


def test_cancel_and_my_appointment_phrasings_are_recognised():
    from assistant.actions.booking import _DELEGATE

    def kind(text: str) -> str | None:
        return next((k for rx, k in _DELEGATE if rx.search(text)), None)

    for text in ("帮我把这个号取消了", "取消刚才的", "刚才那个不要了", "不去了，退了吧", "我昨天挂的号不想去了", "约的号来不了了"):
        assert kind(text) == "cancel", text
    assert kind("我身份证…，手机…，帮我看看我有没有预约") == "mine"
    for text in ("明天上午心内科还有号吗", "心内科明天有没有号", "帮我看看明天有没有号", "帮我挂个号", "给我妈挂号",
                 "挂的号在几楼", "预约的号要带什么"):
        assert kind(text) is None, text


async def test_cancelling_while_another_booking_is_open_leaves_that_form(engine):
    chat = Chat(engine)
    await booked(chat, ADULT, "张三")
    await chat("我要挂号")
    await chat("眼科")  # a second booking is waiting for its day...
    r = await chat("我昨天挂的号不想去了")  # ...and 昨天 is when the first was booked, not a day to book
    assert "确定要取消" in r.reply and "已经过去" not in r.reply, r.reply
    r = await chat("对")
    assert r.appointment["status"] == "cancelled", r.reply


async def test_a_bare_cancel_ends_the_form(engine):
    chat = Chat(engine)
    await chat("我要挂号")
    r = await chat("取消")
    assert "已结束当前办理" in r.reply, r.reply


# ---- age and sex limits of departments ------------------------------------------------------------
@pytest.mark.parametrize("text", ["我男的，想挂妇科", "我是男性，挂个产科的号"])
async def test_a_man_asking_for_a_womens_department_is_sent_to_urology(engine, text):
    chat = Chat(engine)
    r = await chat(text)
    assert "男性不能预约" in r.reply and "泌尿外科" in r.reply, r.reply
    assert (await chat.slots()).get("department") is None
    r = await chat("泌尿外科")
    assert (await chat.slots())["department"] == "urology"


async def test_a_male_id_number_at_gynecology_is_refused(engine):
    chat = Chat(engine)
    for text in ("我要挂妇科", "明天", "1", "我自己", "张三"):
        await chat(text)
    r = await chat(ADULT)  # 17th digit odd: male
    assert "男性不能预约妇科" in r.reply, r.reply


async def test_an_adult_asking_for_pediatrics_hears_the_age_range(engine):
    r = await Chat(engine)("我40岁了想挂儿科，帮我预约一下")
    assert "0-13岁" in r.reply and ("成人科室" in r.reply or "全科医学科" in r.reply), r.reply


async def test_an_adult_asking_for_pediatrics_without_a_booking_verb_phrase(engine):
    r = await Chat(engine)("我40岁了想挂儿科")
    assert "0-13岁" in r.reply, r.reply


@pytest.mark.parametrize("answer", [
    f"张三 {ADULT} 13812345678",
    f"张三，身份证{ADULT}，手机13812345678",
    f"张三、{ADULT}、电话是13812345678",
])
async def test_name_id_and_phone_given_at_once_at_the_name_question(engine, answer):
    # the name question answered with everything at once was asked again and again
    chat = Chat(engine)
    await to_relationship_question(chat)
    r = await chat("给我自己挂")
    assert "姓名" in r.reply, r.reply
    r = await chat(answer)
    assert "姓名" not in r.reply and "对吗" in r.reply and "张三" in r.reply, r.reply
    slots = await chat.slots()
    assert slots["patient_name"] == "张三" and slots["id_number"] == ADULT and slots["phone"] == "13812345678"


async def test_a_yes_at_the_name_question_is_not_a_name(engine):
    chat = Chat(engine)
    await to_relationship_question(chat)
    await chat("给我自己挂")
    r = await chat("对")
    assert "姓名" in r.reply and (await chat.slots()).get("patient_name") is None, r.reply


async def test_cancelling_in_a_new_chat_asks_for_the_document_and_phone(engine):
    await booked(Chat(engine), ADULT, "张三")  # booked in another chat
    chat = Chat(engine)
    r = await chat("我要取消预约")
    assert "证件号码" in r.reply and "手机号" in r.reply, r.reply
    r = await chat("稍等，我找一下")  # not an answer: asked again, nothing cancelled
    assert "证件号码" in r.reply, r.reply
    r = await chat(f"{ADULT} 13900001111")
    assert "确定要取消" in r.reply, r.reply
    r = await chat("对")
    assert r.appointment["status"] == "cancelled", r.reply


async def test_a_wrong_phone_finds_nothing_to_cancel(engine):
    await booked(Chat(engine), ADULT, "张三")
    chat = Chat(engine)
    await chat("can I cancel my appointment for tomorrow?")
    r = await chat(f"{ADULT} 13900002222")
    assert "found no appointment" in r.reply or "没有查到" in r.reply, r.reply
