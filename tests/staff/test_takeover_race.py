"""Two staff taking over the same conversation at once: one wins (200), the other gets 409, on SQLite
and on the real PostgreSQL — over HTTP, and at the store level with separate buses (as two server
processes would have), where only the conditional UPDATE stands between them."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select
from staff_helpers import DOCTOR, NURSE, start_staff_server

from assistant.clock import Clock
from assistant.errors import AppError
from assistant.session.bus import MemoryBus
from assistant.staff.auth import StaffIdentity
from assistant.staff.desk import StaffDesk
from assistant.store import repo
from assistant.store.db import Database
from assistant.store.models import AuditLog, Conversation

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return None  # the server's default SQLite file under its data dir
    return request.getfixturevalue("pg_url")


async def test_concurrent_takeover_requests_one_wins_one_conflicts(tmp_path, database_url):
    with start_staff_server(tmp_path / "data", database_url) as srv:
        nurse, doctor = srv.login(NURSE), srv.login(DOCTOR)
        async with httpx.AsyncClient(base_url=srv.base, timeout=60) as c:
            for _ in range(4):
                esc = (await c.post("/api/v1/chat", json={"text": "转人工"})).json()
                eid = esc["escalation_id"]
                a, b = await asyncio.gather(
                    c.post(f"/api/v1/staff/escalations/{eid}/takeover", headers=nurse),
                    c.post(f"/api/v1/staff/escalations/{eid}/takeover", headers=doctor),
                )
                assert sorted([a.status_code, b.status_code]) == [200, 409], (a.text, b.text)
                winner = (a if a.status_code == 200 else b).json()["taken_over_by"]
                loser = b if a.status_code == 200 else a
                assert loser.json()["error"]["code"] == "already_taken_over" and winner in loser.json()["error"]["message"]
                entry = (await c.get(f"/api/v1/staff/escalations/{eid}", headers=nurse)).json()
                assert entry["taken_over_by"] == winner and entry["assigned_to"] == winner


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'race.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    database = Database(url)
    await database.migrate()
    yield database
    await database.close()


async def test_the_database_alone_keeps_one_owner_among_many(db):
    """Eight staff on eight 'processes' (own buses, so no shared lock) race for one conversation."""
    sid = repo.new_session_id()
    await repo.create_conversation(db, sid, channel="web", lang="zh")
    eid = await repo.record_turn(db, sid, patient_text="转人工", patient_intent="human", reply_text="好的", reply_data={},
                                 state={}, lang="zh", escalation={"reason": "patient_request", "priority": 3})
    staff = [StaffIdentity(f"nurse{i}", "nurse", 0) for i in range(8)]
    desks = [StaffDesk(db, MemoryBus(), Clock()) for _ in staff]

    async def attempt(desk: StaffDesk, who: StaffIdentity) -> str:
        try:
            await desk.takeover(who, eid)
            return "won"
        except AppError as exc:
            assert exc.status == 409, exc.message
            return "lost"

    results = await asyncio.gather(*(attempt(d, s) for d, s in zip(desks, staff, strict=True)))
    assert sorted(results) == ["lost"] * 7 + ["won"]
    winner = staff[results.index("won")].username
    async with db.session() as s:
        conv = await s.get(Conversation, sid)
        assert conv.status == "taken_over" and conv.taken_over_by == winner
        audits = list(await s.scalars(select(AuditLog).where(AuditLog.action == "conversation_taken_over")))
    assert [a.actor for a in audits] == [f"staff:{winner}"]


async def test_staff_messages_and_patient_turns_never_clash_on_sequence(db):
    """Staff messages and the patient's turns during a takeover keep one gap-free sequence."""
    sid = repo.new_session_id()
    await repo.create_conversation(db, sid, channel="web", lang="zh")
    eid = await repo.record_turn(db, sid, patient_text="转人工", patient_intent="human", reply_text="好的", reply_data={},
                                 state={}, lang="zh", escalation={"reason": "patient_request", "priority": 3})
    bus = MemoryBus()
    desk = StaffDesk(db, bus, Clock())
    nurse = StaffIdentity("nurse0", "nurse", 0)
    await desk.takeover(nurse, eid)

    async def patient(i: int) -> None:
        async with bus.lock(sid):  # what Engine.handle holds around its turn
            await repo.record_turn(db, sid, patient_text=f"患者{i}", patient_intent="human", reply_text=None,
                                   reply_data={}, state={}, lang="zh")

    jobs = [patient(i) for i in range(6)] + [desk.message(nurse, eid, f"护士{i}") for i in range(6)]
    await asyncio.gather(*jobs)
    turns = await repo.list_turns(db, sid)
    assert [t.seq for t in turns] == list(range(1, 15))
    assert sorted(t.text for t in turns if t.role == "staff") == [f"护士{i}" for i in range(6)]
    assert len([t for t in turns if t.role == "patient"]) == 7
