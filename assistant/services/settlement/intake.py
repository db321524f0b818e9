"""Reads what a patient says about their insurance and their bill: plan, working or retired, the
outpatient deductible already reached, and fee items named with quantities. Plain text rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

_CN_DIGITS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def parse_plan(text: str) -> str | None:
    t = text.lower()
    if re.search(r"职工|在职|退休|单位|employee|retired|employer", t):
        return "employee"
    if re.search(r"居民|学生|儿童|新农合|城乡|resident|student", t):
        return "resident"
    if re.search(r"(没有|没|没参加|没交|不用|不走|不刷)(买|办|参保|参加)?(的)?(医保|社保)|没(有)?参保|全自费|自费|"
                 r"(?<![a-z])(no|without|don't have|do not have|haven't got) (medical |health )?insurance|uninsured|self-pay|self pay", t):
        return "self_pay"  # no insurance, or not using it: the bill is paid in full
    return None


def parse_personnel(text: str) -> str | None:
    t = text.lower()
    if re.search(r"退休|retired|retiree", t):
        return "retired"
    if re.search(r"在职|上班|工作|active|working|employed", t):
        return "active"
    return None


def parse_deductible(text: str, standard: Decimal | None = None) -> Decimal | None:
    """The outpatient deductible already reached this year, if the patient says so."""
    m = re.search(r"起付线.{0,6}?(?:还差|差)\s*(\d+(?:\.\d+)?)", text)
    if m and standard is not None:
        return max(Decimal(0), standard - Decimal(m.group(1)))
    m = re.search(r"起付线.{0,6}?(?:累计|已付|交了|付了)\s*(\d+(?:\.\d+)?)", text)
    if m:
        return Decimal(m.group(1))
    if re.search(r"起付线.{0,6}?(已满|已经满|已达到|已经达到|够了|满了)|deductible (?:is )?(?:met|reached)", text, re.I):
        return standard if standard is not None else Decimal(10**6)
    if re.search(r"(没|未|还没).{0,4}起付线|起付线.{0,4}(没|未|还没)|first visit this year|deductible not met", text, re.I):
        return Decimal(0)
    return None


def _quantity(after: str) -> Decimal:
    m = re.match(r"\s*[x×*]?\s*(\d+)\s*(?:盒|支|瓶|次|袋|个|天|份|项)?", after)
    if m:
        return Decimal(m.group(1))
    m = re.match(r"\s*([一两二三四五六七八九十])\s*(?:盒|支|瓶|次|袋|个|天|份)", after)
    if m:
        return Decimal(_CN_DIGITS[m.group(1)])
    return Decimal(1)


def _short_names(name_zh: str) -> set[str]:
    base = re.split(r"[((\s]", name_zh, maxsplit=1)[0]
    names = {name_zh, base}
    for suffix in ("诊察费", "费", "检查", "片", "胶囊", "散", "注射液", "肠溶胶囊", "肠溶片"):
        if base.endswith(suffix) and len(base) - len(suffix) >= 2:
            names.add(base[: -len(suffix)])
    for n in range(4, len(base)):
        names.add(base[:n])
    return names


def parse_items(text: str, fee_items: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Fee items named in the text (by code or name), each with a quantity (default 1).

    Longer names win over the shorter ones inside them (副主任医师 is not 主任医师)."""
    matches: list[tuple[int, int, str]] = []
    upper = text.upper()
    for code, fee in fee_items.items():
        for m in re.finditer(re.escape(code.upper()), upper):
            matches.append((m.start(), m.end(), code))
        for cand in _short_names(fee.name_zh):
            for m in re.finditer(re.escape(cand), text):
                matches.append((m.start(), m.end(), code))
    taken: list[tuple[int, int]] = []
    found: dict[str, Decimal] = {}
    for start, end, code in sorted(matches, key=lambda m: (-(m[1] - m[0]), m[0])):
        if any(start < b and a < end for a, b in taken):
            continue
        taken.append((start, end))
        found[code] = found.get(code, Decimal(0)) + _quantity(text[end:end + 8])
    return [{"fee_item_code": code, "quantity": qty} for code, qty in found.items()]


# How much insurance pays (医保能报多少 / 自己要付多少): answered from a passage about insurance when one
# answers it (职工医保门诊报多少 → the ratios); otherwise the estimate skill works it out from the patient's
# plan and bill, rather than a passage that merely shares a word ("visit" → ward visiting hours).
_ESTIMATE = re.compile(r"(能|可以|可)?报(销)?(多少|几成|百分之几)|(自己|个人)(要|得|需要)?(付|出|掏|花)多少|医保(能|可以)?(出|付|报|赔)多少"
                       r"|\bhow much (will|does|would|can) (the )?insurance (pay|cover)|\bhow much (will|do) i (pay|have to pay)\b", re.I)
_INSURANCE_WORDS = re.compile(r"医保|报销|统筹|自付|insurance|reimburs|covered|co-?pay", re.I)


def wants_an_estimate(text: str, passage_answer: str | None = None) -> bool:
    """A question how much insurance pays (医保能报多少 / how much will I pay) that the estimate skill
    should work out: no passage answered it, or the one that did says nothing about insurance."""
    if not _ESTIMATE.search(text or ""):
        return False
    return passage_answer is None or not _INSURANCE_WORDS.search(passage_answer)
