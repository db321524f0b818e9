"""Whole booking conversations (Chinese and English) driven through the form actions, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from assistant.store.booking_tables import AppointmentRow
from assistant.store.models import AuditLog

from .conftest import make_id
from .formloop import FormLoop

pytestmark = pytest.mark.integration

ADULT = make_id("19800101", "123")
MOTHER = make_id("19520315", "246")
CHILD = make_id("20180601", "135")


async def _count(db, **where) -> int:
    async with db.session() as s:
        q = select(func.count()).select_from(AppointmentRow)
        for k, v in where.items():
            q = q.where(getattr(AppointmentRow, k) == v)
        return await s.scalar(q)


async def book_zh(loop: FormLoop, *, choice: int = 2, who: str = "self", name: str = "张三", idn: str = ADULT, phone: str = "13900001111"):
    r = await loop.say("明天上午心内科还有号吗", intent="booking", date="2026-11-24", session="AM", department="cardiology")
    await loop.say(f"第{choice}个", intent="choose", choice=choice)
    await loop.say("给我自己挂" if who == "self" else "给我妈挂", relationship=who)
    await loop.say(name, person_name=name)
    await loop.say(idn, id_number=idn)
    held = await loop.say(phone, phone=phone)
    done = await loop.say("对", intent="affirm")
    return r, held, done


async def test_zh_booking_lists_numbered_slots_reads_back_and_confirms(services, db):
    loop = FormLoop(services, sender="s-zh")
    r = await loop.say("明天上午心内科还有号吗", intent="booking", date="2026-11-24", session="AM", department="cardiology")
    assert "1. " in r.text and "2. " in r.text and "林若川" in r.text and "按对应的数字键" in r.text
    assert len(r.choices) >= 2 and r.choices[1]["n"] == 2
    second = r.choices[1]["value"]
    r = await loop.say("第二个", intent="choose", choice=2)
    assert "自己" in r.text and "家人" in r.text
    r = await loop.say("给我自己挂", relationship="self")
    assert "姓名" in r.text
    r = await loop.say("张三", person_name="张三")
    assert "身份证" in r.text
    r = await loop.say(ADULT, id_number=ADULT)
    assert "手机" in r.text
    r = await loop.say("13900001111", phone="13900001111")
    assert "心血管内科" in r.text and "挂号费" in r.text and "对吗" in r.text and "11月24日" in r.text
    assert r.appointment["status"] == "held" and r.appointment["department"] == "cardiology"
    assert r.appointment["start"].startswith("2026-11-24T") and r.appointment["start"].endswith("+08:00")
    assert await _count(db, status="held") == 1
    r = await loop.say("对", intent="affirm")
    assert "预约成功" in r.text and "1号楼" in r.text and "11月23日18:00前" in r.text
    assert r.appointment["status"] == "confirmed"
    assert r.appointment["doctor_id"] == second.split(":")[0]
    assert loop.active_loop is None and loop.slots.get("slot") is None
    assert await _count(db, status="confirmed") == 1 and await _count(db) == 1
    async with db.session() as s:
        actions = (await s.execute(select(AuditLog.action).where(AuditLog.target_type == "appointment"))).scalars().all()
    assert "appointment.hold" in actions and "appointment.confirmed" in actions


async def test_en_booking_with_a_correction_of_the_date(services, db):
    loop = FormLoop(services, sender="s-en", lang="en")
    r = await loop.say("I'd like to see a cardiologist on Tuesday morning", intent="booking", department="cardiology", date="2026-11-24", session="AM")
    assert "Free slots" in r.text and "1. " in r.text
    await loop.say("the first one", intent="choose", choice=1)
    assert loop.slots["slot"].startswith("DR002:2026-11-24")
    # Correction: the date changes, the chosen slot is dropped and asked again for the new day.
    r = await loop.say("no, make it Wednesday", intent="deny", date="2026-11-25")
    assert loop.slots["date"] == "2026-11-25" and loop.slots["slot"] is None
    # Wednesday cardiology: DR002 PM only, so the session moves to the afternoon.
    assert loop.slots["session"] == "PM" and "Free slots" in r.text
    await loop.say("1", intent="choose", choice=1)
    await loop.say("for me", relationship="self")
    await loop.say("Li Lei", person_name="Li Lei")
    await loop.say(ADULT, id_number=ADULT)
    r = await loop.say("13900002222", phone="13900002222")
    assert "Is that right?" in r.text and "Wed 25 Nov" in r.text and r.appointment["status"] == "held"
    r = await loop.say("yes", intent="affirm")
    assert r.appointment["status"] == "confirmed" and r.appointment["start"].startswith("2026-11-25T13:30")
    assert "Booked!" in r.text


async def test_proxy_booking_for_a_parent_and_reuse_of_the_family_list(services, db):
    loop = FormLoop(services, sender="s-proxy", user_id="wx-openid-1")
    _, held, done = await book_zh(loop, who="mother", name="李秀英", idn=MOTHER, phone="13900003333")
    assert "就诊人李秀英（母亲）" in held.text
    assert done.appointment["status"] == "confirmed"
    async with db.session() as s:
        row = (await s.execute(select(AppointmentRow))).scalar_one()
    assert row.relationship == "mother" and row.booked_by == "wx-openid-1"
    # A later booking from the same account offers the family members already added.
    loop2 = FormLoop(services, sender="s-proxy-2", user_id="wx-openid-1")
    await loop2.say("后天眼科", intent="booking", department="ophthalmology", date="2026-11-26", session="PM")
    r = await loop2.say("第一个", intent="choose", choice=1)
    assert "母亲 李**" in r.text and "其他家人" in r.text
    r = await loop2.say("1", intent="choose", choice=1)
    assert loop2.slots["id_number"] == MOTHER and "对吗" in r.text and r.appointment["status"] == "held"


async def test_cancel_and_reschedule(services, db, clock):
    loop = FormLoop(services, sender="s-move")
    _, _, done = await book_zh(loop)
    first_id = done.appointment["appointment_id"]
    # Move it: 改到后天 → the form runs again with the patient kept.
    r = await loop.say("帮我改到后天", intent="reschedule", date="2026-11-25")
    assert "改约" in r.text and loop.active_loop == "booking_form"
    assert "1. " in r.text  # slots of the new day listed (DR002 Wednesday afternoon)
    r = await loop.say("第一个", intent="choose", choice=1)
    assert "改到" in r.text and "对吗" in r.text
    r = await loop.say("是的", intent="affirm")
    assert "改约成功" in r.text and r.appointment["status"] == "confirmed"
    moved_id = r.appointment["appointment_id"]
    assert moved_id != first_id and r.appointment["start"].startswith("2026-11-25")
    assert await _count(db, id=first_id, status="cancelled") == 1 and await _count(db, status="confirmed") == 1
    # What have I booked?
    r = await loop.say("我约了什么", intent="my_appointments")
    assert "11月25日" in r.text and "林若川" in r.text
    # Cancel it, with an explicit yes.
    r = await loop.say("取消预约", intent="cancel")
    assert "确定要取消" in r.text and r.appointment is None
    r = await loop.say("是", intent="affirm")
    assert "已取消" in r.text and r.appointment == {**r.appointment, "appointment_id": moved_id, "status": "cancelled"}
    assert await _count(db, status="confirmed") == 0


async def test_cancel_after_1800_the_day_before_is_refused(services, db, clock):
    from datetime import datetime

    from assistant.clock import TZ

    loop = FormLoop(services, sender="s-late")
    await book_zh(loop)
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=TZ))
    r = await loop.say("我要取消明天的号", intent="cancel")
    assert "18:00以后不能再取消" in r.text and "爽约" in r.text and r.appointment is None
    assert await _count(db, status="confirmed") == 1


async def test_bad_inputs_get_clear_replies(services, db):
    loop = FormLoop(services, sender="s-bad")
    r = await loop.say("我要挂急诊", intent="booking", department="emergency")
    assert "不需要预约" in r.text and "4号楼" in r.text and loop.active_loop is None
    loop = FormLoop(services, sender="s-bad2")
    r = await loop.say("上周一心内科", intent="booking", department="cardiology", date="2026-11-16")
    assert "已经过去" in r.text and "11月30日" in r.text
    r = await loop.say("12月5日", date="2026-12-05")
    assert "还没有放出" in r.text and "11月28日08:00" in r.text
    r = await loop.say("周四", date="2026-11-26")
    assert loop.slots["date"] == "2026-11-26"
    r = await loop.say("找王大夫", doctor="DR999")
    assert "没有找到这位医生" in r.text and "沈知衡" in r.text
    await loop.say("上午", session="AM")
    await loop.say("1", intent="choose", choice=1)
    await loop.say("本人", relationship="self")
    await loop.say("王五", person_name="王五")
    r = await loop.say("330106198001011234", id_number_invalid="330106198001011234")
    assert "身份证号码不正确" in r.text and loop.slots["id_number"] is None
    await loop.say(ADULT, id_number=ADULT)
    r = await loop.say("1390000", phone_invalid="1390000")
    assert "手机号码格式不对" in r.text
    r = await loop.say("13900004444", phone="13900004444")
    assert r.appointment["status"] == "held"


async def test_age_limits_child_in_adult_clinic_and_adult_in_pediatrics(services, db):
    loop = FormLoop(services, sender="s-age")
    await loop.say("明天上午心内科", intent="booking", department="cardiology", date="2026-11-24", session="AM")
    await loop.say("1", intent="choose", choice=1)
    await loop.say("给孩子挂", relationship="child")
    await loop.say("小明", person_name="小明")
    r = await loop.say(CHILD, id_number=CHILD)
    assert "8岁" in r.text and "儿科" in r.text and loop.slots["department"] is None
    r = await loop.say("儿科", department="pediatrics")
    assert "儿科" in r.text and "1. " in r.text  # Tuesday morning pediatrics slots
    await loop.say("1", intent="choose", choice=1)
    r = await loop.say("13900005555", phone="13900005555")
    assert r.appointment["status"] == "held" and r.appointment["department"] == "pediatrics"
    loop = FormLoop(services, sender="s-age2")
    r = await loop.say("我35岁，挂儿科", intent="booking", department="pediatrics", age=35)
    assert "只接诊0-13岁" in r.text and "全科医学科" in r.text


async def test_full_session_and_second_appointment_same_day(services, db):
    from assistant.services.booking import PatientInfo

    svc = services.booking
    # Fill every online slot of cardiology on Tuesday morning.
    from datetime import date

    for i, s in enumerate(await svc.available(dept_id="cardiology", dates=[date(2026, 11, 24)], session="AM")):
        pid = make_id("19700101", f"{100 + i:03d}")  # one patient per slot (hash() is salted per run and collided)
        res = await svc.book(s.key, PatientInfo("某人" + s.key[-2:], pid, "13900009999"), owner=f"o-{s.key}")
        assert res.ok, res.reason
    loop = FormLoop(services, sender="s-full")
    r = await loop.say("明天上午心内科", intent="booking", department="cardiology", date="2026-11-24", session="AM")
    assert "约满" in r.text and "最近可以预约的号" in r.text and r.choices
    offered = r.choices[0]["value"]
    assert not offered.startswith("DR002:2026-11-24:AM")
    await loop.say("第一个", intent="choose", choice=1)
    assert loop.slots["slot"] == offered and loop.slots["requested_slot"] == "patient_relationship"


async def test_second_appointment_same_department_same_day_is_refused(services, db):
    # Second appointment in the same department and day for the same patient.
    loop = FormLoop(services, sender="s-dup")
    await book_zh(loop)
    loop2 = FormLoop(services, sender="s-dup-2")
    await loop2.say("明天上午心内科", intent="booking", department="cardiology", date="2026-11-24", session="AM")
    await loop2.say("1", intent="choose", choice=1)
    await loop2.say("本人", relationship="self")
    await loop2.say("张三", person_name="张三")
    r = await loop2.say(ADULT, id_number=ADULT)
    assert "同一就诊人同一天同一科室只能预约1个号" in r.text and "可以改约其他日期" in r.text
