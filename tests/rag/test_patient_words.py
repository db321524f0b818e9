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
    ("增强CT做完要多喝水吗", "zh", "exam_preparation", "多饮水"),  # 喝水 -> 饮水, and after, not before, the scan
    # an English visitor: the fee of a visit is the consultation fee; who speaks English is the assistant
    ("How much does it cost to see a doctor?", "en", "outpatient_guide", "chief physician 50 CNY"),
    ("Do you have anyone who speaks English?", "en", "elderly_and_accessibility", "supports Mandarin and English"),
]


@pytest.mark.parametrize(("question", "lang", "doc", "fact"), WORDS, ids=[w[0] for w in WORDS])
async def test_patient_words_find_the_written_fact(loaded_kb: KnowledgeBase, question: str, lang: str, doc: str,
                                                   fact: str) -> None:
    ans = await loaded_kb.answer(question, lang)
    assert not ans.abstained, (ans.confidence, ans.text)
    assert fact in ans.text, ans.text
    assert ans.citations[0]["doc_id"] == doc, ans.citations


async def test_a_question_about_after_a_procedure_is_not_answered_by_what_comes_before_it(loaded_kb: KnowledgeBase) -> None:
    before = await loaded_kb.answer("做胃镜前要注意什么", "zh")
    assert "检查前禁食" in before.text, before.text
    after = await loaded_kb.answer("做完胃镜多久能吃饭", "zh")  # the documents say nothing about eating after it
    assert "检查前禁食" not in after.text and "餐厅" not in after.text, after.text


def test_which_side_of_a_procedure() -> None:
    from rag.answer import _AFTER, _BEFORE, _wrong_side

    q = "做完胃镜多久能吃饭"
    assert _AFTER.search(q) and not _BEFORE.search(q)
    assert _wrong_side(True, False, "胃镜:检查前禁食8小时、禁水2小时。")
    assert not _wrong_side(True, False, "无痛胃肠镜当天:检查后24小时内不要开车。")
    assert not _wrong_side(False, True, "胃镜:检查前禁食8小时、禁水2小时。")
    assert _wrong_side(False, True, "检查后在候诊区观察30分钟。")
    assert not _wrong_side(False, False, "检查后在候诊区观察30分钟。")
