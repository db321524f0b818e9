"""Whole booking conversations through the real engine (NLU, dialogue manager, form loop, actions,
store), Chinese and English, on SQLite and PostgreSQL: the issue's conversation, corrections at the
read-back, proxy booking, cancelling, moving, and the bad input the issue lists."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from assistant.clock import TZ, FixedClock
from assistant.services.booking.types import PatientInfo

from .conftest import NOW, make_id
from .engine_chat import Chat, appointments, count, start, stop

pytestmark = pytest.mark.integration

ADULT = make_id("19800101", "123")  # 330106198001011235
MOTHER = make_id("19520315", "246")  # 330106195203152462
CHILD = make_id("20180601", "135")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture(params=["sqlite", "postgresql"])
async def app(request, tmp_path, clock):
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    services, engine = await start(tmp_path / "data", clock, url)
    yield services, engine
    await stop(services)


@pytest.fixture
async def app_sqlite(tmp_path, clock):
    services, engine = await start(tmp_path / "data", clock)
    yield services, engine
    await stop(services)


async def book_zh(chat: Chat, *, name: str = "张三", idn: str = ADULT, phone: str = "13900001111", pick: str = "第二个"):
    await chat("明天上午心内科还有号吗")
    await chat(pick)
    await chat("给我自己挂")
    await chat(name)
    await chat(idn)
    held = await chat(phone)
    assert held.appointment["status"] == "held", held.reply
    return held


# ---- the issue's conversation ---------------------------------------------------------------------
async def test_zh_issue_conversation_end_to_end(app):
    services, engine = app
    chat = Chat(engine)
    r = await chat("明天上午心内科还有号吗")
    assert r.intent == "booking" and r.appointment is None
    assert "1. " in r.reply and "2. " in r.reply and "林若川副主任医师" in r.reply and "按对应的数字键" in r.reply
    r = await chat("第二个")
    assert "自己" in r.reply and "家人" in r.reply
    r = await chat("给我自己挂")
    assert "姓名" in r.reply
    r = await chat("张三")
    assert "身份证" in r.reply
    r = await chat(ADULT)
    assert "手机" in r.reply
    r = await chat("13900001111")
    assert r.intent == "booking" and r.appointment["status"] == "held"
    assert "您要挂的是心血管内科林若川副主任医师，11月24日（周二）上午8点12分，挂号费35元" in r.reply and r.reply.endswith("对吗？")
    assert r.appointment["start"] == "2026-11-24T08:12:00+08:00" and r.appointment["doctor_id"] == "DR002"
    assert await count(services, status="held") == 1
    r = await chat("对")
    assert r.appointment["status"] == "confirmed" and "预约成功" in r.reply and "11月23日18:00前" in r.reply
    # Online payment is not configured here: said plainly, and the fee is remembered for 我要缴费.
    assert "这个对话里暂时不能直接收款" in r.reply and "门诊缴费" in r.reply and "35元" in r.reply
    slots = await chat.slots()
    assert slots["payment_appointment"] == {"appointment_id": r.appointment["appointment_id"], "fee_cny": 35.0}
    assert slots.get("offer") is None and slots.get("slot") is None
    [row] = await appointments(services)
    assert (row.status, row.doctor_id, row.date, row.session, row.relationship) == ("confirmed", "DR002", date(2026, 11, 24), "AM", "self")
    r = await chat("我的预约有哪些")
    assert r.intent == "booking" and "11月24日（周二）上午8点12分" in r.reply and "林若川" in r.reply


async def test_en_booking_then_cancel(app):
    services, engine = app
    chat = Chat(engine, lang="en")
    r = await chat("Is there a cardiology slot tomorrow morning?")
    assert "Free slots in Cardiology" in r.reply and "1. " in r.reply
    r = await chat("the second one")
    assert "yourself or for a family member" in r.reply
    await chat("for myself")
    await chat("John Smith")
    await chat(ADULT)
    r = await chat("13900001111")
    assert r.appointment["status"] == "held" and "Is that right?" in r.reply and "patient John Smith" in r.reply
    r = await chat("yes")
    assert r.appointment["status"] == "confirmed" and "Booked!" in r.reply and "Free cancellation until 23 Nov 18:00" in r.reply
    assert "can't take the payment in this chat" in r.reply and "kiosk" in r.reply
    appt_id = r.appointment["appointment_id"]
    r = await chat("cancel my appointment")
    assert "Cancel the appointment of" in r.reply and r.appointment is None
    r = await chat("yes")
    assert r.appointment == {**r.appointment, "appointment_id": appt_id, "status": "cancelled"}
    assert "Cancelled" in r.reply and "nothing to refund" in r.reply
    assert await count(services, status="cancelled") == 1 and await count(services, status="confirmed") == 0
    assert (await chat.slots()).get("payment_appointment") is None


# ---- corrections at the read-back ------------------------------------------------------------------
async def test_zh_corrections_at_the_readback(app):
    services, engine = app
    chat = Chat(engine)
    await book_zh(chat, pick="第一个")
    # 不对，下午: the NLU gives deny + session; the afternoon is offered, the morning hold is released.
    r = await chat("不对，下午")
    assert r.appointment is None and "下午" in r.reply and "韩一鸣" in r.reply and "要改什么" not in r.reply
    assert await count(services, status="held") == 0 and await count(services, status="cancelled") == 1
    r = await chat("第一个")
    assert r.appointment["status"] == "held" and "韩一鸣住院医师，11月24日（周二）下午1点30分，挂号费15元" in r.reply
    # 不对，是后天: deny + date: the new date is taken, the slot list is for 11月25日.
    r = await chat("不对，是后天")
    assert "11月25日（周三）下午" in r.reply and "林若川" in r.reply and "要改什么" not in r.reply
    assert await count(services, status="held") == 0
    r = await chat("第二个")
    assert r.appointment["status"] == "held" and r.appointment["start"] == "2026-11-25T13:42:00+08:00"
    # 不是我，是给我妈挂: another patient, so name, ID and phone are asked again.
    r = await chat("不是我，是给我妈挂")
    assert "姓名" in r.reply and await count(services, status="held") == 0
    await chat("李秀英")
    await chat(MOTHER)
    r = await chat("13900003333")
    assert r.appointment["status"] == "held" and "就诊人李秀英（母亲）" in r.reply
    # 换成张医生: there is no Dr Zhang in cardiology: said so, who is there listed, the hold kept.
    r = await chat("换成张医生")
    assert "没有找到张医生" in r.reply and "沈知衡主任医师" in r.reply and "对" in r.reply
    assert await count(services, status="held") == 1
    # A bare 不对 asks what to change, and 对 then confirms what was read back.
    r = await chat("不对")
    assert "要改什么" in r.reply
    r = await chat("对")
    assert r.appointment["status"] == "confirmed" and r.appointment["start"] == "2026-11-25T13:42:00+08:00"
    rows = await appointments(services, status="confirmed")
    assert len(rows) == 1 and rows[0].relationship == "mother" and rows[0].doctor_id == "DR002"
    assert await count(services, status="held") == 0


async def test_zh_change_of_doctor_at_the_readback(app_sqlite):
    services, engine = app_sqlite
    chat = Chat(engine)
    await book_zh(chat)
    # 许静怡 has no Tuesday morning clinic: the read-back is dropped and her next free slots offered.
    r = await chat("换成许医生")
    assert "许静怡主治医师11月24日（周二）上午不出诊" in r.reply and "1. 许静怡主治医师" in r.reply
    assert await count(services, status="held") == 0
    r = await chat("第一个")
    assert r.appointment["status"] == "held" and r.appointment["doctor_id"] == "DR003" and "挂号费20元" in r.reply
    r = await chat("是的")
    assert r.appointment["status"] == "confirmed" and r.appointment["doctor_id"] == "DR003"


async def test_en_corrections_at_the_readback(app_sqlite):
    services, engine = app_sqlite
    chat = Chat(engine, lang="en")
    await chat("Is there a cardiology slot tomorrow morning?")
    await chat("the first one")
    await chat("for myself")
    await chat("John Smith")
    await chat(ADULT)
    r = await chat("13900001111")
    assert r.appointment["status"] == "held"
    r = await chat("No, make it the day after tomorrow")
    assert "Wed 25 Nov" in r.reply and "Free slots" in r.reply and "Tell me what to change" not in r.reply
    assert await count(services, status="held") == 0
    r = await chat("the first one")
    assert r.appointment["start"] == "2026-11-25T13:30:00+08:00"
    r = await chat("It's not for me, it's for my mother")
    assert "full name" in r.reply
    await chat("Mary Li")
    await chat(MOTHER)
    r = await chat("13900003333")
    assert "patient Mary Li (your mother)" in r.reply
    r = await chat("yes")
    assert r.appointment["status"] == "confirmed"
    [row] = await appointments(services, status="confirmed")
    assert row.relationship == "mother"


# ---- proxy booking, moving -------------------------------------------------------------------------
async def test_proxy_booking_for_a_parent(app):
    services, engine = app
    chat = Chat(engine)
    r = await chat("我想帮我妈挂后天眼科下午的号")
    # Ophthalmology has no Wednesday afternoon clinic; the morning is offered instead.
    assert "眼科11月25日（周三）下午不出诊" in r.reply and "1. 萧明哲主任医师" in r.reply
    r = await chat("第一个")
    assert "姓名" in r.reply  # the relationship came with the first message
    await chat("李秀英")
    await chat(MOTHER)
    r = await chat("13900003333")
    assert "就诊人李秀英（母亲）" in r.reply and r.appointment["status"] == "held"
    r = await chat("是的")
    assert r.appointment["status"] == "confirmed" and r.appointment["department"] == "ophthalmology"
    [row] = await appointments(services)
    assert row.relationship == "mother" and row.booked_by == chat.session_id
    # The next booking in this conversation offers the patients already used.
    await chat("再帮我挂一个明天上午心内科")
    r = await chat("第一个")
    assert "这次给谁挂号" in r.reply and "母亲 李**" in r.reply


async def test_move_an_appointment(app):
    services, engine = app
    chat = Chat(engine)
    await book_zh(chat)
    first = (await chat("对")).appointment
    r = await chat("我要改约")
    assert "为您改约11月24日（周二）上午8点12分" in r.reply and "您想哪天就诊" in r.reply
    r = await chat("改到12月1日")  # not released yet
    assert "还没有放出" in r.reply and "11月24日08:00放出" in r.reply
    r = await chat("11月28日")  # Saturday: DR002 works Saturday mornings
    assert "11月28日（周六）上午" in r.reply and "1. 林若川" in r.reply
    r = await chat("第三个")
    assert "要把11月24日（周二）上午8点12分" in r.reply and "改到心血管内科林若川副主任医师，11月28日（周六）" in r.reply
    r = await chat("对")
    assert "改约成功" in r.reply and r.appointment["status"] == "confirmed"
    old, new = await appointments(services, id=first["appointment_id"]), await appointments(services, status="confirmed")
    assert old[0].status == "cancelled" and len(new) == 1 and new[0].rescheduled_from == first["appointment_id"]
    assert new[0].date == date(2026, 11, 28)


# ---- bad input -------------------------------------------------------------------------------------
async def test_dates_in_the_past_and_beyond_the_window(app_sqlite):
    _, engine = app_sqlite
    r = await Chat(engine)("昨天的心内科")
    assert "11月22日（周日）已经过去了，不能预约" in r.reply and "11月23日（周一）到11月30日（周一）" in r.reply
    r = await Chat(engine)("帮我挂12月5日的心内科")
    assert r.intent == "booking" and "还没有放出" in r.reply and "11月28日08:00放出" in r.reply and "现在可以预约到11月30日" in r.reply


async def test_age_rules_both_ways(app_sqlite):
    services, engine = app_sqlite
    r = await Chat(engine)("我今年35岁，想挂儿科的号")
    assert "儿科只接诊0-13岁" in r.reply and "全科医学科" in r.reply
    assert r.reply.count("请告诉我要挂哪个科室") == 1 and "请问您要挂哪个科室" not in r.reply
    # A child's ID number in an adult clinic, found when the ID is given.
    chat = Chat(engine)
    await chat("明天上午心内科还有号吗")
    await chat("第一个")
    await chat("给我儿子挂")
    await chat("张小宝")
    r = await chat(CHILD)
    assert "就诊人8岁，心血管内科只接诊14岁及以上的患者" in r.reply and "儿科（0-13岁）" in r.reply
    # An adult's ID number in pediatrics.
    chat = Chat(engine)
    await chat("我要挂儿科")
    await chat("第二个")  # 11-24
    await chat("第一个")  # the morning
    await chat("第一个")
    await chat("给我自己挂")
    await chat("张三")
    r = await chat(ADULT)
    assert "就诊人46岁，儿科只接诊0-13岁" in r.reply
    assert await count(services) == 0


async def test_invalid_id_and_phone_then_corrected(app_sqlite):
    services, engine = app_sqlite
    chat = Chat(engine)
    await chat("明天上午心内科")
    await chat("第一个")
    await chat("我自己")
    await chat("王五")
    r = await chat("330106198001011234")  # wrong check digit
    assert "身份证号码不正确" in r.reply and "校验码" in r.reply
    r = await chat(ADULT)
    assert "手机" in r.reply
    r = await chat("1380000111")
    assert "手机号码格式不对" in r.reply and "11位" in r.reply
    r = await chat("13800001111")
    assert r.appointment["status"] == "held" and "就诊人王五" in r.reply
    assert await count(services, status="held") == 1


async def test_unknown_doctor_and_no_appointment_departments(app_sqlite):
    _, engine = app_sqlite
    r = await Chat(engine)("我要挂心内科的张医生")
    assert "没有找到张医生" in r.reply and "请问想挂哪位医生" in r.reply and "1. 沈知衡主任医师" in r.reply
    r = await Chat(engine)("我要预约急诊")
    assert "急诊科不需要预约" in r.reply and "4号楼" in r.reply


async def test_full_session_offers_the_next_free_slots(app_sqlite, hospital):
    services, engine = app_sqlite
    svc = services.booking
    d = date(2026, 11, 26)  # Thursday: DR001 (沈知衡) works the morning
    free = await svc.available(dept_id="cardiology", doctor_id="DR001", dates=[d], session="AM", channel="web")
    assert free
    for i, s in enumerate(free):
        res = await svc.book(s.key, PatientInfo(f"病人{i}", make_id("19700101", f"{100 + i:03d}"), "13900002222"), owner=f"o{i}", channel="web")
        assert res.ok, res.reason
    chat = Chat(engine)
    r = await chat("我要挂沈知衡11月26日上午的号")
    assert "11月26日（周四）上午的号已经约满了" in r.reply and "最近可以预约的号" in r.reply and "1. " in r.reply
    r = await chat("第一个")
    assert "自己" in r.reply  # the first of the next free slots was taken; whose appointment is next


async def test_second_appointment_same_patient_same_department_same_day(app):
    services, engine = app
    chat = Chat(engine)
    await book_zh(chat)
    assert (await chat("对")).appointment["status"] == "confirmed"
    r = await chat("再挂一个明天上午心内科")
    assert "1. " in r.reply
    await chat("第三个")
    r = await chat("1")  # 本人 张三, from the patients this conversation has booked for
    assert "就诊人当天在这个科室已经有预约" in r.reply and "同一就诊人同一天同一科室只能预约1个号" in r.reply
    assert "可以改约其他日期" in r.reply and "最近可以预约的号" in r.reply
    assert await count(services, status="confirmed") == 1 and await count(services, status="held") == 0


async def test_late_cancellation_is_refused(app, clock):
    services, engine = app
    chat = Chat(engine)
    await book_zh(chat)
    await chat("对")
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=TZ))  # after 18:00 the day before
    r = await chat("取消我的预约")
    assert "18:00以后不能再取消或改约" in r.reply and "挂号费不退并记爽约一次" in r.reply
    assert await count(services, status="confirmed") == 1 and await count(services, status="cancelled") == 0
    r = await chat("我要改约")
    assert "18:00以后不能再取消或改约" in r.reply


async def test_cancel_asked_in_the_middle_of_a_booking(app_sqlite):
    services, engine = app_sqlite
    chat = Chat(engine)
    await book_zh(chat)
    await chat("对")
    await chat("再挂一个后天下午心内科")
    r = await chat("取消预约")  # leaves the new booking and cancels the existing one
    assert "确定要取消11月24日（周二）上午8点12分" in r.reply
    r = await chat("是的")
    assert r.appointment["status"] == "cancelled"
    assert await count(services, status="confirmed") == 0
