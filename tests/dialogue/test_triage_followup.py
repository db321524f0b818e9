"""Details a patient adds right after a triage result are assessed with what they already said."""

from __future__ import annotations

import pytest

from assistant.events import UserText

pytestmark = pytest.mark.integration


async def test_details_after_a_result_reassess_instead_of_confusion(engine):
    first = await engine.handle(UserText(session_id=None, text="头痛三天了"))
    assert first.triage is not None and first.triage.level == "routine"
    sid = first.session_id
    age = await engine.handle(UserText(session_id=sid, text="35岁，女的"))
    assert age.intent == "triage" and age.triage is not None  # not "I didn't understand"
    assert age.triage.department == first.triage.department  # the headache is still the complaint
    more = await engine.handle(UserText(session_id=sid, text="有点恶心，没有吐"))
    assert more.triage is not None and more.triage.department == "neurology"
    # a new request is not swallowed by the follow-up
    booking = await engine.handle(UserText(session_id=sid, text="帮我挂神经内科的号"))
    assert booking.intent == "booking"


@pytest.mark.parametrize("detail", ["七十八了", "今年七十八", "男的"])
async def test_an_age_or_sex_said_without_岁_after_a_result_is_a_detail_not_confusion(engine, detail):
    first = await engine.handle(UserText(session_id=None, text="头晕两天了"))
    assert first.triage is not None and first.intent == "triage"
    after = await engine.handle(UserText(session_id=first.session_id, text=detail))
    assert after.intent == "triage", after.reply  # reassessed, not "I didn't understand"
    assert "没有完全理解" not in after.reply


@pytest.mark.parametrize(("detail", "level"), [
    ("不是突然的，是慢慢的", "urgent"),  # the answer to the result's own "如果是突然发生的" is a detail, not confusion
    ("突然就这样了", "emergency"),       # sudden unsteadiness in an elderly parent: stroke, at once
])
async def test_how_it_began_after_a_result_is_reassessed(engine, detail, level):
    first = await engine.handle(UserText(session_id=None, text="我妈妈75岁了，这两天老是头晕，走路不稳"))
    assert first.triage is not None and first.triage.level == "urgent" and "突然" in first.reply
    after = await engine.handle(UserText(session_id=first.session_id, text=detail))
    assert after.intent == "triage" and "没有完全理解" not in after.reply, after.reply
    assert after.triage is not None and after.triage.level == level
    assert after.escalated == (level == "emergency")


async def test_a_complaint_getting_worse_is_not_left_to_home_care(engine):
    steady = await engine.handle(UserText(session_id=None, text="孩子咳嗽三天了，没有加重，5岁"))
    assert steady.triage is not None and steady.triage.level == "self_care"
    worse = await engine.handle(UserText(session_id=None, text="孩子咳嗽三天了，5岁"))
    assert worse.triage is not None and worse.triage.level == "self_care"
    after = await engine.handle(UserText(session_id=worse.session_id, text="越来越重了"))
    assert after.triage is not None and after.triage.level == "routine" and after.triage.department == "pediatrics"
    said_at_once = await engine.handle(UserText(session_id=None, text="I have a runny nose for two days and it is getting worse"))
    assert said_at_once.triage is not None and said_at_once.triage.level != "self_care"


@pytest.mark.parametrize(("first", "decline", "said"), [
    ("头疼三天了", "不用了", "先不预约"),
    ("I have had a headache for 3 days", "no", "no booking for now"),
])
async def test_declining_the_offered_booking_is_understood(engine, first, decline, said):
    result = await engine.handle(UserText(session_id=None, text=first))
    assert result.triage is not None and result.triage.level == "routine"
    after = await engine.handle(UserText(session_id=result.session_id, text=decline))
    assert said in after.reply and "120" in after.reply, after.reply  # and still says when to seek care
    ok = await engine.handle(UserText(session_id=result.session_id, text="好的"))
    assert "没有完全理解" not in ok.reply and ok.intent != "booking", ok.reply  # the offer was declined


async def test_a_new_symptom_after_a_result_is_not_a_fee_question(engine):
    first = await engine.handle(UserText(session_id=None, text="我咳嗽好几天了"))
    after = await engine.handle(UserText(session_id=first.session_id, text="喘气有点费劲"))  # 费劲 is effort, not a fee
    assert after.intent == "triage" and after.triage is not None, after.reply


@pytest.mark.parametrize(("text", "level"), [
    ("I cant breathe", "emergency"),  # typed without the apostrophe
    ("pain in my lower right tummy, getting worse since last night", "urgent"),
])
async def test_english_typed_the_way_people_type(engine, text, level):
    reply = await engine.handle(UserText(session_id=None, text=text))
    assert reply.triage is not None and reply.triage.level == level, reply.reply


@pytest.mark.parametrize(("first", "detail"), [
    ("我腿抽筋", "晚上老抽"),          # when it happens
    ("肚子疼两天了", "没有拉黑的"),    # a warned-of sign denied by name
    ("头晕三天了", "在吃硝苯地平"),    # a medicine being taken
    ("I have had a headache for 2 days", "no fever"),
])
async def test_details_after_a_result_that_name_no_symptom_are_reassessed(engine, first, detail):
    result = await engine.handle(UserText(session_id=None, text=first))
    assert result.triage is not None and result.triage.level is not None, result.reply
    after = await engine.handle(UserText(session_id=result.session_id, text=detail))
    assert after.intent == "triage" and after.triage is not None, after.reply
    assert after.triage.department == result.triage.department  # the complaint is kept
    assert "没有完全理解" not in after.reply and "帮不上忙" not in after.reply and "didn't understand" not in after.reply


@pytest.mark.parametrize("decline", ["不用了", "不要", "不需要"])
async def test_a_plain_no_to_the_offered_booking_is_still_a_decline(engine, decline):
    result = await engine.handle(UserText(session_id=None, text="肚子疼两天了"))
    after = await engine.handle(UserText(session_id=result.session_id, text=decline))
    assert "先不预约" in after.reply, after.reply


async def test_no_just_dizzy_keeps_the_complaint(engine):
    first = await engine.handle(UserText(session_id=None, text="头晕"))
    assert first.triage is None  # a question comes first
    after = await engine.handle(UserText(session_id=first.session_id, text="没有，就是晕"))
    assert after.triage is not None and after.triage.department == "neurology", after.reply


@pytest.mark.parametrize(("answer", "lang"), [("没量过", "zh"), ("不知道", "zh"), ("haven't checked", "en")])
async def test_an_unknown_temperature_moves_the_interview_on(engine, answer, lang):
    first = await engine.handle(UserText(session_id=None, text="我发烧了" if lang == "zh" else "I have a fever"))
    after = await engine.handle(UserText(session_id=first.session_id, text=answer))
    assert after.intent == "triage"
    assert "多少度" not in after.reply and "temperature" not in after.reply, after.reply


async def test_an_interaction_question_is_refused_but_a_symptom_on_a_drug_is_triaged(engine):
    asked = await engine.handle(UserText(session_id=None, text="阿司匹林能不能和降压药一块吃"))
    assert asked.triage is None and "药师" in asked.reply and "用药咨询" in asked.reply
    bleeding = await engine.handle(UserText(session_id=None, text="我在吃阿司匹林，最近牙龈出血"))
    assert bleeding.triage is not None and bleeding.triage.level == "urgent"
