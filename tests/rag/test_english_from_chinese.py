"""English questions about facts only the Chinese text states (the English summaries leave them out):
they are answered from the Chinese sentence, verbatim, under a short English note, while a question
the English summary answers keeps its English answer and an unanswerable one is still abstained on."""

from __future__ import annotations

import pytest

from rag.answer import FROM_CHINESE
from rag.knowledge import KnowledgeBase
from rag.synonyms import _entries, expand_query

# (question, document that holds the fact, the fact as the Chinese text writes it)
ONLY_IN_CHINESE = [
    ("What ID do I need to register?", "outpatient_guide", "护照"),
    ("Can I pay the deposit with a credit card?", "inpatient_guide", "银行卡"),
    ("Do you have an interpreter?", "elderly_and_accessibility", "会说英语的志愿者"),
    ("Can I get an invoice for private insurance?", "insurance_and_payment", "商业保险理赔"),
    ("Can I bring my guide dog?", "elderly_and_accessibility", "导盲犬"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("question", "doc", "fact"), ONLY_IN_CHINESE, ids=[q[0] for q in ONLY_IN_CHINESE])
async def test_an_english_question_is_answered_from_the_chinese_text(loaded_kb: KnowledgeBase, question: str,
                                                                     doc: str, fact: str) -> None:
    ans = await loaded_kb.answer(question, "en")
    assert not ans.abstained, (ans.confidence, ans.text)
    assert ans.text.startswith(FROM_CHINESE), ans.text
    assert fact in ans.text, ans.text
    assert doc in [c["doc_id"] for c in ans.citations], ans.citations


@pytest.mark.slow
async def test_what_the_english_summary_answers_stays_in_english(loaded_kb: KnowledgeBase) -> None:
    ans = await loaded_kb.answer("How much is the deposit for surgery?", "en")
    assert not ans.abstained and FROM_CHINESE not in ans.text, ans.text
    assert "10,000" in ans.text, ans.text


@pytest.mark.slow
@pytest.mark.parametrize("question", ["What is the WiFi password?", "Will it rain tomorrow?", "Do you accept Bitcoin?",
                                      "Where can I exchange foreign currency?"])
async def test_unanswerable_english_questions_are_still_abstained_on(loaded_kb: KnowledgeBase, question: str) -> None:
    ans = await loaded_kb.answer(question, "en")
    assert ans.abstained, ans.text


def test_english_words_for_chinese_facts_are_whole_words() -> None:
    assert "银行卡" in expand_query("Do you take cards?") and "现金" in expand_query("cash only?")
    assert "银行卡" not in expand_query("Where is cardiology?")  # not "card" inside a longer word
    assert "现金" not in expand_query("where is the cashier")
    assert "护照" in expand_query("Is my passport enough?") and "发票" in expand_query("an e-invoice")
    # the longest phrase wins: "bank card" is one entry, not a bank card and a card
    cards = [forms for key, forms in _entries("can i pay by bank card") if "银行卡" in forms]
    assert len(cards) == 1
