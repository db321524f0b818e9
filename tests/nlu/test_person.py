"""Ordinal choices, names, relationships and ages, with Chinese numerals."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.nlu import extract_entities
from assistant.nlu.numerals import cn_to_int

pytestmark = pytest.mark.unit


def _vals(text, hospital, now, type_):
    return [e.value for e in extract_entities(text, hospital, now) if e.type == type_]


@pytest.mark.parametrize(
    ("s", "n"),
    [
        ("两", 2),
        ("十", 10),
        ("十二", 12),
        ("二十五", 25),
        ("八十", 80),
        ("一百零五", 105),
        ("九", 9),
        ("25", 25),
    ],
)
def test_chinese_numerals(s, n):
    assert cn_to_int(s) == n


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("第二个", 2),
        ("第2个", 2),
        ("2", 2),
        ("2号", 2),
        ("选3", 3),
        ("选第三个", 3),
        ("就第一个吧", 1),
        ("选一", 1),
        ("二", 2),
        ("最后一个", -1),
        ("the second one", 2),
        ("number two", 2),
        ("option 3", 3),
        ("the first", 1),
        ("#2", 2),
        ("the last one", -1),
    ],
)
def test_ordinals(hospital, now, text, n):
    assert _vals(text, hospital, now, "ordinal") == [n]


@pytest.mark.parametrize("text", ["我第一次来", "第二天就好了", "好一点了", "3号楼在哪", "咳嗽两个月"])
def test_no_false_ordinals(hospital, now, text):
    assert _vals(text, hospital, now, "ordinal") == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我叫张三", "张三"),
        ("我叫张三今年70岁", "张三"),
        ("名字是欧阳娜娜", "欧阳娜娜"),
        ("患者是王小明，身份证号", "王小明"),
        ("病人叫李秀英", "李秀英"),
        ("my name is John Smith", "John Smith"),
        ("My name is Li Lei and I have a fever", "Li Lei"),
    ],
)
def test_person_names(hospital, now, text, name):
    assert _vals(text, hospital, now, "person_name") == [name]


def test_no_name_without_a_trigger(hospital, now):
    assert _vals("张三头疼", hospital, now, "person_name") == []
    assert _vals("我叫什么来着", hospital, now, "person_name") == []


@pytest.mark.parametrize(
    ("text", "rel"),
    [
        ("我", "self"),
        ("本人", "self"),
        ("给我自己挂", "self"),
        ("我妈", "mother"),
        ("母亲", "mother"),
        ("老妈", "mother"),
        ("我爸", "father"),
        ("父亲", "father"),
        ("孩子", "child"),
        ("儿子", "child"),
        ("女儿", "child"),
        ("宝宝", "child"),
        ("老婆", "spouse"),
        ("老公", "spouse"),
        ("爱人", "spouse"),
        ("my mother", "mother"),
        ("my dad", "father"),
        ("my son", "child"),
        ("myself", "self"),
        ("my wife", "spouse"),
    ],
)
def test_relationships(hospital, now, text, rel):
    assert _vals(text, hospital, now, "relationship") == [rel]


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("5岁", 5.0),
        ("三个月大", 0.25),
        ("70多岁", 70.0),
        ("八十岁", 80.0),
        ("两岁半", 2.5),
        ("一岁半", 1.5),
        ("二十五岁", 25.0),
        ("5周岁", 5.0),
        ("6个月的宝宝", 0.5),
        ("5-year-old", 5.0),
        ("70 years old", 70.0),
        ("6 months old", 0.5),
        ("aged 82", 82.0),
    ],
)
def test_ages(hospital, now, text, years):
    assert _vals(text, hospital, now, "age") == [pytest.approx(years, abs=1e-3)]


def test_symptom_durations_are_not_ages(hospital, now):
    assert _vals("咳嗽三个月了", hospital, now, "age") == []
    assert _vals("发烧三天", hospital, now, "age") == []


def test_a_whole_booking_message(hospital, now):
    ents = extract_entities("帮我妈挂明天上午心内科沈主任的号，她78岁", hospital, now)
    got = {(e.type, e.value) for e in ents}
    assert {
        ("relationship", "mother"),
        ("date", "2026-11-24"),
        ("session", "AM"),
        ("department", "cardiology"),
        ("doctor", "DR001"),
        ("age", 78.0),
    } <= got


@pytest.mark.parametrize(("text", "born", "unclear"), [
    ("2018年5月3日", date(2018, 5, 3), False),
    ("born 3 May 1990", date(1990, 5, 3), False),
    ("May 3, 1990", date(1990, 5, 3), False),
    ("19900503", date(1990, 5, 3), False),
    ("25/12/1985", date(1985, 12, 25), False),
    ("03/05/2018", None, True),   # 3 May or 5 March: asked again, never guessed
    ("1990-02-30", None, True),   # no such day
    ("不记得了", None, False),
])
def test_a_date_of_birth_is_read_or_said_to_be_unclear(text, born, unclear):
    from assistant.nlu.person import parse_birth_date

    assert parse_birth_date(text) == (born, unclear)
