"""Dates, clinic sessions and clock times said the Chinese (or English) way, resolved against ``now``.

Produces entities of type ``date`` (ISO date), ``session`` (``AM``/``PM``/``NIGHT``) and ``time``
(``HH:MM``). Works on width-folded text, so offsets are the original text's.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, timedelta

from assistant.nlu.numerals import CN_NUM, EN_NUM, en_to_int, to_int
from assistant.nlu.types import Entity

_WD_CN = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "日": 7,
    "天": 7,
    "末": 6,
    "1": 1,
    "2": 2,
    "3": 3,
    "4": 4,
    "5": 5,
    "6": 6,
    "7": 7,
}
_WD_EN = {
    "mon": 1,
    "tue": 2,
    "tues": 2,
    "wed": 3,
    "thu": 4,
    "thur": 4,
    "thurs": 4,
    "fri": 5,
    "sat": 6,
    "sun": 7,
}
_MONTH_EN = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}

_REL_DAY = {
    "大后天": 3,
    "后天": 2,
    "後天": 2,
    "明天": 1,
    "明日": 1,
    "明儿": 1,
    "明个": 1,
    "明早": 1,
    "明晚": 1,
    "明上午": 1,
    "明下午": 1,
    "今天": 0,
    "今日": 0,
    "今儿": 0,
    "今个": 0,
    "今早": 0,
    "今晚": 0,
    "当天": 0,
    "昨天": -1,
    "昨日": -1,
    "前天": -2,
}
_REL_RE = re.compile("|".join(sorted(_REL_DAY, key=len, reverse=True)))

_WEEK_RE = re.compile(r"(下下个?|下个?|这个?|本|上个?)?\s*(?:周|星期|礼拜|禮拜)([一二三四五六日天末1-7])")
_YMD_RE = re.compile(
    r"(?<!\d)(?:(\d{4})\s*[年/.-]\s*)?(" + CN_NUM + r")\s*月\s*(" + CN_NUM + r")\s*(?:号|號|日)?"
)
_ISO_RE = re.compile(r"(?<!\d)(20\d{2})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_MD_DOT_RE = re.compile(r"(?<![\d.])(1[0-2]|0?[1-9])[./](3[01]|[12]\d|0?[1-9])(?![\d.])")
_DAY_RE = re.compile(
    r"(下个?月|这个?月|本月)?\s*(?<!第)("
    + CN_NUM
    + r")\s*(?:号|號|日)(?!楼|樓|床|线|門|门|窗口|诊室|口|病房|馆|院区|厅|机|台|字)"
)
_SESSION_CN = [
    ("AM", r"上午|早上|早晨|清早|一早|上半天|大早上|早班|今早|明早|明上午"),
    ("PM", r"下午|午后|下半天|明下午"),
    ("NIGHT", r"晚上|夜里|夜间|晚间|傍晚|夜诊|晚诊|今晚|明晚|夜门诊|晚门诊"),
]
_SESSION_EN = [
    ("AM", r"\bmornings?\b"),
    ("PM", r"\bafternoons?\b"),
    ("NIGHT", r"\b(?:evenings?|tonight|night)\b"),
]

_TIME_CN = re.compile(
    r"(上午|早上|早晨|下午|晚上|中午|凌晨|傍晚|夜里)?\s*("
    + CN_NUM
    + r")\s*(?P<unit>(?:点|點|时|時)(?:钟)?)\s*"
    r"(?P<tail>半|一刻|三刻|过?(?P<min>" + CN_NUM + r")\s*分?)?"
)
_TIME_COLON = re.compile(
    r"(?<![\d:])([01]?\d|2[0-3])\s*[:：]\s*([0-5]\d)(?![\d:])\s*(am|pm|a\.m\.|p\.m\.)?", re.I
)
_TIME_EN = re.compile(
    r"(?<![\d:])(" + EN_NUM + r")\s*(?:o'?clock\s*)?(am|pm|a\.m\.|p\.m\.|o'?clock)(?![a-z])", re.I
)
_CONTEXT_BEFORE_MD = re.compile(r"(约|挂|改到|改成|改为|换到|到|是|定在|在|预约|on|for)\s*$", re.I)
_CONTEXT_AFTER_MD = re.compile(
    r"^\s*(号|日|上午|下午|晚上|早上|中午|\d{1,2}\s*点|[零一二两三四五六七八九十]+点|am|pm|morning|afternoon)",
    re.I,
)


def _iso(d: date) -> str:
    return d.isoformat()


def _safe_date(y: int, m: int, d: int) -> date | None:
    if not (1 <= m <= 12) or not (1 <= d <= monthrange(y, m)[1]):
        return None
    return date(y, m, d)


def _infer_year(today: date, m: int, d: int) -> date | None:
    cand = _safe_date(today.year, m, d)
    if cand is None:
        return _safe_date(today.year + 1, m, d)
    # A date more than two months back means next year's (booking); a recent past date stays (reports).
    if cand < today - timedelta(days=60):
        return _safe_date(today.year + 1, m, d) or cand
    return cand


def _weekday_date(today: date, wd: int, prefix: str) -> date:
    monday = today - timedelta(days=today.weekday())
    if prefix.startswith("下下"):
        return monday + timedelta(days=14 + wd - 1)
    if prefix.startswith("下"):
        return monday + timedelta(days=7 + wd - 1)
    if prefix.startswith("上"):
        return monday + timedelta(days=-7 + wd - 1)
    if prefix.startswith(("这", "本")):
        return monday + timedelta(days=wd - 1)
    ahead = (wd - 1 - today.weekday()) % 7 or 7  # bare 周五: the next one after today
    return today + timedelta(days=ahead)


def _hour_with_session(hour: int, session: str | None, explicit: bool) -> int:
    if session in ("PM", "NIGHT") and hour < 12:
        return hour + 12
    if session == "NOON" and hour <= 3:
        return hour + 12
    if session == "AM" and hour == 12:
        return 12
    if not explicit and session is None and 1 <= hour <= 6:
        return hour + 12  # 两点 at a hospital means 14:00
    return hour


def _session_of(word: str | None) -> str | None:
    if not word:
        return None
    if word in ("上午", "早上", "早晨", "凌晨"):
        return "AM"
    if word in ("下午",):
        return "PM"
    if word in ("晚上", "傍晚", "夜里"):
        return "NIGHT"
    if word == "中午":
        return "NOON"
    return None


def _add(out: list[Entity], type_: str, value: str, text: str, start: int, end: int) -> None:
    out.append(Entity(type_, value, text[start:end], start, end))


def extract_dates(text: str, folded: str, now: datetime) -> list[Entity]:
    """All date, session and time entities in ``folded`` (width-folded ``text``)."""
    today = now.date()
    out: list[Entity] = []
    low = folded.lower()

    for m in _ISO_RE.finditer(folded):
        d = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            _add(out, "date", _iso(d), text, m.start(), m.end())
    for m in _YMD_RE.finditer(folded):
        mo, dd = to_int(m.group(2)), to_int(m.group(3))
        if mo is None or dd is None:
            continue
        d = _safe_date(int(m.group(1)), mo, dd) if m.group(1) else _infer_year(today, mo, dd)
        if d:
            _add(out, "date", _iso(d), text, m.start(), m.end())
    for m in _MD_DOT_RE.finditer(folded):
        before, after = folded[: m.start()], folded[m.end() :]
        alone = folded.strip(" 。.!！?？号日") == m.group(0)
        if alone or _CONTEXT_BEFORE_MD.search(before) or _CONTEXT_AFTER_MD.match(after):
            d = _infer_year(today, int(m.group(1)), int(m.group(2)))
            if d:
                end = m.end() + (1 if after[:1] in ("号", "日") else 0)
                _add(out, "date", _iso(d), text, m.start(), end)
    for m in _DAY_RE.finditer(folded):
        dd = to_int(m.group(2))
        if dd is None or not 1 <= dd <= 31:
            continue
        prefix = m.group(1) or ""
        if not prefix and folded[: m.start()].rstrip().endswith(("月", "月份")):
            continue  # the day of an invalid "2月30号" is not "the 30th of this month"
        y, mo = today.year, today.month
        if prefix.startswith("下"):
            y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
            d = _safe_date(y, mo, dd)
        elif prefix:
            d = _safe_date(y, mo, dd)
        else:
            d = _safe_date(y, mo, dd)
            if d is None or d < today:
                y2, mo2 = (y + 1, 1) if mo == 12 else (y, mo + 1)
                d = _safe_date(y2, mo2, dd)
        if d:
            _add(out, "date", _iso(d), text, m.start(), m.end())
    for m in _REL_RE.finditer(folded):
        w = m.group(0)
        _add(out, "date", _iso(today + timedelta(days=_REL_DAY[w])), text, m.start(), m.end())
    for m in _WEEK_RE.finditer(folded):
        wd = _WD_CN[m.group(2)]
        prefix, start = m.group(1) or "", m.start()
        if prefix.startswith("下下") and folded[start - 1 : start] == "一":
            prefix, start = prefix[1:], start + 1  # 约一下 + 下周三, not 下下周三
        _add(out, "date", _iso(_weekday_date(today, wd, prefix)), text, start, m.end())

    # English dates
    for m in re.finditer(
        r"\b(?:the\s+)?day\s+after\s+tomorrow\b|\b(?:tomorrow|tmr|tmrw|tmw|2moro)\b|\btoday\b|\btonight\b|\byesterday\b",
        low,
    ):
        w = m.group(0)
        delta = 2 if "after" in w else -1 if "yesterday" in w else 0 if w in ("today", "tonight") else 1
        _add(out, "date", _iso(today + timedelta(days=delta)), text, m.start(), m.end())
    for m in re.finditer(
        r"\b(?:(this|next|coming)\s+)?(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\b", low
    ):
        word = m.group(0).split()[-1]
        if not re.fullmatch(r"(mon|tues?|wednes|thurs?|fri|satur|sun)(day)?|tue|wed|thu|sat", word):
            continue
        wd = _WD_EN[m.group(2)]
        prefix = {"next": "下", "this": "这"}.get(m.group(1) or "", "")
        _add(out, "date", _iso(_weekday_date(today, wd, prefix)), text, m.start(), m.end())
    month_alt = r"(jan|feb|mar|apr|may|jun|jul|aug|sept|sep|oct|nov|dec)[a-z]*\.?"
    for m in re.finditer(r"\b" + month_alt + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b", low):
        if m.group(1) == "may" and not re.match(r"may\s+\d", m.group(0)):
            continue
        d = _infer_year(today, _MONTH_EN[m.group(1)], int(m.group(2)))
        if d:
            _add(out, "date", _iso(d), text, m.start(), m.end())
    for m in re.finditer(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + month_alt + r"(?![a-z])", low):
        d = _infer_year(today, _MONTH_EN[m.group(2)], int(m.group(1)))
        if d:
            _add(out, "date", _iso(d), text, m.start(), m.end())

    # sessions
    for sess, pat in _SESSION_CN:
        for m in re.finditer(pat, folded):
            _add(out, "session", sess, text, m.start(), m.end())
    for sess, pat in _SESSION_EN:
        for m in re.finditer(pat, low):
            _add(out, "session", sess, text, m.start(), m.end())

    # times
    sessions = [e for e in out if e.type == "session"]
    for m in _TIME_CN.finditer(folded):
        hour = to_int(m.group(2))
        if hour is None or hour > 24:
            continue
        word, tail = m.group(1), m.group("tail") or ""
        if m.group(2) == "一" and not word and not tail and not folded[m.end() : m.end() + 1] == "钟":
            continue  # 好一点 / 有一点: not a time
        if not word and m.start() > 0 and folded[m.start() - 1] in "有差快慢好多少点些":
            continue
        minute = 0
        if tail == "半":
            minute = 30
        elif tail == "一刻":
            minute = 15
        elif tail == "三刻":
            minute = 45
        elif m.group("min"):
            minute = to_int(m.group("min")) or 0
        if minute >= 60:
            continue
        tsess: str | None = _session_of(word)
        if tsess is None:
            prior = [s for s in sessions if s.end <= m.start() and m.start() - s.end <= 4]
            tsess = prior[-1].value if prior else None
        hour = _hour_with_session(hour, tsess, explicit=False)
        if hour >= 24:
            continue
        start = m.start(2) if not word else m.start()
        end = m.end() if tail else m.end("unit")
        _add(out, "time", f"{hour:02d}:{minute:02d}", text, start, end)
    for m in _TIME_COLON.finditer(folded):
        hour, minute = int(m.group(1)), int(m.group(2))
        ampm = (m.group(3) or "").lower().replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        _add(out, "time", f"{hour:02d}:{minute:02d}", text, m.start(), m.end())
    for m in _TIME_EN.finditer(folded):
        hour = en_to_int(m.group(1))
        if hour is None or hour > 12:
            continue
        ampm = m.group(2).lower().replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        elif ampm.startswith("o"):
            hour = _hour_with_session(hour, None, explicit=False)
        _add(out, "time", f"{hour:02d}:00", text, m.start(), m.end())
    return out
