"""The staff desk on the store: channel delivery (WeChat sender), events on the bus, ownership rules
for message / hand-back / close, assignment; the masking and reveal references; the eval export
read back by the evaluation harness's own loader."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from assistant.clock import Clock
from assistant.errors import AppError
from assistant.session.bus import TOPIC_ESCALATIONS, MemoryBus, session_topic
from assistant.staff.auth import StaffAccounts, StaffIdentity
from assistant.staff.desk import StaffDesk
from assistant.staff.masking import mask_with_refs, reveal
from assistant.staff.queue import Queue
from assistant.store import repo
from assistant.store.db import Database
from eval.export import collect_cases, write_suite
from eval.suite import load_suite

NURSE = StaffIdentity("nurse0", "nurse", 0)
DOCTOR = StaffIdentity("doctor0", "doctor", 0)
ADMIN = StaffIdentity("admin0", "admin", 0)


@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}")
    await database.migrate()
    accounts = StaffAccounts(database, Clock())
    for who in (NURSE, DOCTOR, ADMIN):
        await accounts.create(who.username, "password-123", who.role)
    yield database
    await database.close()


async def _escalation(db, text="转人工", channel="web", reason="patient_request", priority=3, triage=None):
    sid = repo.new_session_id()
    await repo.create_conversation(db, sid, channel=channel, lang="zh")
    eid = await repo.record_turn(db, sid, patient_text=text, patient_intent="human", reply_text="好的",
                                 reply_data={"triage": triage} if triage else {}, state={}, lang="zh",
                                 escalation={"reason": reason, "priority": priority, "summary": text})
    return sid, eid


class Collector:
    def __init__(self, bus: MemoryBus, topic: str) -> None:
        self.items: list[dict] = []
        self._task = asyncio.ensure_future(self._run(bus, topic))

    async def _run(self, bus, topic):
        async for item in bus.subscribe(topic):
            self.items.append(item)

    async def stop(self):
        await asyncio.sleep(0.05)
        self._task.cancel()


@pytest.mark.integration
async def test_wechat_messages_go_through_the_registered_sender(db):
    sent: list[tuple[str, str]] = []

    async def wechat_sender(session_id: str, text: str) -> None:
        sent.append((session_id, text))

    bus = MemoryBus()
    desk = StaffDesk(db, bus, Clock(), {"wechat": wechat_sender})
    sid, eid = await _escalation(db, channel="wechat")
    patient = Collector(bus, session_topic(sid))
    consoles = Collector(bus, TOPIC_ESCALATIONS)
    await asyncio.sleep(0)
    await desk.takeover(NURSE, eid)
    out = await desk.message(NURSE, eid, "您好，我是护士小王", display_name="王护士")
    assert out["delivered"] == {"bus": True, "wechat": True}
    assert sent == [(sid, "您好，我是护士小王")]
    await desk.handback(NURSE, eid)
    await desk.close(NURSE, eid, "handled")
    await patient.stop()
    await consoles.stop()
    kinds = [m["type"] for m in patient.items]
    assert kinds == ["notice", "staff", "handback", "closed"]
    staff_event = patient.items[1]
    assert staff_event["text"] == "您好，我是护士小王" and staff_event["from"] == "nurse0" and staff_event["staff_name"] == "王护士"
    assert [m["status"] for m in consoles.items] == ["taken_over", "assigned", "closed"]


@pytest.mark.integration
async def test_a_failing_channel_keeps_the_message_and_says_so(db):
    async def broken(session_id: str, text: str) -> None:
        raise ConnectionError("api.weixin.qq.com unreachable")

    desk = StaffDesk(db, MemoryBus(), Clock(), {"wechat": broken})
    sid, eid = await _escalation(db, channel="wechat")
    await desk.takeover(NURSE, eid)
    out = await desk.message(NURSE, eid, "请稍等")
    assert out["delivered"]["wechat"] is False and "stored" in out["delivered"]["error"]
    assert [t.role for t in await repo.list_turns(db, sid)] == ["patient", "assistant", "staff"]


@pytest.mark.integration
async def test_only_the_owner_acts_and_an_admin_may_close_for_them(db):
    desk = StaffDesk(db, MemoryBus(), Clock())
    _, eid = await _escalation(db)
    with pytest.raises(AppError) as e:
        await desk.message(NURSE, eid, "hi")
    assert e.value.code == "not_taken_over" and e.value.status == 409
    await desk.takeover(NURSE, eid)
    for call in (desk.message(DOCTOR, eid, "hi"), desk.handback(DOCTOR, eid), desk.close(DOCTOR, eid, "handled")):
        with pytest.raises(AppError) as e:
            await call
        assert e.value.status == 409
    with pytest.raises(AppError) as e:
        await desk.assign(DOCTOR, eid, "nobody")
    assert e.value.status == 422
    with pytest.raises(AppError) as e:
        await desk.close(NURSE, eid, "shrug")
    assert e.value.code == "bad_disposition"
    await desk.close(ADMIN, eid, "no_action")
    with pytest.raises(AppError) as e:
        await desk.takeover(DOCTOR, eid)
    assert e.value.status == 409
    with pytest.raises(AppError) as e:
        await desk.takeover(DOCTOR, "esc-missing")
    assert e.value.status == 404


@pytest.mark.integration
async def test_urgency_order_is_priority_then_longest_waiting(db):
    _, low_old = await _escalation(db, reason="patient_request", priority=3)
    _, high = await _escalation(db, text="胸口剧痛", reason="red_flag", priority=1)
    _, low_new = await _escalation(db, reason="low_confidence", priority=3)
    _, closed = await _escalation(db, reason="crisis", priority=1)
    await StaffDesk(db, MemoryBus(), Clock()).close(NURSE, closed, "handled")
    q = Queue(db, Clock())
    assert [e["escalation_id"] for e in await q.list(order="urgency")] == [high, low_old, low_new, closed]
    assert [e["escalation_id"] for e in await q.list()] == [closed, low_new, high, low_old]
    active = await q.list(statuses=["open", "assigned", "taken_over"], order="urgency")
    assert closed not in [e["escalation_id"] for e in active]


@pytest.mark.unit
def test_masks_carry_references_that_reveal_the_right_number():
    text = "我的手机13812345678，另一个+86 139-1234-5678，身份证11010119900307777X，家里010-8888-1234"
    masked, numbers = mask_with_refs(text, 7)
    for clear in ("13812345678", "139-1234-5678", "11010119900307777X", "8888-1234"):
        assert clear not in masked
    assert [n["kind"] for n in numbers] == ["mobile", "mobile", "id_number", "landline"]
    assert [n["ref"] for n in numbers] == ["7:0", "7:1", "7:2", "7:3"]
    assert reveal(text, "7:2").value == "11010119900307777X"
    assert reveal(text, "7:1").value == "139-1234-5678"
    assert reveal(text, "7:9") is None and reveal(text, "x:1") is None
    assert mask_with_refs("没有号码", 1) == ("没有号码", [])


@pytest.mark.integration
async def test_export_writes_a_suite_the_harness_loads(db, tmp_path: Path):
    desk = StaffDesk(db, MemoryBus(), Clock())
    _, wrong = await _escalation(db, text="转人工 13812345678")
    _, missed = await _escalation(db, text="我头疼得厉害，想找人问问", reason="low_confidence")
    _, confirmed = await _escalation(db, text="胸口压着疼出冷汗", reason="red_flag", priority=1,
                                     triage={"level": "emergency", "department": "emergency", "red_flags": ["chest_pain"]})
    _, booked = await _escalation(db, text="那个我想看看那个医生", reason="repeated_misunderstanding")
    _, nothing = await _escalation(db, text="转人工", reason="payment_problem")
    for eid, disposition in ((wrong, "wrong_escalation"), (missed, "referred_to_emergency"), (confirmed, "handled"),
                             (booked, "booked"), (nothing, "no_action")):
        await desk.close(NURSE, eid, disposition)
    cases = {c["id"]: c for c in await collect_cases(db)}
    key = lambda e: "staff-" + e.removeprefix("esc-")  # noqa: E731
    assert set(cases) == {key(wrong), key(missed), key(confirmed), key(booked)}
    assert cases[key(wrong)]["turns"][-1] == {"text": "转人工 138****5678", "expect": {"escalated": False}}
    assert cases[key(missed)]["turns"][-1]["expect"] == {"escalated": True, "triage": {"level": "emergency"}}
    assert "missed_red_flag" in cases[key(missed)]["tags"]
    assert cases[key(confirmed)]["turns"][-1]["expect"] == {"escalated": True, "red_flags_include": ["chest_pain"]}
    assert cases[key(booked)]["turns"][-1]["expect"] == {"intent": "booking"}
    assert len(await collect_cases(db, include_confirmed=False)) == 3
    path = tmp_path / "staff_dispositions.yaml"
    assert await write_suite(db, path) == 4
    suite = load_suite(path)
    assert suite.name == "staff_dispositions" and len(suite.cases) == 4
    assert all(case.turns[-1].expect for case in suite.cases)
