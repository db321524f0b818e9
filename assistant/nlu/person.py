"""Who the patient is talking about: their name, the relationship (self, mother, child …) and age."""

from __future__ import annotations

import re
from datetime import date

from assistant.nlu.numerals import CN_NUM, EN_NUM, to_int
from assistant.nlu.types import Entity

_NAME_TRIGGER_CN = re.compile(
    r"(?:我叫|我的名字(?:是|叫)|名字(?:是|叫)|姓名(?:是|叫)?[:：]?|患者(?:是|叫|姓名是?[:：]?)|病人(?:是|叫|姓名是?[:：]?)|"
    r"(?:他|她|孩子|宝宝)(?:叫|名字叫))\s*"
)
_NAME_CN = re.compile(
    r"([\u4e00-\u9fff][\u4e00-\u9fff·]{1,3}?)(?=$|[^\u4e00-\u9fff·]|今年|身份证|电话|手机|我|要|想|男|女|的|岁|了|啊|呀|吧|是|在|住|家|号码)"
)
_NAME_BAD = re.compile(r"[的了吗呢啊吧么什谁哪个是我你他她]|^(?:什么|不知|这个|那个)")
_NAME_TRIGGER_EN = re.compile(
    r"\b(?:my name is|name is|patient is|patient's name is|call me|i am called|i'm called)\s+", re.I
)
_NAME_EN = re.compile(r"([A-Za-z][A-Za-z'\-]+(?:\s+[A-Za-z][A-Za-z'\-]+){0,2})")
_EN_STOP = {
    "and",
    "i",
    "my",
    "is",
    "the",
    "a",
    "an",
    "from",
    "with",
    "born",
    "phone",
    "id",
    "please",
    "thanks",
    "thank",
    "i'm",
    "im",
    "age",
    "aged",
    "years",
    "year",
    "old",
    "he",
    "she",
    "it",
    "but",
    "so",
    "to",
}

_REL_CN: list[tuple[str, str]] = [
    ("mother", r"我妈妈|我妈|我母亲|母亲|老妈|妈妈|俺娘|我娘|我老娘|家母|婆婆|岳母|丈母娘"),
    ("father", r"我爸爸|我爸|我父亲|父亲|老爸|爸爸|我爹|俺爹|老爹|家父|公公|岳父|老丈人"),
    (
        "child",
        r"我儿子|我女儿|我孩子|儿子|女儿|孩子|小孩|宝宝|宝贝|闺女|娃娃|娃儿|小朋友|孙子|孙女|外孙|外孙女|婴儿|新生儿",
    ),
    ("spouse", r"我老婆|我老公|老婆|老公|爱人|媳妇|丈夫|妻子|太太|对象|孩子他爸|孩子他妈"),
    ("grandparent", r"爷爷|奶奶|外公|外婆|姥姥|姥爷"),
    ("self", r"本人|我自己|自己|^\s*(?:是)?我(?:的)?[。.!！]?\s*$|给我挂|帮我挂|就是我|是我本人|我挂|我要挂"),
]
_REL_EN: list[tuple[str, str]] = [
    ("mother", r"\bmy (?:mother|mom|mum|mommy|ma)\b|\bmother\b"),
    ("father", r"\bmy (?:father|dad|daddy|pa)\b|\bfather\b"),
    ("child", r"\bmy (?:son|daughter|kid|child|baby|boy|girl|grandson|granddaughter)\b|\bchild\b|\bbaby\b"),
    ("spouse", r"\bmy (?:wife|husband|spouse|partner)\b"),
    ("grandparent", r"\bmy (?:grandmother|grandfather|grandma|grandpa|granny)\b"),
    ("self", r"\bmyself\b|\bfor me\b|^\s*me\s*[.!]?\s*$|\bi am the patient\b|\bit'?s me\b|\bfor myself\b"),
]

_AGE_YEARS = re.compile(r"(" + CN_NUM + r")\s*(多)?\s*(?:周)?岁(半)?")
_AGE_MONTHS = re.compile(
    r"(" + CN_NUM + r"|半)\s*(?:个)?\s*(多)?\s*月\s*(?:大|龄|的(?:宝宝|孩子|小孩|婴儿|娃))"
)
_AGE_DAYS = re.compile(r"(" + CN_NUM + r")\s*(多)?\s*天\s*(?:大|的(?:宝宝|孩子|小孩|婴儿|新生儿))")
_AGE_BORN = re.compile(r"出生\s*(" + CN_NUM + r")\s*(?:个)?\s*(月|天)")
_AGE_EN = re.compile(
    r"\b("
    + EN_NUM
    + r")(?:[- ]and[- ]a[- ]half)?[- ]?(year|yr|month|week|day)s?[- ]old\b|\baged?\s+(\d{1,3})\b|\b(\d{1,3})\s*(?:yo|y/o|yrs? old)\b",
    re.I,
)


def extract_person(text: str, folded: str) -> list[Entity]:
    out: list[Entity] = []
    # names
    for trig in _NAME_TRIGGER_CN.finditer(folded):
        m = _NAME_CN.match(folded, trig.end())
        if m and not _NAME_BAD.search(m.group(1)):
            out.append(Entity("person_name", m.group(1), text[m.start(1) : m.end(1)], m.start(1), m.end(1)))
    for trig in _NAME_TRIGGER_EN.finditer(folded):
        m = _NAME_EN.match(folded, trig.end())
        if m:
            words = []
            for w in m.group(1).split():
                if w.lower() in _EN_STOP:
                    break
                words.append(w)
            if words:
                name = " ".join(words)
                start = m.start(1)
                out.append(
                    Entity("person_name", name, text[start : start + len(name)], start, start + len(name))
                )
    # relationship
    low = folded.lower()
    for rel, pat in _REL_CN:
        for m in re.finditer(pat, folded):
            out.append(Entity("relationship", rel, text[m.start() : m.end()], m.start(), m.end()))
    for rel, pat in _REL_EN:
        for m in re.finditer(pat, low):
            out.append(Entity("relationship", rel, text[m.start() : m.end()], m.start(), m.end()))
    # age
    for m in _AGE_YEARS.finditer(folded):
        n = to_int(m.group(1))
        if n is not None and n <= 130:
            out.append(
                Entity(
                    "age",
                    float(n) + (0.5 if m.group(3) else 0.0),
                    text[m.start() : m.end()],
                    m.start(),
                    m.end(),
                )
            )
    for m in _AGE_MONTHS.finditer(folded):
        months = 0.5 if m.group(1) == "半" else to_int(m.group(1))
        if months is not None and months <= 36:
            out.append(Entity("age", round(months / 12, 3), text[m.start() : m.end()], m.start(), m.end()))
    for m in _AGE_DAYS.finditer(folded):
        n = to_int(m.group(1))
        if n is not None and n <= 100:
            out.append(Entity("age", round(n / 365, 3), text[m.start() : m.end()], m.start(), m.end()))
    for m in _AGE_BORN.finditer(folded):
        n = to_int(m.group(1))
        if n is not None:
            years = n / 12 if m.group(2) == "月" else n / 365
            out.append(Entity("age", round(years, 3), text[m.start() : m.end()], m.start(), m.end()))
    for m in _AGE_EN.finditer(folded):
        if m.group(1):
            n = to_int(m.group(1))
            if n is None:
                continue
            unit = m.group(2).lower()
            half = 0.5 if "half" in m.group(0).lower() else 0.0
            years = {"year": n + half, "yr": n + half, "month": n / 12, "week": n * 7 / 365, "day": n / 365}[
                unit
            ]
        else:
            years = float(m.group(3) or m.group(4))
        if years <= 130:
            out.append(Entity("age", round(float(years), 3), text[m.start() : m.end()], m.start(), m.end()))
    return out


# ---- a date of birth and a sex, asked when an identity document does not give them ------------
_MONTHS = {m: i for i, ms in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"), ("jul", "july"),
     ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"), ("dec", "december")], 1) for m in ms}
_MONTH_RX = "|".join(sorted(_MONTHS, key=len, reverse=True))


def parse_birth_date(text: str) -> tuple[date | None, bool]:
    """A date of birth in an answer: 2018年5月3日, 2018-05-03, 2018/5/3, 20180503, 3 May 2018, May 3, 2018,
    03/05/2018 (day first, as on passports; refused as unclear when both could be the month).
    Returns (date, unclear): unclear when something date-like was said that can't be read safely."""
    s = (text or "").strip()
    m = re.search(r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)", s) or re.search(
        r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)", s)
    parts: tuple[int, int, int] | None = None
    if m:
        parts = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    elif m := re.search(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RX})\.?,?\s+((?:19|20)\d{{2}})(?!\d)", s, re.I):
        parts = (int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    elif m := re.search(rf"\b({_MONTH_RX})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d{{2}})(?!\d)", s, re.I):
        parts = (int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
    elif m := re.search(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-]((?:19|20)\d{2})(?!\d)", s):
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if a <= 12 and b <= 12 and a != b:
            return None, True  # 03/05/2018: 3 May or March 5?
        parts = (y, b, a) if a > 12 or a == b else (y, a, b)
    if parts is None:
        return None, bool(re.search(r"\d", s))
    try:
        return date(*parts), False
    except ValueError:
        return None, True


def parse_sex(text: str) -> str | None:
    s = (text or "").strip()
    if re.search(r"女|\bfemale\b|\bwoman\b|\bgirl\b|^f$", s, re.I):
        return "F"
    if re.search(r"男|\bmale\b|\bman\b|\bboy\b|^m$", s, re.I):
        return "M"
    return None
