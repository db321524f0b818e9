"""The faq skill as a rasa-sdk action over the real knowledge base."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant.actions.faq import ActionFaq
from assistant.clock import FixedClock
from assistant.services.container import Services
from rag.knowledge import KnowledgeBase

pytestmark = pytest.mark.integration


def tracker(text: str, lang: str = "zh") -> Tracker:
    msg: dict[str, Any] = {"text": text, "intent": {"name": "faq", "confidence": 0.9}, "entities": [],
                           "metadata": {"lang": lang, "channel": "web", "session_id": "s-test"}}
    return Tracker("s-test", {}, msg, [], False, None, {}, "action_listen")


def services(kb: KnowledgeBase, hospital: Any) -> Services:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    clock = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    return Services(settings=kb.settings, hospital=hospital, clock=clock, kb=kb, llm=None)


async def test_answers_with_citations(loaded_kb: KnowledgeBase, hospital: Any) -> None:
    action = ActionFaq(services(loaded_kb, hospital))
    assert action.name() == "action_faq"
    d = CollectingDispatcher()
    assert await action.run(d, tracker("周六有门诊吗"), {}) == []
    [msg] = d.messages
    assert "周六" in msg["text"] and "08:00-12:00" in msg["text"]
    cites = msg["custom"]["citations"]
    assert cites[0]["doc_id"] == "outpatient_guide" and cites[0]["title"] and cites[0]["snippet"]
    assert msg["custom"]["intent"] == "faq"


async def test_abstains_and_offers_a_person_in_the_patients_language(loaded_kb: KnowledgeBase, hospital: Any) -> None:
    action = ActionFaq(services(loaded_kb, hospital))
    d = CollectingDispatcher()
    await action.run(d, tracker("明天天气怎么样"), {})
    assert "人工" in d.messages[0]["text"] and d.messages[0]["custom"]["citations"] == []
    d = CollectingDispatcher()
    await action.run(d, tracker("What's the weather like tomorrow?", "en"), {})
    assert "staff" in d.messages[0]["text"] and d.messages[0]["custom"]["citations"] == []
