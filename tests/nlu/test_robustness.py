"""parse and extract_entities never raise, whatever the patient (or a broken client) sends."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.nlu import IntentRouter, extract_entities

pytestmark = pytest.mark.unit

JUNK = [
    "",
    " ",
    "\n\t",
    "😀😀😀🙏",
    "\x00\x01\x02\x1b[31m",
    "a" * 5000,
    "头疼" * 2500,
    "１２３４５６７８９０" * 300,
    "ＡＢＣ挂号",
    "مرحبا 你好 привет",
    "\u202eRTL\u202c",
    "\ud7ff\ue000\uffff",
    "𠀀𠀁𪚥",
    "1" * 5000,
    "第" * 100 + "个",
    "月" * 50 + "号",
    "11月" * 300,
    "9点" * 500,
    "身份证" + "1" * 30,
    "+" * 100 + "86",
    "<script>alert(1)</script>",
    "'; DROP TABLE turns; --",
    '{"text": null}',
    "零一二三四五六七八九十百千" * 50,
]


def _check(router: IntentRouter, text: str) -> None:
    res = router.parse(text)
    assert res.intent in router.intents or res.intent == "out_of_scope"
    assert 0.0 <= res.confidence <= 1.0
    assert res.lang in ("zh", "en")
    for e in res.entities:
        assert 0 <= e.start <= e.end <= len(text)
        assert text[e.start : e.end] == e.text


@pytest.mark.parametrize("text", JUNK)
def test_parse_survives_junk(router: IntentRouter, text):
    _check(router, text)


def test_parse_survives_none_and_non_strings(router: IntentRouter):
    assert router.parse(None).intent == "out_of_scope"  # type: ignore[arg-type]
    assert router.parse(12345).lang in ("zh", "en")  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_parse_never_raises_on_any_text(router: IntentRouter, text):
    _check(router, text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.text(
        alphabet="0123456789一二两三十百号月日点半周下这本上午晚第个选岁天大后明今 -.:：XxＸ+", max_size=60
    )
)
def test_entities_never_raise_on_number_soup(hospital, now, text):
    for e in extract_entities(text, hospital, now):
        assert text[e.start : e.end] == e.text
