"""Ordinal choices among numbered options: 第二个, 选3, 2号, 就一吧, the second one, number two, #2.

Value is a 1-based int; ``-1`` means "the last one".
"""

from __future__ import annotations

import re

from assistant.nlu.numerals import CN_NUM, to_int
from assistant.nlu.types import Entity

_CN_PATTERNS = [
    re.compile(r"第\s*(" + CN_NUM + r")\s*(?:个|位|项|条|种|家|号)?(?![\d次天周年胎期届月])"),
    re.compile(
        r"(?:选|挑|就|定|要第)\s*(?:第\s*)?("
        + CN_NUM
        + r")(?:\s*(?:个|号|吧|好了|啊))?(?![\d月点岁天周次年])"
    ),
    re.compile(r"^\s*(?:那?就?|选)?\s*(" + CN_NUM + r")\s*(?:号|个|吧|好了)?\s*[。.!！~]*\s*$"),
    re.compile(r"(?<![\d第月])(" + CN_NUM + r")\s*号(?=吧|$|[，,。.\s!！])"),
]
_EN_ORD = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "sixth": 6,
    "6th": 6,
    "seventh": 7,
    "7th": 7,
    "eighth": 8,
    "8th": 8,
    "ninth": 9,
    "9th": 9,
    "tenth": 10,
    "10th": 10,
    "last": -1,
}
_EN_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_EN_ORD_RE = re.compile(
    r"\b(?:the\s+)?(" + "|".join(_EN_ORD) + r")(?:\s+(?:one|option|slot|choice))?\b", re.I
)
_EN_NUM_RE = re.compile(
    r"\b(?:number|no\.?|option|choice|slot|#)\s*(\d{1,2}|" + "|".join(_EN_WORDS) + r")\b|#(\d{1,2})\b", re.I
)
_LAST_CN = re.compile(r"最后一个|最后那个|最后一位|最后那位")


def extract_choice(text: str, folded: str) -> list[Entity]:
    out: list[Entity] = []
    seen: set[tuple[int, int]] = set()

    def add(value: int, start: int, end: int) -> None:
        if any(s < end and start < e for s, e in seen):
            return
        seen.add((start, end))
        out.append(Entity("ordinal", value, text[start:end], start, end))

    for m in _LAST_CN.finditer(folded):
        add(-1, m.start(), m.end())
    for pat in _CN_PATTERNS:
        for m in pat.finditer(folded):
            n = to_int(m.group(1))
            if n is not None and 1 <= n <= 20:
                add(n, m.start(), m.end())
    for m in _EN_ORD_RE.finditer(folded):
        add(_EN_ORD[m.group(1).lower()], m.start(), m.end())
    for m in _EN_NUM_RE.finditer(folded):
        raw = (m.group(1) or m.group(2)).lower()
        n = int(raw) if raw.isdigit() else _EN_WORDS[raw]
        if 1 <= n <= 20:
            add(n, m.start(), m.end())
    return out
