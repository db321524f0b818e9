"""Chinese and Arabic numerals: ``两`` ``十二`` ``二十五`` ``一百零五`` ``3`` → int, plus width folding.

``fold_width`` maps full-width ASCII (``１２：３０``) to half-width one character for one character, so
entity offsets found on the folded text are offsets into the original.
"""

from __future__ import annotations

import re

_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "壹": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "贰": 2,
    "三": 3,
    "仨": 3,
    "叁": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}

#: A regex fragment matching one number written either way (used inside larger patterns).
CN_NUM = r"(?:\d+|[零〇○一壹幺二两俩贰三仨叁四肆五伍六陆七柒八捌九玖十拾百佰千仟]+)"

_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = 0x20  # ideographic space


def fold_width(text: str) -> str:
    """Full-width ASCII → half-width, same length (so offsets stay valid)."""
    return text.translate(_FOLD)


def cn_to_int(s: str) -> int | None:
    """Parse ``"25"``, ``"二十五"``, ``"两"``, ``"十二"``, ``"一百零五"``, ``"一二三"`` (digit by digit). None if not a number."""
    s = s.strip()
    if not s:
        return None
    if s.isdigit():
        return int(s)
    if any(ch not in _DIGITS and ch not in _UNITS for ch in s):
        return None
    if not any(ch in _UNITS for ch in s):
        # digit by digit: "一二三" → 123 (as read out on the phone)
        return int("".join(str(_DIGITS[ch]) for ch in s))
    total, current = 0, 0
    for ch in s:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        else:
            unit = _UNITS[ch]
            total += (current or 1) * unit
            current = 0
    return total + current


_EN_NUM = {
    "zero": 0,
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
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}
EN_NUM = r"(?:\d+|" + "|".join(sorted(_EN_NUM, key=len, reverse=True)) + r")"


def en_to_int(s: str) -> int | None:
    s = s.strip().lower()
    if s.isdigit():
        return int(s)
    parts = re.split(r"[\s-]+", s)
    if not parts or any(p not in _EN_NUM for p in parts):
        return None
    return sum(_EN_NUM[p] for p in parts)


def to_int(s: str) -> int | None:
    return cn_to_int(s) if not re.search(r"[A-Za-z]", s) else en_to_int(s)
