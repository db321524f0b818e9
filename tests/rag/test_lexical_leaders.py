"""A passage BM25 scores far above every other is read even when reciprocal-rank fusion, which sees only
ranks, puts it below passages both retrievers rank middling: the embedding can miss the one passage that
holds the question's rare word. The rule on small hand-made lists, then through the real knowledge base."""

from __future__ import annotations

import pytest

from rag.answer import READ_HITS, extract
from rag.knowledge import KnowledgeBase
from rag.retriever import _leaders
from rag.types import Chunk, Hit


def hit(text: str, heading: str, rank: int, score: float, doc: str, lead: bool = False) -> Hit:
    chunk = Chunk(chunk_id=f"{doc}#{rank:04d}", doc_id=doc, title=doc, heading_path=("指南", heading), text=text)
    return Hit(chunk=chunk, score=score, rank=rank, lexical_lead=lead)


@pytest.mark.unit
def test_leaders_are_the_front_of_a_bm25_list_well_ahead_of_the_rest() -> None:
    assert _leaders([("a", 10.3), ("b", 7.6), ("c", 4.8), ("d", 4.7)]) == ["a", "b"]
    assert _leaders([("a", 13.6), ("b", 6.4), ("c", 6.2)]) == ["a"]  # only the one ahead of the field
    assert _leaders([("a", 4.9), ("b", 4.4), ("c", 4.4), ("d", 3.8)]) == []  # a close field has no leader
    assert _leaders([("a", 2.0)]) == ["a"]
    assert _leaders([]) == []


@pytest.mark.unit
def test_a_leader_ranked_below_the_passages_read_first_is_read_too() -> None:
    filler = [hit(f"门诊{n}楼的开放时间是08:00-17:00。", "门诊", n, 0.030 - n * 0.001, f"doc{n}") for n in range(1, 8)]
    leader = hit("病区22:00关闭门禁,陪护人员请在此前返回病区。", "陪护", 8, 0.0164, "inpatient", lead=True)
    assert len(filler) > READ_HITS
    draft = extract("病区晚上几点关门禁", [*filler, leader], "zh")
    assert draft is not None and "22:00" in draft.text, draft
    # the same passage where fusion left it, but no leader: it is not read
    plain = hit(leader.chunk.text, "陪护", 8, 0.0164, "inpatient")
    draft = extract("病区晚上几点关门禁", [*filler, plain], "zh")
    assert draft is None or "22:00" not in draft.text, draft


# questions whose answering passage the embedding ranks low but BM25 ranks first by far
LEADS = [
    ("晚上几点病区关门禁", "zh", "inpatient_guide", "22:00"),
    ("病区夜里几点关门禁", "zh", "inpatient_guide", "22:00"),
    ("病区晚上几点关闭门禁", "zh", "inpatient_guide", "22:00"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("question", "lang", "doc", "fact"), LEADS, ids=[q[0] for q in LEADS])
async def test_a_passage_only_bm25_finds_answers(loaded_kb: KnowledgeBase, question: str, lang: str, doc: str,
                                                 fact: str) -> None:
    ans = await loaded_kb.answer(question, lang)
    assert not ans.abstained, (ans.confidence, ans.text)
    assert fact in ans.text, ans.text
    assert ans.citations[0]["doc_id"] == doc, ans.citations


@pytest.mark.slow
async def test_a_leader_does_not_make_an_unanswerable_question_answerable(loaded_kb: KnowledgeBase) -> None:
    for question, lang in (("医院有没有健身房", "zh"), ("Can I bring my dog into the ward?", "en")):
        ans = await loaded_kb.answer(question, lang)
        assert ans.abstained, ans.text
