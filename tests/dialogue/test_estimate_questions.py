""""How much will insurance pay" goes to the estimate skill, which asks for the plan and the bill; a
passage that merely shares a word ("visit") is not an answer to it. General insurance questions the
documents answer are still answered from them."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.app import build_engine, build_services
from assistant.clock import FixedClock
from assistant.events import UserText

pytestmark = pytest.mark.integration


async def test_amount_questions_start_the_estimate_and_rule_questions_get_the_documents(settings):
    services = await build_services(settings, clock=FixedClock(datetime(2026, 11, 23, 10, 0)))
    await services.kb.ensure_loaded()
    engine = build_engine(services)
    try:
        for text, ask in (("医保能报多少", "职工医保还是居民医保"),
                          ("How much will insurance pay for my visit?", "employee insurance or resident insurance")):
            reply = await engine.handle(UserText(session_id=None, text=text))
            assert reply.intent == "payment" and ask in reply.reply, reply.reply
            assert not reply.citations or all(c.doc_id == "insurance_and_payment" for c in reply.citations)
        rule = await engine.handle(UserText(session_id=None, text="居民医保门诊能报吗"))
        assert rule.intent == "faq" and any(c.doc_id == "insurance_and_payment" for c in rule.citations), rule.reply
    finally:
        await services.bus.close()
        await services.db.close()
