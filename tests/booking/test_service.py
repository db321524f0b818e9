"""The booking service and the built-in HIS store: rules, state machine, idempotency, holds, and the
database's own refusal of double booking (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from assistant.clock import TZ
from assistant.services.booking import PatientInfo
from assistant.store.booking_tables import AppointmentRow
from assistant.store.models import AuditLog

from .conftest import make_id

pytestmark = pytest.mark.integration

TUE = date(2026, 11, 24)
P1 = PatientInfo("张三", make_id("19800101", "123"), "13900001111")
P2 = PatientInfo("李四", make_id("19850505", "222"), "13900002222")


async def first_free(svc, doctor="DR002", d=TUE, session="AM"):
    return (await svc.available(doctor_id=doctor, dates=[d], session=session))[0]


async def test_slots_follow_the_schedule_fees_and_reserved_shares(service):
    slots = await service.his.list_slots(doctor_ids=["DR002"], dates=[TUE])
    assert len(slots) == 20 and {s.ref.session for s in slots} == {"AM"}  # DR002: Tuesday AM, 12-min slots, capacity 20
    assert slots[0].start == datetime(2026, 11, 24, 8, 0, tzinfo=TZ) and slots[-1].start == datetime(2026, 11, 24, 11, 48, tzinfo=TZ)
    assert all(s.fee == 35 for s in slots)
    pools = [s.pool for s in slots]
    assert pools.count("phone") == 4 and pools.count("walkin") == 4  # 20% + 20%
    web = await service.available(doctor_id="DR002", dates=[TUE])
    phone = await service.available(doctor_id="DR002", dates=[TUE], channel="phone")
    assert len(web) == 12 and len(phone) == 16
    # Emergency and the fever clinic take no appointments; night clinic only where scheduled.
    assert not service.takes_appointments("emergency") and not service.takes_appointments("fever_clinic")
    assert service.scheduled_sessions("general_practice", None, TUE) == ["AM", "PM", "NIGHT"]


async def test_hold_confirm_is_idempotent_and_audited(service, db):
    s = await first_free(service)
    a = await service.hold(s.key, P1, owner="o1", idempotency_key="k-1")
    b = await service.hold(s.key, P1, owner="o1", idempotency_key="k-1")
    assert a.ok and b.ok and a.appointment.appointment_id == b.appointment.appointment_id
    c1 = await service.confirm(a.appointment.appointment_id)
    c2 = await service.confirm(a.appointment.appointment_id)
    assert c1.appointment.status == c2.appointment.status == "confirmed"
    async with db.session() as sess:
        assert await sess.scalar(select(func.count()).select_from(AppointmentRow)) == 1
        acts = (await sess.execute(select(AuditLog.action).where(AuditLog.target_id == a.appointment.appointment_id))).scalars().all()
    assert acts.count("appointment.hold") == 1 and acts.count("appointment.confirmed") == 1


async def test_a_hold_expires_and_the_slot_goes_to_someone_else(service, clock):
    s = await first_free(service)
    a = await service.hold(s.key, P1, owner="o1")
    assert (await service.hold(s.key, P2, owner="o2")).reason == "slot_taken"
    clock.advance(minutes=service.hold_minutes + 1)
    b = await service.hold(s.key, P2, owner="o2")
    assert b.ok
    late = await service.confirm(a.appointment.appointment_id)
    assert not late.ok and late.reason == "hold_expired" and late.alternatives
    assert (await service.get(a.appointment.appointment_id)).status == "expired"


async def test_expired_hold_is_retaken_when_the_slot_is_still_free(service, clock):
    s = await first_free(service)
    a = await service.hold(s.key, P1, owner="o1")
    clock.advance(minutes=service.hold_minutes + 1)
    res = await service.confirm(a.appointment.appointment_id)
    assert res.ok and res.appointment.status == "confirmed" and res.appointment.slot_ref.key == s.key


async def test_the_database_refuses_double_booking_by_itself(service, db):
    s = await first_free(service)
    ok = await service.book(s.key, P1, owner="o1")
    assert ok.ok
    row = {c: getattr(ok.appointment, c) for c in ("doctor_id", "dept_id", "date", "session", "slot_index", "fee", "channel", "booked_by", "relationship")}
    now = datetime(2026, 11, 23, 2, 0)
    other = await service.book((await first_free(service, "DR003", date(2026, 11, 27))).key, P2, owner="o2")
    base = dict(row, start_local=ok.appointment.start.isoformat(), created_at=now, updated_at=now)
    # Same slot, another patient, written straight to the table: refused.
    with pytest.raises(IntegrityError):
        async with db.session() as sess, sess.begin():
            await sess.execute(insert(AppointmentRow).values(id="apt-x1", patient_id=other.appointment.patient_id, status="confirmed", **base))
    # Same patient, same department and day, another slot: refused.
    with pytest.raises(IntegrityError):
        async with db.session() as sess, sess.begin():
            await sess.execute(insert(AppointmentRow).values(id="apt-x2", patient_id=ok.appointment.patient_id, status="held", **dict(base, slot_index=19)))
    # A cancelled row does not block the slot.
    assert (await service.cancel(ok.appointment.appointment_id)).ok
    async with db.session() as sess, sess.begin():
        await sess.execute(insert(AppointmentRow).values(id="apt-x3", patient_id=other.appointment.patient_id, status="confirmed", **base))


async def test_release_window_past_and_same_day_cutoff(service, clock):
    assert service.bookable_dates()[-1] == date(2026, 11, 30)
    assert service.date_problem(date(2026, 12, 1)) == "not_released"
    assert service.date_problem(date(2026, 11, 22)) == "past"
    clock.set(datetime(2026, 11, 23, 7, 59, tzinfo=TZ))
    assert service.bookable_dates()[-1] == date(2026, 11, 29)
    clock.set(datetime(2026, 11, 23, 10, 30, tzinfo=TZ))
    today = await service.available(dept_id="cardiology", dates=[date(2026, 11, 23)])
    assert today and all(s.start > clock.now() for s in today)
    assert [s.start.strftime("%H:%M") for s in today if s.ref.session == "AM"] == ["10:45", "11:15", "11:45"]  # 11:00 and 11:30 are phone/walk-in reserve
    # Online booking of a session closes an hour before it ends: at 11:05 the morning is gone.
    clock.set(datetime(2026, 11, 23, 11, 5, tzinfo=TZ))
    assert not [s for s in await service.available(dept_id="cardiology", dates=[date(2026, 11, 23)]) if s.ref.session == "AM"]
    _, reason = await service.check_slot("DR001:2026-11-23:AM:15", "web")
    assert reason == "past"


async def test_no_show_suspension_blocks_online_but_not_phone(service, clock):
    from assistant.services.booking import rules

    assert rules.suspended_until([date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 20)], date(2026, 11, 23)) == date(2026, 12, 19)
    assert rules.suspended_until([date(2026, 1, 1), date(2026, 3, 1), date(2026, 11, 20)], date(2026, 11, 23)) is None
    for day in (date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)):
        r = await service.book((await service.available(dept_id="general_practice", dates=[day]))[0].key, P1, owner="o1")
        assert r.ok
        clock.set(datetime.combine(day, datetime.min.time(), TZ).replace(hour=20))
        assert (await service.record_outcome(r.appointment.appointment_id, "no_show")).ok
    clock.set(datetime(2026, 11, 27, 9, 0, tzinfo=TZ))
    s = (await service.available(dept_id="cardiology", dates=[date(2026, 11, 30)]))[0]
    web = await service.hold(s.key, P1, owner="o1", channel="web")
    assert web.reason == "suspended" and web.detail["until"] == date(2026, 12, 25)
    phone = await service.hold(s.key, P1, owner="o1", channel="phone")
    assert phone.ok


async def test_reschedule_is_atomic_and_respects_the_cancel_deadline(service, clock):
    s = await first_free(service)
    a = await service.book(s.key, P1, owner="o1")
    target = await first_free(service, "DR002", date(2026, 11, 25), "PM")
    moved = await service.reschedule(a.appointment.appointment_id, target.key)
    assert moved.ok and moved.appointment.rescheduled_from == a.appointment.appointment_id
    assert (await service.get(a.appointment.appointment_id)).status == "cancelled"
    clock.set(datetime(2026, 11, 24, 18, 1, tzinfo=TZ))
    late = await service.reschedule(moved.appointment.appointment_id, (await first_free(service, "DR002", date(2026, 11, 28))).key)
    assert late.reason == "cancel_too_late"
