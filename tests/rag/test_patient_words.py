"""Patients' words for what the documents write otherwise, through the real knowledge base over the
sample hospital: a meal named by its time of day (晚上…饭 -> 晚餐) and a prescription's validity (valid ->
expire, 有效期 -> 作废). The table entries themselves are tested in test_answer_selection.py."""

from __future__ import annotations

import pytest

from rag.knowledge import KnowledgeBase

pytestmark = pytest.mark.slow

# (question, language, document that holds the fact, the fact)
WORDS = [
    ("食堂晚上还卖饭吗", "zh", "transport_and_facilities", "16:30-19:00"),
    ("晚上几点还有饭", "zh", "transport_and_facilities", "16:30-19:00"),
    ("How long does an online prescription stay valid?", "en", "internet_hospital", "72 hours"),
    ("处方的有效期是几天", "zh", "internet_hospital", "72小时"),
]


@pytest.mark.parametrize(("question", "lang", "doc", "fact"), WORDS, ids=[w[0] for w in WORDS])
async def test_patient_words_find_the_written_fact(loaded_kb: KnowledgeBase, question: str, lang: str, doc: str,
                                                   fact: str) -> None:
    ans = await loaded_kb.answer(question, lang)
    assert not ans.abstained, (ans.confidence, ans.text)
    assert fact in ans.text, ans.text
    assert ans.citations[0]["doc_id"] == doc, ans.citations
