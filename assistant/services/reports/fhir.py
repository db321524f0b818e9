"""Reads FHIR R4 lab results: a Bundle, a DiagnosticReport with contained (or bundled) Observations, or
Observations alone; valueQuantity / valueString / valueCodeableConcept, referenceRange, interpretation."""

from __future__ import annotations

from typing import Any

from assistant.services.reports.dictionary import LOINC, ItemDictionary
from assistant.services.reports.models import ParsedReport, ReadItem
from assistant.services.reports.text_parser import NUMBER_RE, _disambiguate, normalize
from assistant.services.reports.units import clean_unit

_INTERP = {"H": "H", "HH": "H", "HU": "H", "L": "L", "LL": "L", "LU": "L", "A": None, "AA": None, "N": None}
_COMPARATORS = {"<": "<", "<=": "<=", ">": ">", ">=": ">="}


class FhirParser:
    def __init__(self, dictionary: ItemDictionary) -> None:
        self.dict = dictionary

    def parse(self, obj: Any) -> ParsedReport:
        report = ParsedReport(source="fhir")
        if not isinstance(obj, dict):
            report.notes.append("not a FHIR resource")
            return report
        observations: list[dict[str, Any]] = []
        by_ref: dict[str, dict[str, Any]] = {}
        reports: list[dict[str, Any]] = []
        patients: list[dict[str, Any]] = []

        def collect(res: dict[str, Any], full_url: str | None = None) -> None:
            rt = res.get("resourceType")
            if rt == "Observation":
                observations.append(res)
                if res.get("id"):
                    by_ref[f"Observation/{res['id']}"] = res
                if full_url:
                    by_ref[full_url] = res
            elif rt == "DiagnosticReport":
                reports.append(res)
                for c in res.get("contained", []) or []:
                    if isinstance(c, dict) and c.get("resourceType") == "Observation":
                        by_ref[f"#{c.get('id')}"] = c
                        if c.get("id"):
                            by_ref[f"Observation/{c['id']}"] = c
                    elif isinstance(c, dict) and c.get("resourceType") == "Patient":
                        patients.append(c)
            elif rt == "Patient":
                patients.append(res)
            elif rt == "Bundle":
                for e in res.get("entry", []) or []:
                    if isinstance(e, dict) and isinstance(e.get("resource"), dict):
                        collect(e["resource"], e.get("fullUrl"))

        collect(obj)
        ordered: list[dict[str, Any]] = []
        seen: set[int] = set()
        for dr in reports:
            for ref in dr.get("result", []) or []:
                target = by_ref.get((ref or {}).get("reference", ""))
                if target is not None and id(target) not in seen:
                    ordered.append(target)
                    seen.add(id(target))
                elif target is None:
                    report.unreadable.append(f"result reference {ref.get('reference') if isinstance(ref, dict) else ref} not found")
        for o in observations:
            if id(o) not in seen:
                ordered.append(o)
                seen.add(id(o))
        for o in ordered:
            # panels: an Observation with hasMember / component
            for comp in o.get("component", []) or []:
                if isinstance(comp, dict):
                    self._add(report, comp)
            if any(k.startswith("value") for k in o):
                self._add(report, o)
            elif not o.get("component") and not o.get("hasMember"):
                report.unreadable.append(self._name(o) or "Observation without a value")
        for p in patients:
            g = p.get("gender")
            if g in ("male", "female"):
                report.sex = "M" if g == "male" else "F"
        return report

    def _name(self, o: dict[str, Any]) -> str:
        code = o.get("code") or {}
        if code.get("text"):
            return str(code["text"])
        for c in code.get("coding", []) or []:
            if c.get("display"):
                return str(c["display"])
        return ""

    def _code(self, o: dict[str, Any]) -> str | None:
        code = o.get("code") or {}
        for c in code.get("coding", []) or []:
            if "loinc" in str(c.get("system", "")).lower() and str(c.get("code")) in LOINC:
                return LOINC[str(c.get("code"))]
        for c in code.get("coding", []) or []:
            for key in ("code", "display"):
                hit = self.dict.lookup(normalize(str(c.get(key) or "")))
                if hit:
                    return hit
        if code.get("text"):
            return self.dict.lookup(normalize(str(code["text"])))
        return None

    def _add(self, report: ParsedReport, o: dict[str, Any]) -> None:
        name = self._name(o)
        code = self._code(o)
        unit = None
        comparator = None
        value: float | str | None = None
        if isinstance(o.get("valueQuantity"), dict):
            q = o["valueQuantity"]
            if isinstance(q.get("value"), (int, float)):
                value = float(q["value"])
            unit = q.get("unit") or q.get("code")
            comparator = _COMPARATORS.get(q.get("comparator") or "")
        elif isinstance(o.get("valueString"), str):
            s = normalize(o["valueString"]).strip()
            m = NUMBER_RE.match(s)
            if m:
                value = float(m.group("num"))
                comparator = {"≤": "<=", "≥": ">="}.get(m.group("cmp") or "", m.group("cmp"))
            else:
                value = s
        elif isinstance(o.get("valueCodeableConcept"), dict):
            cc = o["valueCodeableConcept"]
            value = cc.get("text") or next((c.get("display") or c.get("code") for c in cc.get("coding", []) or []), None)
        elif isinstance(o.get("valueInteger"), int):
            value = float(o["valueInteger"])
        if value is None:
            report.unreadable.append(name or "Observation without a readable value")
            return
        unit = clean_unit(unit.replace("10*", "10^").strip("{}[]")) if isinstance(unit, str) else None
        if unit in ("INR", "ratio", "RATIO", "pH"):
            unit = None
        lo = hi = None
        ref_text = None
        for rr in o.get("referenceRange", []) or []:
            if not isinstance(rr, dict):
                continue
            if isinstance(rr.get("low"), dict) and isinstance(rr["low"].get("value"), (int, float)):
                lo = float(rr["low"]["value"])
            if isinstance(rr.get("high"), dict) and isinstance(rr["high"].get("value"), (int, float)):
                hi = float(rr["high"]["value"])
            ref_text = rr.get("text") or ref_text
            break
        mark = None
        for it in o.get("interpretation", []) or []:
            for c in (it or {}).get("coding", []) or []:
                mark = _INTERP.get(str(c.get("code")), mark)
        if code is not None:
            code = _disambiguate(code, value, unit, name, False)
        vt = (comparator or "") + (f"{value:g}" if isinstance(value, float) else str(value))
        if code is None and not name:
            report.unreadable.append("Observation without a code")
            return
        report.items.append(ReadItem(name=name or code or "", code=code, value=value, value_text=vt, comparator=comparator,
                                     unit=unit, ref_low=lo, ref_high=hi, ref_text=ref_text, mark=mark,
                                     source_line=f"{name} {vt} {unit or ''}".strip()))
