"""action_report through rasa-sdk's real Tracker and CollectingDispatcher."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant.actions.report import ActionReport
from assistant.clock import FixedClock
from assistant.services.container import Services
from assistant.services.reports import looks_like_report


def _tracker(text: str, lang: str = "zh", active_loop: str | None = None, slots: dict | None = None, **meta) -> Tracker:
    return Tracker(
        sender_id="s-test", slots=slots or {},
        latest_message={"text": text, "intent": {"name": "report", "confidence": 0.9}, "entities": [],
                        "metadata": {"lang": lang, "channel": "web", "session_id": "s-test", **meta}},
        events=[], paused=False, followup_action=None,
        active_loop={"name": active_loop} if active_loop else {}, latest_action_name=None,
    )


@pytest.fixture
def action(settings, hospital, reader) -> ActionReport:
    return ActionReport(Services(settings=settings, hospital=hospital,
                                 clock=FixedClock(datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai"))),
                                 reports=reader))


@pytest.mark.unit
async def test_pasted_report_with_critical_value(action) -> None:
    d = CollectingDispatcher()
    events = await action.run(d, _tracker("这个报告有问题吗\n钾 6.8 mmol/L 3.5-5.3\n血小板 15 10^9/L 125-350"), {})
    [msg] = d.messages
    jm = msg["custom"]
    assert {i["code"]: i["flag"] for i in jm["report"]["items"]} == {"K": "critical_high", "PLT": "critical_low"}
    assert jm["escalate"] == {"reason": "critical_value", "priority": 1, "summary": jm["escalate"]["summary"]}
    assert jm["intent"] == "report" and jm["citations"]
    assert "急诊" in msg["text"] and "120" in msg["text"]
    assert events == [{"event": "active_loop", "name": None, "timestamp": None}]


@pytest.mark.unit
async def test_normal_report_names_follow_up_department(action) -> None:
    d = CollectingDispatcher()
    await action.run(d, _tracker("TSH 8.6 mIU/L 0.27-4.2\nFT4 10.1 pmol/L 12-22"), {})
    jm = d.messages[0]["custom"]
    assert "escalate" not in jm and jm["report"]["department"] == "endocrinology"
    assert "内分泌科" in d.messages[0]["text"]


@pytest.mark.unit
async def test_asks_for_the_report_when_none_given(action) -> None:
    d = CollectingDispatcher()
    events = await action.run(d, _tracker("帮我看看化验单"), {})
    assert "粘贴" in d.messages[0]["text"] and "照片" in d.messages[0]["text"]
    assert events[0]["name"] == "action_report"
    # next turn in the loop carries the report
    d2 = CollectingDispatcher()
    events = await action.run(d2, _tracker("白细胞 12.5 血红蛋白 98", active_loop="action_report",
                                           slots={"sex": "F", "age": 30}), {})
    items = d2.messages[0]["custom"]["report"]["items"]
    assert {i["code"]: i["flag"] for i in items} == {"WBC": "high", "HGB": "low"}
    assert events[0]["name"] is None


@pytest.mark.unit
async def test_english_and_metadata_report_text(action) -> None:
    d = CollectingDispatcher()
    await action.run(d, _tracker("here it is", lang="en", report_text="Potassium 2.5 mmol/L 3.5-5.3"), {})
    msg = d.messages[0]
    assert msg["custom"]["report"]["items"][0]["flag"] == "critical_low"
    assert "URGENT" in msg["text"] and "Emergency" in msg["text"]


@pytest.mark.unit
def test_looks_like_report(reader) -> None:
    yes = ["白细胞 12.5", "我血钾6.8是不是很危险", "WBC 12.5 10^9/L 3.5-9.5", "ALT=88, AST=60",
           "血小板计数\t15\t10^9/L\t125-350", "HbA1c 7.8%"]
    no = ["这个报告有问题吗", "我想挂号", "我发烧38.5度两天了", "明天上午8点有号吗", "我今年45岁", "K", "白细胞高怎么办"]
    for t in yes:
        assert looks_like_report(t, reader), t
    for t in no:
        assert not looks_like_report(t, reader), t
