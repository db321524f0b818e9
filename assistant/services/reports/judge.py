"""Flags each read value high, low, normal, critical_high or critical_low: against the report's own range,
else the hospital's (by sex and age); critical limits (危急值) always come from lab_reference.csv."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.hospital import HospitalData, LabReference
from assistant.services.reports.dictionary import ItemDictionary
from assistant.services.reports.models import JudgedItem, ReadItem
from assistant.services.reports.text_parser import NEGATIVE
from assistant.services.reports.units import (
    PLAUSIBLE,
    alternate_units,
    clean_unit,
    convert,
    convert_back,
    nice,
)


@dataclass
class HospitalRange:
    code: str
    unit: str
    ref_low: float | None
    ref_high: float | None
    critical_low: float | None
    critical_high: float | None
    high_meaning: str
    low_meaning: str
    merged: bool = False  # True when sex/age were unknown and rows were widened


class Judge:
    def __init__(self, hospital: HospitalData, dictionary: ItemDictionary) -> None:
        self.dict = dictionary
        self.rows: dict[str, list[LabReference]] = {}
        for r in hospital.lab_reference:
            self.rows.setdefault(r.item_code, []).append(r)

    def hospital_range(self, code: str, sex: str | None, age: float | None) -> HospitalRange | None:
        rows = self.rows.get(code)
        if not rows:
            return None
        if age is not None and age < 18:
            adult = None  # the hospital's ranges are adult ranges; critical limits still apply
        else:
            adult = rows
        cand = [r for r in rows if (sex is None or r.sex in ("all", sex))]
        if age is not None:
            cand = [r for r in cand if (r.age_min is None or age >= r.age_min) and (r.age_max is None or age <= r.age_max)]
        if not cand:
            cand = rows
        merged = len(cand) > 1
        first = cand[0]

        def lo(vals: list[float | None]) -> float | None:
            vs = [v for v in vals if v is not None]
            return min(vs) if len(vs) == len(vals) and vs else None

        def hi(vals: list[float | None]) -> float | None:
            vs = [v for v in vals if v is not None]
            return max(vs) if len(vs) == len(vals) and vs else None

        return HospitalRange(
            code=code,
            unit=first.unit,
            ref_low=lo([r.ref_low for r in cand]) if adult else None,
            ref_high=hi([r.ref_high for r in cand]) if adult else None,
            # widest critical limits (least likely to over-call) only when rows differ; they agree in the data
            critical_low=lo([r.critical_low for r in cand]),
            critical_high=hi([r.critical_high for r in cand]),
            high_meaning=first.high_meaning_zh,
            low_meaning=first.low_meaning_zh,
            merged=merged,
        )

    def judge(self, item: ReadItem, sex: str | None, age: float | None, lang: str = "zh") -> JudgedItem:
        code = item.code
        name = item.name if code is None else (self.dict.name_zh(code) if lang == "zh" else self.dict.name_en(code))
        j = JudgedItem(item=item, code=code or item.name, name=name, flag=None, ref_low=item.ref_low,
                       ref_high=item.ref_high, range_source="report" if item.ref_low is not None or item.ref_high is not None else None,
                       unit=item.unit)
        if code is None:
            j.notes.append("unknown_test")
            return j
        hr = self.hospital_range(code, sex, age)
        if item.qualitative:
            return self._qualitative(j, item, hr)
        value = float(item.value)  # type: ignore[arg-type]
        hospital_value = None
        if hr is not None:
            unit = item.unit
            if unit is None and not hr.unit:
                unit = ""  # a unitless test (INR, specific gravity, pH)
            elif unit is None:
                unit = self._guess_unit(code, value, item, hr)
                if unit is None:
                    j.notes.append("unit_unknown")
                else:
                    j.notes.append("unit_assumed")
                    j.unit = unit
            if unit is not None:
                hospital_value = convert(code, value, unit, hr.unit)
                if hospital_value is None:
                    j.notes.append("unit_not_convertible")
                elif clean_unit(unit) != clean_unit(hr.unit) and hr.unit:
                    j.notes.append(f"converted:{nice(hospital_value)} {hr.unit}")
            # no printed range: the hospital's, in the report's unit
            if j.range_source is None and hospital_value is not None and (hr.ref_low is not None or hr.ref_high is not None):
                j.ref_low = convert_back(code, hr.ref_low, hr.unit, unit) if hr.ref_low is not None else None
                j.ref_high = convert_back(code, hr.ref_high, hr.unit, unit) if hr.ref_high is not None else None
                j.range_source = "hospital"
                if hr.merged:
                    j.notes.append("range_widened")
            if age is not None and age < 18 and j.range_source is None:
                j.notes.append("child_no_range")
        # critical limits
        if hr is not None and hospital_value is not None:
            if hr.critical_high is not None and item.comparator not in ("<", "<=") and hospital_value >= hr.critical_high:
                j.flag, j.critical_limit = "critical_high", hr.critical_high
            elif hr.critical_low is not None and item.comparator not in (">", ">=") and hospital_value <= hr.critical_low:
                j.flag, j.critical_limit = "critical_low", hr.critical_low
        if j.flag is None:
            j.flag = self._against_range(value, item.comparator, j.ref_low, j.ref_high)
            if j.flag is None and j.range_source is None and item.mark in ("H", "L"):
                j.flag = "high" if item.mark == "H" else "low"
                j.notes.append("flag_from_mark")
        if j.flag and item.mark in ("H", "L") and j.flag == "normal":
            j.notes.append("mark_disagrees")
        if hr is not None:
            if j.flag in ("high", "critical_high"):
                j.meaning = hr.high_meaning
            elif j.flag in ("low", "critical_low"):
                j.meaning = hr.low_meaning
        return j

    @staticmethod
    def _against_range(v: float, cmp: str | None, lo: float | None, hi: float | None) -> str | None:
        if lo is None and hi is None:
            return None
        if hi is not None and (v > hi or (cmp in (">", ">=") and v >= hi)):
            return "high"
        if lo is not None and (v < lo or (cmp in ("<", "<=") and v <= lo)):
            return "low"
        if cmp in ("<", "<=") and hi is not None and v > hi:
            return None
        if cmp in (">", ">=") and lo is not None and v < lo:
            return None
        return "normal"

    def _qualitative(self, j: JudgedItem, item: ReadItem, hr: HospitalRange | None) -> JudgedItem:
        v = str(item.value).lower()
        j.ref_low = j.ref_high = None
        if v in NEGATIVE or v in ("-", "(-)"):
            j.flag = "normal"
        else:
            expected_positive = (item.ref_text or "").lower() in ("阳性", "positive", "+", "(+)")
            j.flag = "normal" if expected_positive else "high"
            j.meaning = hr.high_meaning if hr else ""
        j.range_source = "report" if item.ref_text else "rule"
        return j

    def _guess_unit(self, code: str, value: float, item: ReadItem, hr: HospitalRange) -> str | None:
        """The unit of a unitless value: the hospital's when plausible, else an alternate that is."""
        candidates = [hr.unit] + alternate_units(code, hr.unit)
        if item.ref_low is not None or item.ref_high is not None:
            mid_printed = ((item.ref_low or 0) + (item.ref_high or item.ref_low or 0)) / (2 if item.ref_high and item.ref_low is not None else 1)
            mid_h = ((hr.ref_low or 0) + (hr.ref_high or hr.ref_low or 0)) / (2 if hr.ref_high and hr.ref_low is not None else 1)
            for u in candidates:
                conv = convert(code, mid_printed, u, hr.unit)
                if conv and mid_h and 0.4 <= conv / mid_h <= 2.5:
                    return u
            return None
        bounds = PLAUSIBLE.get(code)
        if bounds is None:
            if hr.ref_high:
                bounds = (0.0, hr.ref_high * 30)
            else:
                return hr.unit
        for u in candidates:
            conv = convert(code, value, u, hr.unit)
            if conv is not None and bounds[0] <= conv <= bounds[1]:
                return u
        return None
