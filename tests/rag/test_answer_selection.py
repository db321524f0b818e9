"""How the extractive answerer picks its sentences, on small hand-made passages: question types map to
the documents' labels, a heading counts as its sentences' subject, a sentence sharing only a common
word is not added, retrieval strength weighs in, and a page repeating the same facts is cited rather
than quoted (issue #3)."""

from __future__ import annotations

import pytest

from rag.answer import extract, extractive_answer
from rag.lexical import query_terms
from rag.synonyms import alternatives, expand_query, labels, topic_terms
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


def test_words_that_only_ask_for_a_time_or_fill_a_sentence_are_no_topic() -> None:
    # "下班" is written in the documents only as "时间" (a stop word): it asks for a closing time
    assert topic_terms(query_terms("中药房几点下班")) == ["中药房"]
    assert "还有" not in query_terms("周六下午还有门诊吗")
    assert "m" not in query_terms("What should I bring if I'm new here?")  # the "m" of "I'm"


def test_a_question_for_a_length_of_time_wants_a_duration_not_any_number() -> None:
    hits = [
        hit("为6岁以下儿童线上复诊开药时,监护人须全程在场。", ("线上复诊",), 1, 0.033, "online"),
        hit("用量限制:每张处方一般不超过4周(28天)用量。", ("电子处方",), 2, 0.032, "online"),
    ]
    draft = extract("网上看病最多能开几周的药", hits, "zh")
    assert draft is not None
    assert draft.best.startswith("用量限制"), draft.text


def test_a_phrase_split_by_its_question_finds_its_written_form() -> None:
    # "开几天的药" is a prescription (处方) as "开药" is; the pharmacy's opening hours are not
    alts = alternatives("医生能开几天的药", ["医生", "开", "药"])
    assert "处方" in alts["开"] and "处方" in alts["药"]
    assert "处方" in expand_query("网上开了什么药能送到家吗")
    assert "处方" not in expand_query("药房几点开门")


def test_a_summary_heading_names_no_subject() -> None:
    chunk = Chunk(chunk_id="care#0001", doc_id="care", title="care", heading_path=("指南", "English Summary"),
                  text="Volunteers and free wheelchairs are available. The AI assistant supports Mandarin and English.")
    draft = extract("Is there an English-speaking guide?", [Hit(chunk=chunk, score=0.03, rank=1)], "en")
    assert draft is not None
    assert draft.subject == ""
    assert draft.best.startswith("The AI assistant"), draft.text


def test_a_meal_named_by_its_time_of_day_is_the_documents_meal() -> None:
    # "晚上…饭" is 晚餐 as "晚饭" is; the documents write meals as 早餐 / 午餐 / 晚餐
    alts = alternatives("食堂晚上还卖饭吗", ["食堂", "晚上", "卖", "饭"])
    assert "晚餐" in alts["晚上"] and "晚餐" in alts["饭"]
    assert "午餐" in expand_query("中午在哪儿吃饭")
    assert "早餐" in expand_query("早饭几点开始")
    assert "晚餐" not in expand_query("晚上几点关门")  # no meal, no 晚餐
    hits = [hit("餐厅(3号楼负1楼):早餐06:30-09:00,午餐10:30-13:00,晚餐16:30-19:00。", ("餐饮",), 1, 0.03, "facilities")]
    assert "晚餐" in extract("晚上几点还有饭", hits, "zh").text


def test_how_long_something_is_valid_is_found_where_it_expires() -> None:
    assert "expire" in alternatives("Until when is my prescription valid?", ["prescription", "valid"])["valid"]
    assert "作废" in expand_query("处方的有效期是几天")
