"""Numbers in patients' words: Chinese numerals, temperatures (38度5), ages, pregnancy weeks, durations, pain scores.

Each parser returns the value it read plus the text span it used, so the extractor can keep an age
("3个月大") from being read as a duration ("3个月了"). Pure functions over normalised text.
"""

from __future__ import annotations

import re

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
NUM = r"(\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百几]+)"
_EN_NUM = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "several": 3, "few": 3, "couple of": 2, "a couple of": 2,
}
EN_NUM = r"(\d+(?:\.\d+)?|a couple of|couple of|an|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|several|few)"


def cn_number(s: str) -> float | None:
    """'38' -> 38, '三十八' -> 38, '两' -> 2, '十五' -> 15, '几' -> 3 (a few)."""
    s = s.strip()
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        pass
    if s == "几":
        return 3.0
    s = s.replace("几", "")
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch == "十":
            section += (digit if digit is not None else 1) * 10
            digit = None
        elif ch == "百":
            section += (digit if digit is not None else 1) * 100
            digit = None
        else:
            return None
    if digit is not None:
        section += digit
    total += section
    return float(total)


def en_number(s: str) -> float | None:
    s = s.strip().lower()
    try:
        return float(s)
    except ValueError:
        return float(_EN_NUM[s]) if s in _EN_NUM else None


Span = tuple[int, int]

_TEMP_RE = re.compile(NUM + r"\s*(?:度|℃|°c|°|摄氏度)\s*([零一二两三四五六七八九\d])?(?![\d])")
_TEMP_F_RE = re.compile(r"(\d{2,3}(?:\.\d)?)\s*(?:°f|℉|华氏度|degrees f|f\b|fahrenheit)")
_TEMP_CTX_RE = re.compile(r"(?:烧到|体温|发烧|发热|高烧|低烧|烧了?|temperature of|temperature is|temp of|temp is|fever of)\s*(?:是|有|到|了|is|of)?\s*(\d{2,3}(?:\.\d+)?)")
_TEMP_EN_RE = re.compile(r"(\d{2}(?:\.\d+)?)\s*(?:degrees|c\b|celsius)")


def parse_temperature(text: str) -> tuple[float | None, list[Span]]:
    """The highest body temperature mentioned, in °C (38度5 = 38.5; 102F = 38.9)."""
    values: list[float] = []
    spans: list[Span] = []
    for m in _TEMP_RE.finditer(text):
        v = cn_number(m.group(1))
        if v is None:
            continue
        if m.group(2):
            d = cn_number(m.group(2))
            if d is not None and v == int(v):
                v = v + d / 10
        if 34.0 <= v <= 43.5:
            values.append(v)
            spans.append(m.span())
    for rx in (_TEMP_CTX_RE, _TEMP_EN_RE, _TEMP_F_RE):
        for m in rx.finditer(text):
            v = float(m.group(1))
            if rx is _TEMP_F_RE or v >= 95:
                v = round((v - 32) * 5 / 9, 1)
            if 34.0 <= v <= 43.5:
                values.append(v)
                spans.append(m.span())
    return (max(values) if values else None), spans


_CHILD_NOUN = r"(?:宝宝|孩子|婴儿|小孩|女儿|儿子|娃|宝贝|闺女|孙子|孙女|外孙|小朋友|新生儿)"
_AGE_Y_RE = re.compile(r"(?<![好\d零〇一二两三四五六七八九十百几])" + NUM + r"\s*(?:多|来)?\s*周?岁(半)?(?!月)")
_AGE_M_RE = re.compile(NUM + r"\s*个?\s*(多|半)?\s*月(?:大|龄|的" + _CHILD_NOUN + r"|" + _CHILD_NOUN + r")")
_AGE_M2_RE = re.compile(_CHILD_NOUN + r"(?:今年|才|刚|刚刚|刚满|现在|出生)?\s*" + NUM + r"\s*个?\s*(多|半)?\s*月(?!前)")
_AGE_D_RE = re.compile(r"(?:出生|生下来)\s*" + NUM + r"\s*天|" + NUM + r"\s*天大(?![便小])")
_AGE_EN_Y = re.compile(r"(\d+)[- ]?(?:years?|yrs?|y/?o)(?:[- ]old)?(?![a-z])|(?:aged?|age of)\s+(\d+)")
_AGE_EN_M = re.compile(r"(\d+)[- ]?(months?|weeks?|days?)[- ]old")
_NEWBORN_RE = re.compile(r"新生儿|刚出生|刚生下来|newborn")


_AGE_OLD_RE = re.compile(
    r"(?:^|[,，。;；\s]|我|俺|咱|人|今年|都|已经|快|年纪|老人|老人家)\s*((?<!\d)[5-9]\d(?!\d)|[五六七八九]十[一二三四五六七八九]?)\s*(多|好几|出头|来)?\s*(?:岁)?\s*(?:了|啦|的人)(?![一二两三四五六七八九十\d]*[天次年月周遍回小分])")


_AGE_ROUGH_RE = re.compile(
    r"(?:年过|年近|奔|快奔|都奔)\s*((?<!\d)[5-9]0(?!\d)|[五六七八九]十)|((?<!\d)[5-9]0(?!\d)|[五六七八九]十)\s*(?:好几|开外|出头)")


# An age stated as such without 岁: 今年七十八, 年纪八十多, 年龄是35 (not 今年3月, 今年2026年).
_AGE_STATED_RE = re.compile(
    r"(?:今年|年纪|岁数|年龄|周岁)\s*(?:是|有|已经|都|快|才|刚|满)?\s*" + NUM + r"\s*(多)?(?!\s*[\d个月天周年号点:：.．/\-])")


def parse_ages(text: str) -> tuple[list[float], list[Span]]:
    """Every age mentioned, in years (3个月大 = 0.25)."""
    ages: list[float] = []
    spans: list[Span] = []
    for m in _AGE_M_RE.finditer(text):
        v = cn_number(m.group(1))
        if v is not None:
            ages.append((v + (0.5 if m.group(2) == "半" else 0)) / 12)
            spans.append(m.span())
    for m in _AGE_M2_RE.finditer(text):
        v = cn_number(m.group(1))
        if v is not None and not any(s[0] <= m.start(1) < s[1] for s in spans):
            ages.append((v + (0.5 if m.group(2) == "半" else 0)) / 12)
            spans.append((m.start(1), m.end()))
    for m in _AGE_D_RE.finditer(text):
        raw = m.group(1) or m.group(2)
        v = cn_number(raw)
        if v is not None:
            ages.append(v / 365)
            spans.append(m.span())
    for m in _AGE_Y_RE.finditer(text):
        if any(s[0] <= m.start() < s[1] for s in spans):
            continue
        v = cn_number(m.group(1))
        if v is not None and 0 < v < 120:
            ages.append(v + (0.5 if m.group(2) else 0))
            spans.append(m.span())
    for m in _AGE_EN_M.finditer(text):
        v = float(m.group(1))
        unit = m.group(2)
        ages.append(v / 12 if unit.startswith("month") else v / 52 if unit.startswith("week") else v / 365)
        spans.append(m.span())
    for m in _AGE_EN_Y.finditer(text):
        if any(s[0] <= m.start() < s[1] for s in spans):
            continue
        v = float(m.group(1) or m.group(2))
        if 0 < v < 120:
            ages.append(v)
            spans.append(m.span())
    for m in _AGE_OLD_RE.finditer(text):  # 我七十多了, 今年八十了: an older speaker's age without 岁
        if any(s[0] <= m.start(1) < s[1] for s in spans):
            continue
        v = cn_number(m.group(1))
        if v is not None and 50 <= v < 120:
            ages.append(v + (0.5 if m.group(2) else 0))
            spans.append(m.span(1))
    for m in _AGE_ROUGH_RE.finditer(text):  # 七十好几, 年过八十, 奔八十的人: an older speaker's rough age
        g = 1 if m.group(1) else 2
        if any(s[0] <= m.start(g) < s[1] for s in spans):
            continue
        v = cn_number(m.group(g))
        if v is not None and 50 <= v < 120:
            ages.append(v)
            spans.append(m.span(g))
    for m in _AGE_STATED_RE.finditer(text):
        if any(s[0] <= m.start(1) < s[1] for s in spans):
            continue
        v = cn_number(m.group(1))
        if v is not None and 0 < v < 120:
            ages.append(v + (0.5 if m.group(2) else 0))
            spans.append(m.span(1))
    if not ages and _NEWBORN_RE.search(text):
        ages.append(0.02)
    return ages, spans


_GEST_W_RE = re.compile(r"(?:怀孕|孕|妊娠)\s*(?:已经|快|都)?\s*" + NUM + r"\s*(?:多|\+\d)?\s*周|" + NUM + r"\s*周的?(?:身孕|孕妇)|(\d+)\s*weeks?\s*pregnant")
_GEST_M_RE = re.compile(r"(?:怀孕|孕|怀了|妊娠)\s*(?:已经|快|都)?\s*" + NUM + r"\s*个?\s*多?\s*月|" + NUM + r"\s*个?月的?身孕|(\d+)\s*months?\s*pregnant")
_GEST_STAGE = {"孕晚期": 32.0, "孕中期": 20.0, "孕早期": 8.0, "third trimester": 32.0, "second trimester": 20.0, "first trimester": 8.0}


def parse_gestation(text: str) -> tuple[float | None, list[Span]]:
    """Pregnancy length in weeks (怀孕7个月 ≈ 30 weeks)."""
    for m in _GEST_W_RE.finditer(text):
        raw = next(g for g in m.groups() if g)
        v = cn_number(raw)
        if v is not None and 1 <= v <= 43:
            return v, [m.span()]
    for m in _GEST_M_RE.finditer(text):
        raw = next(g for g in m.groups() if g)
        v = cn_number(raw)
        if v is not None and 1 <= v <= 10:
            return round(v * 4.3, 1), [m.span()]
    for key, weeks in _GEST_STAGE.items():
        i = text.find(key)
        if i >= 0:
            return weeks, [(i, i + len(key))]
    return None, []


_UNIT_H = {"分钟": 1 / 60, "分": 1 / 60, "小时": 1.0, "钟头": 1.0, "个小时": 1.0, "天": 24.0, "日": 24.0, "周": 168.0,
           "星期": 168.0, "礼拜": 168.0, "个月": 720.0, "月": 720.0, "年": 8760.0}
_DUR_RE = re.compile(NUM + r"\s*(?:个)?\s*(多|半)?\s*(分钟|小时|钟头|天|日|周|星期|礼拜|个月|月|年)(多)?(前|以前|之前)?(开始|起|就开始|以来)?")
_DUR_WORDS = [
    (re.compile(r"半个?(?:小时|钟头|点)"), 0.5), (re.compile(r"个把(?:小时|钟头)"), 1.0), (re.compile(r"个把(?:礼拜|星期)"), 168.0), (re.compile(r"个把月"), 720.0), (re.compile(r"半天"), 6.0), (re.compile(r"半个月"), 360.0), (re.compile(r"一会儿?|一阵子?"), 0.2),
    (re.compile(r"昨天|昨晚|昨儿|一晚上|一整晚|一夜|整夜"), 24.0), (re.compile(r"前天"), 48.0),
    (re.compile(r"今天早上|今早|早上起来|今天上午|今天下午|今晚|今天"), 6.0), (re.compile(r"刚才|刚刚|刚"), 0.3),
    (re.compile(r"十几分钟"), 0.25), (re.compile(r"几分钟"), 0.1), (re.compile(r"大半年|半年"), 4380.0), (re.compile(r"好几年|很多年|多年"), 26280.0),
    (re.compile(r"(?:since|from) (?:yesterday|last night)"), 24.0), (re.compile(r"since this morning|this morning|today|tonight"), 6.0),
    (re.compile(r"half an hour"), 0.5), (re.compile(r"每个月|每次来月经|好多年|从小|一直都"), 720.0),
    (re.compile(r"(?:for|over|in) the (?:past|last) week"), 168.0), (re.compile(r"(?:for|over|in) the (?:past|last) month"), 720.0),
    (re.compile(r"(?:for|over|in) the (?:past|last) year"), 8760.0), (re.compile(r"a few days|several days"), 72.0), (re.compile(r"just now|a few minutes ago"), 0.2), (re.compile(r"for years"), 26280.0),
]
_DUR_EN_RE = re.compile(r"(?:for|since|past|last|over)\s+(?:the\s+)?(?:last\s+|past\s+)?" + EN_NUM + r"\s+(minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)|" + EN_NUM + r"\s+(minutes?|hours?|days?|weeks?|months?|years?)\s+ago")
_EN_UNIT_H = {"min": 1 / 60, "minute": 1 / 60, "hour": 1.0, "hr": 1.0, "day": 24.0, "week": 168.0, "month": 720.0, "year": 8760.0}


def parse_duration(text: str, exclude: list[Span]) -> tuple[float | None, list[Span]]:
    """How long the complaint has lasted, in hours (两天了 = 48). History markers (三年前) are not durations."""
    found: list[float] = []
    spans: list[Span] = []

    def free(a: int, b: int) -> bool:
        return not any(a < e and s < b for s, e in exclude + spans)

    for m in _DUR_RE.finditer(text):
        if not free(*m.span()):
            continue
        unit, ago, since = m.group(3), m.group(5), m.group(6)
        if ago and not since and unit in ("年", "个月", "月"):
            continue  # 三年前 / 两个月前 mark history, not how long it has lasted
        v = cn_number(m.group(1))
        if v is None:
            continue
        v += 0.5 if m.group(2) == "半" else 0
        found.append(v * _UNIT_H[unit])
        spans.append(m.span())
    for m in _DUR_EN_RE.finditer(text):
        raw = m.group(1) or m.group(3)
        unit = (m.group(2) or m.group(4)).rstrip("s")
        unit = "min" if unit.startswith("min") else "hr" if unit == "hr" else unit
        v = en_number(raw)
        if v is not None and unit in _EN_UNIT_H and free(*m.span()):
            found.append(v * _EN_UNIT_H[unit])
            spans.append(m.span())
    if not found:
        for rx, hours in _DUR_WORDS:
            m = rx.search(text)
            if m and free(*m.span()):
                found.append(hours)
                spans.append(m.span())
                break
    return (max(found) if found else None), spans


_PAIN_RE = re.compile(r"(?:疼|痛|疼痛|打|评分|给)[^,.;!?。]{0,4}?(\d{1,2})\s*分|(\d{1,2})\s*(?:/|out of)\s*10")


def parse_pain_score(text: str) -> int | None:
    scores = []
    for m in _PAIN_RE.finditer(text):
        v = int(m.group(1) or m.group(2))
        if 0 <= v <= 10:
            scores.append(v)
    return max(scores) if scores else None
