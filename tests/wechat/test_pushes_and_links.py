"""Pushes outside a conversation (template messages), the user → patient link after a confirmed
booking, and the retry inbox on real Redis (shared between processes)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from assistant.clock import Clock
from assistant.store.booking_tables import AppointmentRow, PatientRow
from assistant.store.db import Database
from assistant.store.models import Conversation
from integrations.wechat import notices, sessions
from integrations.wechat.adapter import WeChatAdapter
from integrations.wechat.client import WeChatClient
from integrations.wechat.inbox import DEFERRED, PENDING, REPLIED, MemoryInbox, RedisInbox

from .fake_wechat import fake_wechat_server


@pytest.mark.integration
async def test_template_pushes_for_appointment_and_report(settings, hospital):
    doctor = next(iter(hospital.doctors.values()))
    appt = {"appointment_id": "A-1001", "status": "confirmed", "department": doctor.dept_id,
            "doctor_id": doctor.doctor_id, "start": "2026-11-24T09:30:00+08:00"}
    data = notices.appointment_confirmation(appt, hospital, patient_name="张*")
    assert data["keyword2"] == hospital.departments[doctor.dept_id].name_zh
    assert doctor.name in data["keyword3"] and data["keyword4"] == "2026-11-24 09:30"
    ready = notices.report_ready("血常规", "2026-11-24 15:00", keys={"keyword2": "keyword3x"})
    assert "keyword3x" in ready and "keyword2" not in ready
    with fake_wechat_server() as fake:
        state = SimpleNamespace(engine=None, services=SimpleNamespace(settings=settings, clock=Clock(), db=None, bus=None))
        adapter = WeChatAdapter(state, MemoryInbox(), WeChatClient(fake.appid, fake.secret, fake.base_url))
        try:
            assert await adapter.push_template("o-user", "TPL_APPT", data, url="https://example.org/a/A-1001")
            assert await adapter.push_template("o-user", "TPL_REPORT", ready)
            assert not await adapter.push_template("o-user", "", ready)  # WeChat's 40037 is logged, not raised
        finally:
            await adapter.close()
    assert [m["template_id"] for m in fake.template_messages] == ["TPL_APPT", "TPL_REPORT"]
    assert fake.template_messages[0]["data"]["keyword5"] == {"value": "A-1001"}


@pytest.mark.integration
async def test_confirmed_booking_links_the_wechat_user_to_the_patient(settings, hospital):
    settings.ensure_dirs()
    db = Database(settings.resolved_database_url)
    await db.migrate()
    doctor = next(iter(hospital.doctors.values()))
    try:
        async with db.session() as s:
            s.add(Conversation(id="s-wx-1", channel="wechat", lang="zh", state={}, external_user="wechat:o-abc"))
            s.add(PatientRow(id="P-1", name="张三", id_number="110101199003074514", phone="13800000000"))
            await s.flush()
            s.add(AppointmentRow(id="A-1", patient_id="P-1", doctor_id=doctor.doctor_id, dept_id=doctor.dept_id,
                                 date=date(2026, 11, 24), session="am", slot_index=0,
                                 start_local="2026-11-24T08:00:00+08:00", fee=Decimal("20.00"),
                                 status="confirmed", booked_by="wechat:o-abc"))
            await s.commit()
        assert await sessions.find_session(db, "o-abc") == "s-wx-1"
        held = {"appointment_id": "A-1", "status": "held"}
        assert await sessions.link_patient_from_reply(db, "s-wx-1", held) is None  # not confirmed yet
        assert await sessions.patient_of(db, "o-abc") is None
        confirmed = {"appointment_id": "A-1", "status": "confirmed"}
        assert await sessions.link_patient_from_reply(db, "s-wx-1", confirmed) == "P-1"
        assert await sessions.patient_of(db, "o-abc") == "P-1"
        assert await sessions.link_patient_from_reply(db, "s-wx-1", {"appointment_id": "nope", "status": "confirmed"}) is None
    finally:
        await db.close()


@pytest.mark.unit
async def test_memory_inbox_retry_waits_for_the_first_delivery():
    inbox = MemoryInbox()
    assert await inbox.claim("k") and not await inbox.claim("k")
    waiter = asyncio.create_task(inbox.wait("k", 5))
    await asyncio.sleep(0.05)
    assert not waiter.done()
    await inbox.finish("k", REPLIED, "答复")
    entry = await waiter
    assert entry.status == REPLIED and entry.text == "答复"
    assert (await inbox.wait("missing", 0.01)) is None


@pytest.mark.integration
async def test_redis_inbox_is_shared_between_processes(redis_url):
    prefix = f"pa-test:{secrets.token_hex(4)}"
    a, b = RedisInbox(redis_url, prefix=prefix), RedisInbox(redis_url, prefix=prefix)  # two "processes"
    try:
        assert await a.claim("msg:o:text:1")
        assert not await b.claim("msg:o:text:1")
        assert (await b.get("msg:o:text:1")).status == PENDING
        waiter = asyncio.create_task(b.wait("msg:o:text:1", 5))
        await asyncio.sleep(0.1)
        await a.finish("msg:o:text:1", DEFERRED)
        assert (await waiter).status == DEFERRED
        await a.touch_user("o", 1000.0)
        await b.touch_user("o", 900.0)  # an older time never moves the window back
        assert await b.last_seen("o") == 1000.0
    finally:
        await a.close()
        await b.close()
