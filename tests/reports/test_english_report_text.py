"""English report explanations in US units: the department to take the report to is located in English,
and a heading said before the values ("My blood test: WBC 12.5") is not part of the first test's name."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.unit
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _explain(reader, text):
    return reader.interpret(reader.parse_text(text), lang="en")


@pytest.mark.parametrize("text,code,flag", [
    ("my glucose was 126 mg/dL, is that bad?", "GLU", "high"),
    ("hemoglobin 10.9 g/dL", "HGB", "low"),
    ("creatinine 1.4 mg/dL", "CREA", "high"),
])
def test_us_units_in_english_have_no_chinese(reader, text, code, flag):
    it = _explain(reader, text)
    assert [(j.code, j.flag) for j in it.items] == [(code, flag)], it.text
    assert "Please take the report to" in it.text and "Main campus, Building" in it.text, it.text
    assert not _CJK.search(it.text), it.text


def test_heading_before_values_is_not_a_test_name(reader):
    parsed = reader.parse_text("My blood test: WBC 12.5, hemoglobin 10.9 g/dL, platelets 450")
    assert [i.name for i in parsed.items][0] == "WBC", [i.name for i in parsed.items]
    parsed = reader.parse_text("lab results - glucose 126 mg/dL")
    assert [i.name for i in parsed.items] == ["glucose"]
