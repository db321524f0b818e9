"""English patients' bare answers inside a conversation: a duration said to "how long has this been going
on?" is part of the symptom interview (not a question about opening hours), and a passport or permit
given with its number is the booking form's identity answer (not a symptom)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", [
    "2 hours", "about 3 hours", "a couple of hours", "for 5 days", "since yesterday", "since last night",
    "two weeks now", "roughly 1-2 days", "两个小时", "三天了", "大概一个星期",
])
def test_bare_duration_is_triage(router, text: str) -> None:
    r = router.parse(text)
    assert r.intent == "triage", (text, r.ranking[:3])
    assert r.confidence < 0.8  # low enough that no other form is left on it


@pytest.mark.parametrize("text", [
    "what are the opening hours", "how much is parking for 2 hours", "when does the pharmacy open",
])
def test_questions_with_hours_are_not_durations(router, text: str) -> None:
    assert router.parse(text).intent == "faq", text


@pytest.mark.parametrize("text", [
    "my passport number is X98765432", "passport E12345678", "Passport no. G1234567", "护照E12345678",
    "回乡证号码是H12345678",
])
def test_document_number_is_a_booking_answer(router, text: str) -> None:
    r = router.parse(text)
    assert r.intent == "booking" and r.confidence >= 0.8, (text, r.ranking[:3])


def test_document_without_number_is_not_forced(router) -> None:
    r = router.parse("my passport expired, what should I do")
    assert r.source != "rule"


@pytest.mark.parametrize(("text", "lang"), [
    ("I want to 挂号 for 皮肤科 tomorrow", "en"),
    ("can I see 王医生 on Friday morning", "en"),
    ("我想挂号 tomorrow", "zh"),
    ("帮我book一个appointment", "zh"),
    ("我明天上午想去看皮肤科 ok", "zh"),
])
def test_mixed_chinese_english_language(text: str, lang: str) -> None:
    from assistant.nlu import detect_lang

    assert detect_lang(text) == lang
