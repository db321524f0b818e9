"""Photographed reports through the packaged OCR model: rendered with Noto CJK, rotated, blurred,
compressed (F1 ≥ 0.9); every critical value escalates."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from render import render_photo  # noqa: E402
from scoring import Score, load_yaml  # noqa: E402

PHOTOS = load_yaml("photo_reports.yaml")
pytestmark = [pytest.mark.slow, pytest.mark.integration]


async def test_photo_reports_f1(reader, capsys) -> None:
    assert len(PHOTOS) >= 15
    score = Score()
    for case in PHOTOS:
        parsed = await reader.read_image(render_photo(case))
        assert parsed.source == "image"
        interp = reader.interpret(parsed, sex=case.get("sex"), age=case.get("age"))
        score.add(case["id"], case["truth"], interp.report_json["items"])
        if any(t[2].startswith("critical") for t in case["truth"]):
            assert interp.critical, case["id"]
            assert interp.json_message()["escalate"]["reason"] == "critical_value"
    with capsys.disabled():
        print(f"\n{score.summary(f'photo reports ({len(PHOTOS)})')}")
        for m in score.misses:
            print("   ", m)
    assert score.f1 >= 0.9, score.misses
    assert score.flag_accuracy >= 0.9, score.misses
