"""Item extraction and flags on the ground-truth corpus: pasted text, FHIR JSON and PDFs (F1 ≥ 0.95)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from pdfgen import make_pdf  # noqa: E402
from scoring import CASES, Score, load_yaml  # noqa: E402

CRITICAL = ("critical_high", "critical_low")
TEXT = load_yaml("text_reports.yaml") + load_yaml("text_heldout.yaml")
FHIR = load_yaml("fhir_reports.yaml")
PDFS = load_yaml("pdf_reports.yaml")


def _check_critical(case, interp) -> None:
    truth_critical = [t for t in case["truth"] if t[2] in CRITICAL]
    msg = interp.json_message()
    if truth_critical:
        assert interp.critical, case["id"]
        assert msg["escalate"]["reason"] == "critical_value" and msg["escalate"]["priority"] == 1
        assert "急诊" in interp.text and "立即" in interp.text
        assert interp.department == "emergency"
    else:
        assert "escalate" not in msg, case["id"]


@pytest.mark.unit
def test_text_reports_f1(reader, capsys) -> None:
    score = Score()
    for case in TEXT:
        interp = reader.interpret(reader.parse_text(case["text"]), sex=case.get("sex"), age=case.get("age"))
        score.add(case["id"], case["truth"], interp.report_json["items"])
        _check_critical(case, interp)
        if "unjudged" in case:
            assert len(interp.unjudged) == case["unjudged"], case["id"]
    with capsys.disabled():
        print(f"\n{score.summary(f'text reports ({len(TEXT)})')}")
    assert len(TEXT) >= 25
    assert score.f1 >= 0.95, score.misses
    assert score.flag_accuracy >= 0.95, score.misses


@pytest.mark.unit
def test_fhir_reports_f1(reader, capsys) -> None:
    score = Score()
    for case in FHIR:
        obj = json.loads((CASES / "fhir" / case["file"]).read_text(encoding="utf-8"))
        parsed = reader.parse_fhir(obj)
        interp = reader.interpret(parsed)
        score.add(case["id"], case["truth"], interp.report_json["items"])
        _check_critical(case, interp)
        if "unreadable" in case:
            assert len(parsed.unreadable) == case["unreadable"], (case["id"], parsed.unreadable)
    with capsys.disabled():
        print(f"\n{score.summary(f'FHIR reports ({len(FHIR)})')}")
    assert score.f1 >= 0.95, score.misses
    assert score.flag_accuracy >= 0.95, score.misses


@pytest.mark.unit
def test_pdf_reports_f1(reader, capsys) -> None:
    score = Score()
    for case in PDFS:
        kwargs = {"col_x": case["cols"]} if "cols" in case else {}
        parsed = reader.parse_pdf(make_pdf(case["rows"], **kwargs))
        assert parsed.source == "pdf"
        interp = reader.interpret(parsed, sex=case.get("sex"))
        score.add(case["id"], case["truth"], interp.report_json["items"])
        _check_critical(case, interp)
    with capsys.disabled():
        print(f"\n{score.summary(f'PDF reports ({len(PDFS)})')}")
    assert score.f1 >= 0.95, score.misses


@pytest.mark.unit
def test_fhir_text_is_routed_from_parse_text(reader) -> None:
    raw = (CASES / "fhir" / "fhir-02-contained-chem.json").read_text(encoding="utf-8")
    parsed = reader.parse_text(raw)
    assert parsed.source == "fhir"
    assert {i.code for i in parsed.items} >= {"K", "NA", "CREA", "GLU"}


@pytest.mark.unit
def test_contract_item_shape(reader) -> None:
    interp = reader.interpret(reader.parse_text("白细胞计数 WBC 12.5 ↑ 10^9/L 3.5-9.5"))
    assert interp.report_json["items"] == [
        {"code": "WBC", "name": "白细胞计数", "value": 12.5, "unit": "10^9/L", "ref_low": 3.5, "ref_high": 9.5, "flag": "high"}
    ]
