"""Identity and phone numbers: validation (GB 11643 check digit) and masking for display and logs.

Real-name booking accepts (outpatient_guide.md §四, 可用证件) the 18-character resident ID, which also
covers the 港澳台居民居住证 (81/82/83…) and the new 外国人永久居留身份证 (9…; same check digit), and,
named by the patient or unambiguous by its format, a passport or a 往来内地通行证 (HK/Macau: H/M and
8 or 10 digits; Taiwan: 8 digits). Those numbers are personal identifiers as much as an ID number:
``mask_text`` masks them too."""

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


def mask_document_number(value: str) -> str:
    """A passport or travel-permit number as shown or logged: first character and last 3 (2 when short)."""
    v = value.strip()
    if len(v) < 5:
        return "*" * len(v)
    tail = 3 if len(v) >= 8 else 2
    return v[:1] + "*" * (len(v) - 1 - tail) + v[-tail:]


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
    return mask_documents(out)


def find_id_numbers(text: str) -> list[str]:
    return [m.group(1).upper() for m in ID_LIKE_RE.finditer(text)]


def find_mobiles(text: str) -> list[str]:
    return [normalize_mobile(m.group(1)) for m in MOBILE_RE.finditer(text)]


# ---- passports and travel permits -------------------------------------------------------------------
RESIDENT_ID = "resident_id"  # 居民身份证 / 港澳台居民居住证 / 外国人永久居留身份证 (18 characters, GB 11643)
PASSPORT = "passport"
HK_MACAU_PERMIT = "hk_macau_permit"  # 港澳居民来往内地通行证 (回乡证)
TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证 (台胞证)
DOCUMENT_TYPES = (RESIDENT_ID, PASSPORT, HK_MACAU_PERMIT, TAIWAN_PERMIT)

_KW_PASSPORT = r"护照|passport"
_KW_HK = r"回乡证|港澳(?:居民)?(?:来往内地)?通行证|home[- ]return permit|hong ?kong(?: and| ?/ ?| ?& ?)?(?:macaoa?|macau)? (?:travel )?permit|macau (?:travel )?permit"
_KW_TW = r"台胞证|台湾(?:居民)?(?:来往大陆)?通行证|taiwan(?:ese)? (?:compatriot |travel )?permit|mtp for taiwan"
_KW_PERMIT = r"往来内地通行证|来往内地通行证|来往大陆通行证|通行证|(?:mainland )?travel permit|permit"
_KW_ANY = rf"(?P<pp>{_KW_PASSPORT})|(?P<hk>{_KW_HK})|(?P<tw>{_KW_TW})|(?P<pm>{_KW_PERMIT})"
# The label between the document's name and its number: 护照号码是 / passport number: / passport no.
_KW_GAP = r"\s*(?:的)?\s*(?:号码|号|number|no\.?|#)?\s*(?:是|为|[:：=]|is\b)?\s*"
DOCUMENT_KEYWORD_RE = re.compile(rf"(?:{_KW_ANY})", re.I)
# A labelled number (masked whatever its shape): the document named, then a run of letters and digits.
_LABELLED_RE = re.compile(rf"(?:{_KW_PASSPORT}|{_KW_HK}|{_KW_TW}|{_KW_PERMIT}|证件号码?|document number){_KW_GAP}"
                          r"(?<![A-Za-z0-9])([A-Za-z0-9]{1,20}(?:[ -]\d{2,})*)(?![A-Za-z0-9*])", re.I)
# Unlabelled but unmistakable: HK/Macau permits (H/M + 8 or 10 digits) and passport-shaped runs
# (1-2 capital letters + 7-9 digits, e.g. E12345678, EA1234567, G12345678).
HK_MACAU_PERMIT_RE = re.compile(r"(?<![A-Za-z0-9])([HMhm]\d{8}(?:\d{2})?)(?![A-Za-z0-9])")
PASSPORT_SHAPE_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{1,2}\d{7,9})(?![A-Za-z0-9])")


def _labelled_number(raw: str) -> bool:
    compact = re.sub(r"[ -]", "", raw)
    return len(compact) >= 5 and any(c.isdigit() for c in compact)


def mask_documents(text: str) -> str:
    """Mask passport and travel-permit numbers: labelled ones whatever their shape, and unlabelled
    ones that can only be such a number."""
    if not text:
        return text
    out = _LABELLED_RE.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + mask_document_number(m.group(1))
                           if _labelled_number(m.group(1)) else m.group(0), text)
    out = HK_MACAU_PERMIT_RE.sub(lambda m: mask_document_number(m.group(1)), out)
    return PASSPORT_SHAPE_RE.sub(lambda m: mask_document_number(m.group(1)), out)


def document_spans(text: str) -> list[tuple[int, int]]:
    """Where ``mask_documents`` masks a number in ``text`` (start, end of each number)."""
    spans: list[tuple[int, int]] = []
    for m in _LABELLED_RE.finditer(text):
        if _labelled_number(m.group(1)):
            spans.append((m.start(1), m.end(1)))
    for rx in (HK_MACAU_PERMIT_RE, PASSPORT_SHAPE_RE):
        for m in rx.finditer(text):
            if all(m.end(1) <= s or m.start(1) >= e for s, e in spans):
                spans.append((m.start(1), m.end(1)))
    return sorted(spans)


def is_valid_passport(value: str) -> bool:
    """5-17 letters and digits with at least one digit (ICAO 9303 allows up to 9 in the MRZ; some
    countries print longer numbers on the page)."""
    v = value.strip().upper()
    return bool(re.fullmatch(r"[A-Z0-9]{5,17}", v)) and any(c.isdigit() for c in v)


def is_valid_hk_macau_permit(value: str) -> bool:
    """H (Hong Kong) or M (Macau) and 8 digits; older permits have 10."""
    return bool(re.fullmatch(r"[HM]\d{8}(?:\d{2})?", value.strip().upper()))


def is_valid_taiwan_permit(value: str) -> bool:
    return bool(re.fullmatch(r"\d{8}", value.strip()))


def is_valid_document(id_type: str, value: str) -> bool:
    if id_type == PASSPORT:
        return is_valid_passport(value)
    if id_type == HK_MACAU_PERMIT:
        return is_valid_hk_macau_permit(value)
    if id_type == TAIWAN_PERMIT:
        return is_valid_taiwan_permit(value)
    return is_valid_id_number(value)


def mask_identifier(id_type: str | None, value: str) -> str:
    """The mask of an identity document number of any accepted type."""
    if not id_type or id_type == RESIDENT_ID:
        return mask_id_number(value)
    return mask_document_number(value)


def _fold(text: str) -> str:
    """Full-width letters and digits (ＥＡ１２３) as ASCII, same length so positions still hold."""
    return "".join(chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else c for c in text)


def parse_document(text: str, *, shape_only: bool = False) -> tuple[str | None, str | None, tuple[int, int] | None]:
    """The identity document a message names or shows, other than the 18-character resident ID:
    ``(type, number, span)``. ``type`` is None when no passport or permit is named; ``number`` is
    None when one is named without its number ("I only have a passport"). A number is taken as it
    was said (upper-cased, spaces and hyphens inside dropped); whether it is valid is for
    ``is_valid_document``. ``shape_only`` lets an unlabelled passport-shaped run count (the form has
    just asked for the number); an unlabelled H/M permit number always counts."""
    if not text:
        return None, None, None
    folded = _fold(text)
    m = DOCUMENT_KEYWORD_RE.search(folded)
    if m is not None:
        kind = PASSPORT if m.group("pp") else HK_MACAU_PERMIT if m.group("hk") else TAIWAN_PERMIT if m.group("tw") else None
        gap = re.compile(_KW_GAP + r"([A-Za-z0-9]{1,20}(?:[ -]\d{2,})*)(?![A-Za-z0-9])", re.I).match(folded, m.end())
        raw = gap.group(1) if gap else ""
        if len(re.sub(r"[ -]", "", raw)) > 17:  # "passport 12345678 13812345678": the number, then the phone
            raw = re.split(r"[ -]", raw)[0]
        number = re.sub(r"[ -]", "", raw).upper()
        # a phone number said after the document's name is not its number
        if number and (not any(c.isdigit() for c in number) and len(number) < 5):
            number = ""
        if number and re.fullmatch(r"1[3-9]\d{9}", number) and kind != PASSPORT:
            number = ""
        span = (gap.start(1), gap.start(1) + len(raw)) if number and gap else None
        if kind is None:  # 通行证 / travel permit: the format says which
            if number and is_valid_hk_macau_permit(number):
                kind = HK_MACAU_PERMIT
            elif number and is_valid_taiwan_permit(number):
                kind = TAIWAN_PERMIT
            else:
                kind = HK_MACAU_PERMIT if number[:1] in ("H", "M") else TAIWAN_PERMIT if number.isdigit() else "permit"
        return kind, number or None, span
    hk = HK_MACAU_PERMIT_RE.search(folded)
    if hk is not None:
        return HK_MACAU_PERMIT, hk.group(1).upper(), (hk.start(1), hk.end(1))
    if shape_only:
        pp = re.search(r"(?<![A-Za-z0-9])([A-Za-z]{1,2}\d{7,9})(?![A-Za-z0-9])", folded)
        if pp is not None:
            return PASSPORT, pp.group(1).upper(), (pp.start(1), pp.end(1))
    return None, None, None
