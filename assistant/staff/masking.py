"""Masking of identity and phone numbers in transcripts, with a reference per masked number.

Staff see ``mask_text``-style masks (``110**********7777``, ``138****5678``); each masked number
gets a stable reference ``"<turn seq>:<index>"`` so that a reveal request can name it without the
client ever holding the clear value. The order of the numbers matches ``assistant.safety.pii``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.safety.pii import (
    ID_LIKE_RE,
    LANDLINE_RE,
    MOBILE_RE,
    document_spans,
    mask_document_number,
    mask_id_number,
    mask_phone,
)


@dataclass(frozen=True)
class MaskedNumber:
    ref: str
    kind: str  # id_number | document_number (passport, travel permit) | mobile | landline
    masked: str
    value: str


@lru_cache(maxsize=1)
def public_numbers() -> frozenset[str]:
    """Phone numbers the hospital publishes in its own documents (switchboard, hotlines)."""
    from assistant.config import get_settings

    docs = get_settings().hospital_dir / "docs"
    found: set[str] = set()
    for path in docs.glob("*.md") if docs.is_dir() else []:
        found.update(m.group(1) for m in LANDLINE_RE.finditer(path.read_text(encoding="utf-8")))
    return frozenset(found)


def _mask_landline(value: str) -> str:
    area, _, rest = value.partition("-")
    return area + "-" + re.sub(r"\d(?=(?:-?\d){4})", "*", rest)


def find_numbers(text: str, seq: int) -> tuple[str, list[MaskedNumber]]:
    """The masked text and every number masked in it, in order of appearance."""
    if not text:
        return text, []
    spans: list[tuple[int, int, str, str, str]] = []  # start, end, kind, value, masked
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for m in ID_LIKE_RE.finditer(text):
        v = m.group(1)
        spans.append((m.start(1), m.end(1), "id_number", v, mask_id_number(v)))
        taken.append((m.start(1), m.end(1)))
    for m in MOBILE_RE.finditer(text):
        if free(m.start(), m.end()):
            v = m.group(1)
            spans.append((m.start(1), m.end(1), "mobile", v, mask_phone(v)))
            taken.append((m.start(1), m.end(1)))
    for a, b in document_spans(text):
        if free(a, b):
            v = text[a:b]
            spans.append((a, b, "document_number", v, mask_document_number(v)))
            taken.append((a, b))
    public = public_numbers()
    for m in LANDLINE_RE.finditer(text):
        if m.group(1) in public:
            continue  # the hospital's own published numbers are not patient data
        if free(m.start(1), m.end(1)):
            v = m.group(1)
            spans.append((m.start(1), m.end(1), "landline", v, _mask_landline(v)))
            taken.append((m.start(1), m.end(1)))
    spans.sort()
    out: list[str] = []
    found: list[MaskedNumber] = []
    pos = 0
    for i, (start, end, kind, value, masked) in enumerate(spans):
        out.append(text[pos:start])
        out.append(masked)
        found.append(MaskedNumber(ref=f"{seq}:{i}", kind=kind, masked=masked, value=value))
        pos = end
    out.append(text[pos:])
    return "".join(out), found


def mask_with_refs(text: str, seq: int) -> tuple[str, list[dict[str, str]]]:
    """Masked text and the public part of each masked number (never the value)."""
    masked, found = find_numbers(text, seq)
    return masked, [{"ref": n.ref, "kind": n.kind, "masked": n.masked} for n in found]


def reveal(text: str, ref: str) -> MaskedNumber | None:
    """The masked number named ``ref`` in a turn's text, or None when there is none."""
    try:
        seq_s, _, _ = ref.partition(":")
        seq = int(seq_s)
    except ValueError:
        return None
    for n in find_numbers(text, seq)[1]:
        if n.ref == ref:
            return n
    return None
