"""Chunking: headings give each chunk its path; chunks end on sentence boundaries; tables become rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.chunking import chunk_document, split_sentences
from rag.ingest import load_markdown
from rag.types import LoadedDocument

pytestmark = pytest.mark.unit

ENDINGS = ("。", "！", "？", "；", ";", "!", "?", ".", "”", '"', ")", "）")


def test_sentences_split_on_chinese_ends_not_on_decimals_times_or_inside_brackets() -> None:
    text = "复印费每页0.5元。门诊08:00-12:00开放；急诊(24小时;不休息)开放！可以吗？Fee is 0.5 CNY. Open 24 h."
    assert split_sentences(text) == [
        "复印费每页0.5元。", "门诊08:00-12:00开放；", "急诊(24小时;不休息)开放！", "可以吗？", "Fee is 0.5 CNY.", "Open 24 h.",
    ]


def test_heading_path_and_whole_sentences(hospital_dir: Path) -> None:
    doc = load_markdown(hospital_dir / "docs" / "inpatient_guide.md")
    chunks = chunk_document(doc)
    assert len(chunks) > 5
    source = doc.text.replace("**", "")
    for c in chunks:
        assert c.heading_path[0] == "住院服务指南"
        assert c.doc_id == "inpatient_guide" and c.title.startswith("住院服务指南")
        for line in c.text.splitlines():
            # every line is whole: it ends a sentence, a table row or a lead-in, never mid-clause
            assert line.endswith((*ENDINGS, ":", "：")) or line in source, line
    visiting = [c for c in chunks if "探视" in c.heading]
    assert visiting and visiting[0].heading_path == ("住院服务指南", "四、探视")
    assert any("15:30-16:00" in c.text for c in visiting)
    deposit = next(c for c in chunks if c.heading.endswith("押金(预交金)"))
    assert "住院类别：外科系统手术住院，押金标准(元)：10,000。" in deposit.text


def test_no_sentence_is_cut_between_chunks(hospital_dir: Path) -> None:
    for md in sorted((hospital_dir / "docs").glob("*.md")):
        doc = load_markdown(md)
        for c in chunk_document(doc):
            last = c.text.rstrip().splitlines()[-1]
            assert last.endswith((*ENDINGS, ":", "：")), (md.name, c.chunk_id, last[-30:])


def test_english_summary_is_kept(hospital_dir: Path) -> None:
    chunks = chunk_document(load_markdown(hospital_dir / "docs" / "transport_and_facilities.md"))
    english = [c for c in chunks if c.heading_path[-1] == "English Summary"]
    assert english and any("BJDemo-Free" in c.text for c in english)
    assert any("40 CNY per 24 hours" in c.text for c in english)


def test_records_are_one_chunk_each() -> None:
    doc = LoadedDocument("t", "表", "", records=((("表", "甲"), "甲：1元。"), (("表", "乙"), "乙：2元。")))
    chunks = chunk_document(doc)
    assert [c.text for c in chunks] == ["甲：1元。", "乙：2元。"]
    assert all(c.kind == "record" for c in chunks)
    assert chunks[1].chunk_id == "t#0001" and chunks[1].heading_path == ("表", "乙")
