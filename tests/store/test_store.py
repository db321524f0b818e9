"""The core store on SQLite and on the real PostgreSQL: migrations, seeding, turns, escalations, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from assistant.store import repo
from assistant.store.db import Database
from assistant.store.models import AuditLog, DepartmentRow, DoctorRow, ScheduleRow, Turn

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    database = Database(url)
    await database.migrate()
    yield database
    await database.close()


async def test_seed_loads_the_hospital_once(db, hospital):
    assert await repo.seed_hospital(db, hospital) is True
    assert await repo.seed_hospital(db, hospital) is False
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(DepartmentRow)) == len(hospital.departments)
        assert await s.scalar(select(func.count()).select_from(DoctorRow)) == len(hospital.doctors)
        assert await s.scalar(select(func.count()).select_from(ScheduleRow)) == len(hospital.schedule)
        ped = await s.get(DepartmentRow, "pediatrics")
        assert (ped.min_age, ped.max_age) == (0, 13)


async def test_turns_are_numbered_and_kept_with_state(db):
    sid = repo.new_session_id()
    await repo.create_conversation(db, sid, channel="web", lang="zh")
    for i in range(3):
        await repo.record_turn(
            db, sid, patient_text=f"问题{i}", patient_intent="faq", reply_text=f"回答{i}",
            reply_data={"n": i}, state={"slots": {"i": i}}, lang="zh",
        )
    turns = await repo.list_turns(db, sid)
    assert [t.seq for t in turns] == [1, 2, 3, 4, 5, 6]
    assert [t.role for t in turns[:2]] == ["patient", "assistant"]
    assert turns[-1].text == "回答2" and turns[-1].data == {"n": 2}
    conv = await repo.get_conversation(db, sid)
    assert conv.state == {"slots": {"i": 2}} and conv.turn_count == 6


async def test_escalation_opens_with_target_time_and_audit(db):
    sid = repo.new_session_id()
    await repo.create_conversation(db, sid, channel="wechat", lang="zh")
    esc_id = await repo.record_turn(
        db, sid, patient_text="胸口痛", patient_intent="triage", reply_text="请立即拨打120",
        reply_data={}, state={}, lang="zh", escalation={"reason": "red_flag", "priority": 1, "summary": "胸痛"},
    )
    assert esc_id and esc_id.startswith("esc-")
    [esc] = await repo.list_escalations(db)
    assert esc.id == esc_id and esc.priority == 1 and esc.channel == "wechat" and esc.status == "open"
    assert (esc.target_at - esc.created_at).total_seconds() == 120
    async with db.session() as s:
        rows = list(await s.scalars(select(AuditLog).where(AuditLog.target_id == esc_id)))
    assert [r.action for r in rows] == ["escalation_opened"]


async def test_audit_log_is_append_only_in_the_database(db):
    await repo.add_audit(db, actor="staff:alice", action="reveal_phone", target_type="conversation", target_id="s-1", reason="call back")
    async with db.session() as s:
        with pytest.raises(Exception, match="append-only"):
            await s.execute(update(AuditLog).values(actor="someone else"))
            await s.commit()
    async with db.session() as s:
        with pytest.raises(Exception, match="append-only"):
            await s.execute(delete(AuditLog))
            await s.commit()
    async with db.session() as s:
        assert await s.scalar(select(AuditLog.actor)) == "staff:alice"


async def test_turn_sequence_is_unique_per_conversation(db):
    sid = repo.new_session_id()
    await repo.create_conversation(db, sid, channel="web", lang="zh")
    async with db.session() as s:
        s.add(Turn(conversation_id=sid, seq=1, role="patient", text="a"))
        s.add(Turn(conversation_id=sid, seq=1, role="patient", text="b"))
        with pytest.raises(IntegrityError):
            await s.commit()


async def test_a_conversation_has_one_open_escalation_raised_by_later_reasons(db):
    sid = repo.new_session_id()
    await repo.create_conversation(db, sid, channel="web", lang="zh")
    first = await repo.record_turn(
        db, sid, patient_text="转人工", patient_intent="human", reply_text="好的", reply_data={}, state={}, lang="zh",
        escalation={"reason": "patient_request", "priority": 3, "summary": "要人工"},
    )
    second = await repo.record_turn(
        db, sid, patient_text="胸口剧痛出冷汗", patient_intent="triage", reply_text="请拨打120", reply_data={}, state={},
        lang="zh", escalation={"reason": "red_flag", "priority": 1, "summary": "胸痛"},
    )
    assert second == first
    [esc] = await repo.list_escalations(db)
    assert (esc.priority, esc.reason, esc.summary) == (1, "red_flag", "胸痛")
    assert esc.details["further_reasons"] == ["red_flag"]
    assert (esc.target_at - esc.created_at).total_seconds() == 120
