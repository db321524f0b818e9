"""A question the intent classifier only guesses is for the documents (faq below the confidence it
acts on) is tried on the documents, as one it could not place is: answered when they ground an
answer, instead of "I didn't understand"."""

from __future__ import annotations

import pytest

from assistant.dialogue.manager import MIN_CONFIDENCE
from assistant.events import UserText

pytestmark = pytest.mark.integration


async def test_an_unsure_faq_guess_is_answered_from_the_documents(kb_engine):
    text = "两个院区之间有班车吗"
    guess = kb_engine.manager.nlu.parse(text)  # the premise: the classifier leans to faq but is not sure
    assert guess.intent == "faq" and guess.confidence < MIN_CONFIDENCE, guess
    reply = await kb_engine.handle(UserText(session_id=None, text=text))
    assert reply.intent == "faq", reply.reply
    assert "接驳车" in reply.reply
    assert "没有完全理解" not in reply.reply
    # what nothing grounds and no skill claims still gets the clarifying question, not a guess
    other = await kb_engine.handle(UserText(session_id=None, text="今天晚上会下雨吗"))
    assert other.intent == "out_of_scope" and not other.citations


async def test_yes_to_the_person_offered_with_i_dont_know_hands_over_but_only_next_turn(kb_engine):
    unknown = await kb_engine.handle(UserText(session_id=None, text="医院能开出国留学的体检证明吗"))
    assert "转人工" in unknown.reply and not unknown.citations, unknown.reply
    yes = await kb_engine.handle(UserText(session_id=unknown.session_id, text="好的"))
    assert yes.intent == "human" and yes.escalated, yes.reply
    again = await kb_engine.handle(UserText(session_id=None, text="医院能开出国留学的体检证明吗"))
    answered = await kb_engine.handle(UserText(session_id=again.session_id, text="停车怎么收费"))
    assert answered.citations
    later = await kb_engine.handle(UserText(session_id=again.session_id, text="好的"))  # a thank-you, not the old offer's yes
    assert not later.escalated and later.intent != "human", later.reply
