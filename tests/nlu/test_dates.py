"""Dates, sessions and times said the Chinese and English way, against a fixed Monday 2026-11-23."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.clock import TZ
from assistant.nlu import extract_entities

pytestmark = pytest.mark.unit


def _vals(text, hospital, now, type_):
    return [e.value for e in extract_entities(text, hospital, now) if e.type == type_]


@pytest.mark.parametrize(
    ("text", "date", "session", "time"),
    [
        ("明天下午", "2026-11-24", "PM", None),
        ("下周三", "2026-12-02", None, None),
        ("11月25号", "2026-11-25", None, None),
        ("11月25日上午", "2026-11-25", "AM", None),
        ("后天上午九点", "2026-11-25", "AM", "09:00"),
        ("今天", "2026-11-23", None, None),
        ("大后天晚上", "2026-11-26", "NIGHT", None),
        ("明早", "2026-11-24", "AM", None),
        ("这周六", "2026-11-28", None, None),
        ("本周六上午", "2026-11-28", "AM", None),
        ("周五", "2026-11-27", None, None),
        ("星期五", "2026-11-27", None, None),
        ("礼拜五下午两点", "2026-11-27", "PM", "14:00"),
        ("周一", "2026-11-30", None, None),  # bare weekday = the next one after today
        ("下下周一", "2026-12-07", None, None),
        ("约11.25上午", "2026-11-25", "AM", None),
        ("11.25", "2026-11-25", None, None),
        ("下个月3号", "2026-12-03", None, None),
        ("25号", "2026-11-25", None, None),
        ("20号", "2026-12-20", None, None),  # already past this month → next month
        ("十二月二十五号", "2026-12-25", None, None),
        ("1月5号", "2027-01-05", None, None),
        ("11月20号做的检查", "2026-11-20", None, None),  # a recent past date stays in this year
        ("2026-12-01", "2026-12-01", None, None),
        ("9点半", None, None, "09:30"),
        ("九点半", None, None, "09:30"),
        ("下午两点", None, "PM", "14:00"),
        ("晚上7点", None, "NIGHT", "19:00"),
        ("下午3点一刻", None, "PM", "15:15"),
        ("10:30", None, None, "10:30"),
        ("两点", None, None, "14:00"),  # clinic hours: 两点 is the afternoon
        ("tomorrow morning", "2026-11-24", "AM", None),
        ("next Wednesday", "2026-12-02", None, None),
        ("this Saturday afternoon", "2026-11-28", "PM", None),
        ("Nov 25", "2026-11-25", None, None),
        ("25 November", "2026-11-25", None, None),
        ("November 25th", "2026-11-25", None, None),
        ("9:30 am", None, None, "09:30"),
        ("3pm", None, None, "15:00"),
        ("the day after tomorrow", "2026-11-25", None, None),
        ("appt tmr afternoon", "2026-11-24", "PM", None),
        ("约一下下周三的皮肤科", "2026-12-02", None, None),
        ("下下周三", "2026-12-09", None, None),
    ],
)
def test_dates_sessions_times(hospital, now, text, date, session, time):
    assert _vals(text, hospital, now, "date") == ([date] if date else [])
    assert _vals(text, hospital, now, "session") == ([session] if session else [])
    assert _vals(text, hospital, now, "time") == ([time] if time else [])


def test_correction_text(hospital, now):
    ents = extract_entities("不对，是后天", hospital, now)
    assert [(e.type, e.value, e.text) for e in ents] == [("date", "2026-11-25", "后天")]


def test_offsets_point_into_the_original_text(hospital, now):
    text = "我想约后天上午九点的心内科"
    for e in extract_entities(text, hospital, now):
        assert text[e.start : e.end] == e.text


def test_full_width_digits(hospital, now):
    text = "１１月２５号 ９：３０"
    ents = extract_entities(text, hospital, now)
    assert ("date", "2026-11-25") in [(e.type, e.value) for e in ents]
    assert ("time", "09:30") in [(e.type, e.value) for e in ents]
    for e in ents:
        assert text[e.start : e.end] == e.text


def test_year_and_month_boundaries(hospital):
    late = datetime(2026, 12, 30, 9, 0, tzinfo=TZ)
    assert _vals("下个月3号", hospital, late, "date") == ["2027-01-03"]
    assert _vals("明天", hospital, late, "date") == ["2026-12-31"]
    assert _vals("后天", hospital, late, "date") == ["2027-01-01"]
    assert _vals("1月2号", hospital, late, "date") == ["2027-01-02"]
    assert _vals("下周三", hospital, late, "date") == ["2027-01-06"]


@pytest.mark.parametrize(
    "text", ["我头有一点疼", "好一点了", "第一次来", "血糖6.12", "WBC 11.25", "咳嗽三个月了", "3号楼在哪"]
)
def test_no_false_dates_or_times(hospital, now, text):
    types = {e.type for e in extract_entities(text, hospital, now)}
    assert not types & {"date", "time"}, text


def test_invalid_calendar_dates_are_dropped(hospital, now):
    assert _vals("2月30号", hospital, now, "date") == []
    assert _vals("13月5号", hospital, now, "date") == []
