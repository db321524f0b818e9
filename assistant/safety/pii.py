"""Identity and phone numbers: validation (GB 11643 check digit) and masking for display and logs."""

from __future__ import annotations

import re

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# 18-digit resident ID (last may be X), not part of a longer digit run.
ID_RE = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx])(?![0-9A-Za-z])")
# Any 15-18 char ID-looking run, used for masking even when invalid.
ID_LIKE_RE = re.compile(r"(?<!\d)(\d{17}[\dXx]|\d{15})(?![\dA-Za-z])")
MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d[- ]?\d{4}[- ]?\d{4})(?!\d)")
LANDLINE_RE = re.compile(r"(?<!\d)(0\d{2,3}-\d{4}-?\d{4}|0\d{2,3}-\d{7,8})(?!\d)")


def id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_number(value: str) -> bool:
    """True for an 18-character resident ID whose date is plausible and check digit is right."""
    v = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", v):
        return False
    if not ID_RE.fullmatch(v):
        return False
    return id_check_digit(v[:17]) == v[17]


def is_valid_mobile(value: str) -> bool:
    digits = re.sub(r"[\s-]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return bool(re.fullmatch(r"1[3-9]\d{9}", digits))


def normalize_mobile(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def mask_id_number(value: str) -> str:
    v = value.strip()
    if len(v) < 8:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_phone(value: str) -> str:
    digits = normalize_mobile(value)
    if len(digits) == 11:
        return digits[:3] + "****" + digits[-4:]
    return re.sub(r"\d(?=\d{4})", "*", value)


def mask_text(text: str) -> str:
    """Mask every ID-like and phone-like number in free text."""
    if not text:
        return text
    out = ID_LIKE_RE.sub(lambda m: mask_id_number(m.group(1)), text)
    out = MOBILE_RE.sub(lambda m: mask_phone(m.group(1)), out)
    return out


def find_id_numbers(text: str) -> list[str]:
    return [m.group(1).upper() for m in ID_LIKE_RE.finditer(text)]


def find_mobiles(text: str) -> list[str]:
    return [normalize_mobile(m.group(1)) for m in MOBILE_RE.finditer(text)]
