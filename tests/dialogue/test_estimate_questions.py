""""How much will insurance pay" goes to the estimate skill, which asks for the plan and the bill; a
passage that merely shares a word ("visit") is not an answer to it. General insurance questions the
documents answer are still answered from them."""

from __future__ import annotations

import pytest

from assistant.events import UserText

pytestmark = pytest.mark.integration


async def test_amount_questions_start_the_estimate_and_rule_questions_get_the_documents(kb_engine):
    for text, ask in (("医保能报多少", "职工医保还是居民医保"),
                      ("How much will insurance pay for my visit?", "employee insurance or resident insurance")):
        reply = await kb_engine.handle(UserText(session_id=None, text=text))
        assert reply.intent == "payment" and ask in reply.reply, reply.reply
        assert not reply.citations or all(c.doc_id == "insurance_and_payment" for c in reply.citations)
    rule = await kb_engine.handle(UserText(session_id=None, text="居民医保门诊能报吗"))
    assert rule.intent == "faq" and any(c.doc_id == "insurance_and_payment" for c in rule.citations), rule.reply
