"""Identity numbers and phone numbers in free text, validated with ``assistant.safety.pii``.

Valid numbers become ``id_number`` / ``phone`` (value normalized); malformed ones become
``id_number_invalid`` / ``phone_invalid`` so a form can say what is wrong. Never log the values.
"""

from __future__ import annotations

import re

from assistant.nlu.types import Entity
from assistant.safety.pii import is_valid_id_number, is_valid_mobile, normalize_mobile

# A run of digits (and an optional trailing X) with optional single spaces or hyphens between groups.
_RUN = re.compile(r"(?<![\dA-Za-z])(\+?\d(?:[ \-]?\d){8,20}(?:[ \-]?[Xx])?)(?![\dA-Za-z])")


def _landline(digits: str) -> str:
    area = 3 if digits[:2] in ("01", "02") else 4
    return f"{digits[:area]}-{digits[area:]}"


def classify_number(raw: str) -> tuple[str, str] | None:
    """``(type, normalized value)`` for an ID-like or phone-like run, or None for other numbers."""
    compact = re.sub(r"[ \-]", "", raw).upper()
    plus = compact.startswith("+")
    digits = compact.lstrip("+")
    if compact.endswith("X"):
        if len(digits) == 18:
            return ("id_number", digits) if is_valid_id_number(digits) else ("id_number_invalid", digits)
        return ("id_number_invalid", digits) if len(digits) >= 14 else None
    if plus or (digits.startswith("86") and len(digits) == 13):
        return ("phone", normalize_mobile(compact)) if is_valid_mobile(compact) else ("phone_invalid", digits)
    n = len(digits)
    if n == 18:
        return ("id_number", digits) if is_valid_id_number(digits) else ("id_number_invalid", digits)
    if n in (15, 16, 17, 19) and not digits.startswith("0"):
        return ("id_number_invalid", digits)
    if digits.startswith("1"):
        if n == 11:
            return ("phone", digits) if is_valid_mobile(digits) else ("phone_invalid", digits)
        if n in (10, 12):
            return ("phone_invalid", digits)
        return None
    if digits.startswith("0") and digits[1:2] != "0":
        if 10 <= n <= 12:
            return ("phone", _landline(digits))
        if n in (9, 13):
            return ("phone_invalid", digits)
    return None


def extract_identity(text: str, folded: str) -> list[Entity]:
    out: list[Entity] = []
    for m in _RUN.finditer(folded):
        got = classify_number(m.group(1))
        if got is not None:
            out.append(Entity(got[0], got[1], text[m.start(1) : m.end(1)], m.start(1), m.end(1)))
    return out
