"""The evaluation harness: suite schema, judges, figures and the gate, and the CLI end to end."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from eval.judges import judge_json, judge_turn
from eval.metrics import apply_gate, compute, load_thresholds, wilson
from eval.suite import SUITES_DIR, load_suite

CLI = [sys.executable, "-m", "assistant.cli"]


@pytest.mark.unit
@pytest.mark.parametrize("path", sorted(SUITES_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_suite_file_is_valid(path):
    suite = load_suite(path)
    assert suite.cases, f"{path.name} has no cases"


@pytest.mark.unit
def test_judge_reports_each_structured_mismatch():
    reply = {
        "intent": "faq", "reply": "请到急诊科", "escalated": False,
        "triage": {"level": "urgent", "department": "cardiology", "red_flags": []},
        "citations": [{"doc_id": "outpatient_guide"}],
    }
    fails = judge_turn(
        {"intent": "triage", "triage": {"level": "emergency", "department": ["emergency"]}, "escalated": True,
         "citations_include": ["emergency_and_fever"], "red_flags_include": ["stroke"], "reply_must": ["120"],
         "reply_must_not": ["急诊"]},
        reply,
    )
    text = " | ".join(fails)
    for needle in ("intent", "triage level", "department", "escalated", "citation", "red flag", "lacks /120/", "forbidden"):
        assert needle in text
    assert judge_turn({"intent": ["faq", "triage"], "triage": {"level": "urgent"}}, reply) == []


@pytest.mark.unit
def test_judge_json_compares_money_to_the_fen():
    assert judge_json({"fund_pays": 127.32, "nested": {"a": 1}}, {"fund_pays": 127.32, "nested": {"a": 1.0}}) == []
    assert judge_json({"fund_pays": 127.32}, {"fund_pays": 127.33}) == ["fund_pays 127.33, expected 127.32"]


@pytest.mark.unit
def test_wilson_interval():
    lo, hi = wilson(50, 50)
    assert hi == pytest.approx(1.0) and 0.92 < lo < 0.94
    lo, hi = wilson(0, 0)
    assert (lo, hi) == (0.0, 1.0)


def _result(level_expected, level_got, dept=None):
    return {
        "suite": "triage", "case": f"c{level_expected}{level_got}{dept}", "kind": "turn", "latency": 0.01,
        "expect": {"triage": {"level": level_expected, **({"department": dept} if dept else {})}},
        "reply": {"triage": {"level": level_got, "department": dept}}, "fails": [],
    }


@pytest.mark.unit
def test_gate_fails_on_one_missed_emergency():
    thresholds = load_thresholds()
    good = [_result("emergency", "emergency") for _ in range(30)] + [_result("routine", "routine") for _ in range(30)]
    figs = compute(good)
    assert apply_gate(figs, thresholds) is True
    bad = good[:-1] + [_result("emergency", "urgent")]
    figs = compute(bad)
    assert apply_gate(figs, thresholds) is False
    recall = next(f for f in figs if f.name == "emergency_recall")
    assert recall.passed is False and recall.n == 31


@pytest.mark.unit
def test_gate_fails_on_over_triage():
    results = [_result("routine", "emergency") for _ in range(2)] + [_result("routine", "routine") for _ in range(8)]
    figs = compute(results)
    assert apply_gate(figs, load_thresholds()) is False
    assert next(f for f in figs if f.name == "over_triage").value == pytest.approx(0.2)


@pytest.mark.integration
def test_eval_cli_writes_report_and_compares_with_previous(tmp_path):
    report = tmp_path / "report"
    run = subprocess.run(
        [*CLI, "eval", "--suite", "core", "--report", str(report), "--gate", "--data-dir", str(tmp_path / "d")],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    data = json.loads((report / "report.json").read_text())
    assert data["gate_passed"] is True and data["figures"]["case_pass_rate"]["value"] == 1.0
    html = (report / "index.html").read_text()
    assert "Safety evaluation" in html and "data:image/png;base64," in html
    run2 = subprocess.run(
        [*CLI, "eval", "--suite", "core", "--report", str(report), "--data-dir", str(tmp_path / "d")],
        capture_output=True, text=True, timeout=600,
    )
    assert run2.returncode == 0
    assert (report / "previous.json").exists()
    again = json.loads((report / "report.json").read_text())
    assert again["figures"]["case_pass_rate"]["previous"] == 1.0


@pytest.mark.integration
def test_gate_fails_the_build_when_a_threshold_is_missed(tmp_path):
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "bad.yaml").write_text(
        "suite: bad\ncases:\n  - id: b1\n    turns:\n      - text: 你好\n        expect: {triage: {level: emergency}}\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [*CLI, "eval", "--suites-dir", str(suites), "--report", str(tmp_path / "r"), "--gate", "--data-dir", str(tmp_path / "d")],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "emergency_recall" in run.stdout and "FAIL" in run.stdout
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["gate_passed"] is False and data["failures"][0]["case"] == "b1"
