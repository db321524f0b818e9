"""How the extractive answerer picks its sentences, on small hand-made passages: question types map to
the documents' labels, a heading counts as its sentences' subject, a sentence sharing only a common
word is not added, retrieval strength weighs in, and a page repeating the same facts is cited rather
than quoted (issue #3)."""

from __future__ import annotations

import pytest

from rag.answer import extract, extractive_answer
from rag.synonyms import alternatives, expand_query, labels
from rag.types import Chunk, Hit

pytestmark = pytest.mark.unit


def hit(text: str, heading: tuple[str, ...], rank: int, score: float, doc: str = "guide") -> Hit:
    chunk = Chunk(chunk_id=f"{doc}#{rank:04d}", doc_id=doc, title=doc, heading_path=("指南", *heading), text=text)
    return Hit(chunk=chunk, score=score, rank=rank)


def test_question_types_expand_to_the_documents_labels() -> None:
    assert "出报告时间" in expand_query("CT报告多久能拿到")
    assert "出报告时间" in expand_query("拍完CT几个小时能取报告")
    assert "出报告时间" not in expand_query("CT报告在哪里打印")  # where, not when
    assert "report times" in expand_query("When will my CT results be ready?")
    assert "Monday-Friday" in expand_query("outpatient hours on weekdays")
    assert labels("发热门诊在哪", ["发热门诊"]) == [{"位置", "地点"}]


def test_a_colloquial_word_is_found_by_its_written_form_but_a_qualifier_is_not() -> None:
    assert "地铁" in alternatives("最近的地铁站是哪个", ["最近", "地铁站"])["地铁站"]
    assert "迟到" in alternatives("路上堵车迟到了", ["堵车", "迟到"])["堵车"]
    # "Emergency Department" names the department; it does not make "department" mean "emergency"
    assert "department" not in alternatives("Is the emergency department open?", ["emergency", "department"])["emergency"]


def test_a_sentence_whose_subject_is_its_heading_answers_where() -> None:
    hits = [hit("位置:5号楼1楼,从北门独立出入,24小时开放。接诊范围:体温≥37.3℃的患者,以及要求到发热门诊的患者。",
                ("发热门诊",), 1, 0.033)]
    draft = extract("发热门诊在哪", hits, "zh")
    assert draft is not None
    assert draft.text.startswith("位置:5号楼1楼"), draft.text
    assert "接诊范围" not in draft.text


def test_sentences_sharing_only_a_common_word_are_not_added() -> None:
    hits = [
        hit("检查检验项目：超声，门诊出报告时间：检查后30分钟内。检查检验项目：CT(平扫和增强)，门诊出报告时间：门诊24小时内。",
            ("出报告时间",), 1, 0.033, "exam"),
        hit("院内流程目标:到院后25分钟内完成头颅CT,进门到开始静脉溶栓的时间不超过60分钟。", ("卒中中心",), 2, 0.031, "er"),
    ]
    draft = extract("做完CT多久出报告", hits, "zh")
    assert draft is not None
    assert "24小时" in draft.text
    assert "超声" not in draft.text and "25分钟" not in draft.text, draft.text


def test_a_passage_only_one_retriever_found_counts_for_less() -> None:
    hits = [
        hit("地铁:2号线\"人民医院站\"A出口,步行约150米到南门。", ("公共交通",), 1, 0.0328, "transport"),
        hit("慢性病复诊:最近6个月内在本院线下就诊的患者,可以线上复诊。", ("复诊",), 2, 0.0161, "outpatient"),
    ]
    draft = extract("最近的地铁站是哪个", hits, "zh")
    assert draft is not None
    assert "2号线" in draft.text and "6个月" not in draft.text, draft.text


def test_a_page_repeating_the_same_facts_is_cited_not_quoted() -> None:
    hits = [
        hit("位置:5号楼1楼,从北门独立出入,24小时开放。", ("发热门诊",), 1, 0.033, "departments"),
        hit("位置和时间:5号楼1楼,从北门(北苑路)独立出入,24小时开放。", ("九、发热门诊",), 2, 0.032, "emergency"),
    ]
    ans = extractive_answer("发热门诊在哪", hits, "zh", 0.9)
    assert ans.text.count("5号楼1楼") == 1, ans.text
    assert [c["doc_id"] for c in ans.citations] == ["departments", "emergency"]
