"""action_triage through rasa-sdk's real Tracker and dispatcher: emergency, interview loop, hand-off to booking."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant.actions.triage import ActionTriage
from assistant.clock import FixedClock
from assistant.safety.guard import guard_reply
from assistant.services.container import Services
from eval.suite import load_suite
from tests.triage.suite_runner import SUITES

pytestmark = pytest.mark.unit


def _tracker(text: str, lang: str = "zh", slots: dict | None = None, loop: str | None = None) -> Tracker:
    return Tracker(
        sender_id="t1", slots=slots or {},
        latest_message={"text": text, "intent": {"name": "triage", "confidence": 1.0}, "entities": [],
                        "metadata": {"lang": lang, "channel": "web", "session_id": "s1"}},
        events=[], paused=False, followup_action=None, active_loop={"name": loop} if loop else {}, latest_action_name=None,
    )


@pytest.fixture
def services(settings, hospital):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    clock = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    return Services(settings=settings, hospital=hospital, clock=clock)


async def _run(action, tracker):
    d = CollectingDispatcher()
    events = await action.run(d, tracker, {})
    return d.messages, events


async def test_stroke_is_an_emergency_at_once(services):
    messages, events = await _run(ActionTriage(services), _tracker("我爸说话突然不清楚了，嘴有点歪"))
    msg = messages[0]
    payload = msg["custom"]
    assert payload["triage"] == {"level": "emergency", "department": "emergency", "red_flags": ["stroke"]}
    assert payload["escalate"]["reason"] == "red_flag" and payload["escalate"]["priority"] == 1
    assert {c["doc_id"] for c in payload["citations"]} == {"emergency_and_fever"}
    assert "120" in msg["text"] and "4号楼" in msg["text"] and "溶栓" in msg["text"]
    assert "卒中" in msg["text"]
    assert {"event": "active_loop", "name": None} in [{k: e.get(k) for k in ("event", "name")} for e in events]
    assert guard_reply(msg["text"], "zh").changed is False


async def test_english_chest_pain_emergency(services):
    messages, _ = await _run(ActionTriage(services), _tracker("I have crushing chest pain and I'm sweating", "en"))
    text = messages[0]["text"]
    assert "120" in text and "Building 4" in text and "chest pain center" in text.lower()


async def test_interview_then_level_and_booking_offer(services):
    action = ActionTriage(services)
    messages, events = await _run(action, _tracker("孩子发烧38度5，精神还可以，两天了"))
    assert messages[0]["text"] == "请问孩子多大了?"
    state = next(e["value"] for e in events if e.get("name") == "triage_state")
    assert any(e.get("event") == "active_loop" and e.get("name") == "action_triage" for e in events)
    messages, events = await _run(action, _tracker("5岁", slots={"triage_state": state}, loop="action_triage"))
    payload = messages[0]["custom"]
    assert payload["triage"]["department"] == "pediatrics"
    assert payload["triage"]["level"] in ("urgent", "routine", "self_care")
    assert "6号楼" in messages[0]["text"] and "发热门诊" in messages[0]["text"]
    assert any(e.get("name") == "department" and e.get("value") == "pediatrics" for e in events)
    assert any(e.get("event") == "active_loop" and e.get("name") is None for e in events)
    assert "预约儿科" in payload["choices"][0]


async def test_fever_clinic_is_not_offered_for_booking(services):
    messages, events = await _run(ActionTriage(services), _tracker("发烧39度5，浑身酸痛"))
    assert messages[0]["custom"]["triage"]["department"] == "fever_clinic"
    assert "choices" not in messages[0]["custom"]
    assert not any(e.get("name") == "department" for e in events)


@pytest.mark.eval
async def test_guard_leaves_every_triage_reply_alone(services):
    action = ActionTriage(services)
    changed = []
    for name in ("triage", "triage_tricky"):
        for case in load_suite(SUITES / f"{name}.yaml").cases:
            state, loop = None, None
            for turn in case.turns:
                messages, events = await _run(action, _tracker(turn.text, turn.lang or "zh", {"triage_state": state}, loop))
                for m in messages:
                    r = guard_reply(m["text"], turn.lang or "zh", turn.text)
                    if r.changed:
                        changed.append((case.id, r.violations, m["text"][:80]))
                state = next((e["value"] for e in events if e.get("name") == "triage_state"), None)
                loop = "action_triage" if state else None
    assert not changed
