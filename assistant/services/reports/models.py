"""Plain data shapes of report reading: what a parser read (ParsedReport) and what it means (Interpretation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FLAGS = ("high", "low", "normal", "critical_high", "critical_low")


@dataclass
class ReadItem:
    """One result as printed: the raw name, the code it maps to (None if unknown) and the value."""

    name: str
    code: str | None
    value: float | str | None  # a number, or the qualitative text (阴性, 1+, ...)
    value_text: str  # as printed, e.g. ">1000", "12.5", "阴性"
    comparator: str | None = None  # ">" "<" ">=" "<=" for censored values
    unit: str | None = None
    ref_low: float | None = None
    ref_high: float | None = None
    ref_text: str | None = None  # printed range as text (also "阴性" for qualitative items)
    mark: str | None = None  # the report's own mark: "H" / "L" / None
    source_line: str = ""

    @property
    def numeric(self) -> float | None:
        return self.value if isinstance(self.value, float) else None

    @property
    def qualitative(self) -> bool:
        return isinstance(self.value, str)


@dataclass
class ParsedReport:
    items: list[ReadItem] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # lines that look like results but could not be read
    source: str = "text"  # text | fhir | pdf | image
    sex: str | None = None  # "M" / "F" if the report says so
    age: float | None = None
    notes: list[str] = field(default_factory=list)  # e.g. "photo was rotated", "no text found"

    @property
    def empty(self) -> bool:
        return not self.items


@dataclass
class JudgedItem:
    """A read item after flagging, with the range used and why."""

    item: ReadItem
    code: str
    name: str
    flag: str | None  # one of FLAGS, None when it cannot be judged
    ref_low: float | None
    ref_high: float | None
    range_source: str | None  # report | hospital | None
    unit: str | None
    meaning: str = ""  # plain-language high/low meaning
    critical_limit: float | None = None
    notes: list[str] = field(default_factory=list)

    def contract(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "value": self.item.value if self.item.comparator is None else self.item.value_text,
            "unit": self.unit,
            "ref_low": self.ref_low,
            "ref_high": self.ref_high,
            "flag": self.flag,
        }


@dataclass
class Interpretation:
    items: list[JudgedItem]
    text: str
    department: str | None  # dept_id to follow up with
    critical: bool
    unreadable: list[str]
    unjudged: list[JudgedItem]  # read but no flag possible (unknown test, no range)
    citations: list[dict[str, str]]
    lang: str = "zh"

    @property
    def report_json(self) -> dict[str, Any]:
        return {
            "items": [j.contract() for j in self.items],
            "unjudged": [
                {"name": j.name, "code": j.code, "value": j.item.value_text, "unit": j.unit} for j in self.unjudged
            ],
            "unreadable": list(self.unreadable),
            "critical": self.critical,
            "department": self.department,
        }

    @property
    def critical_items(self) -> list[JudgedItem]:
        return [j for j in self.items if j.flag in ("critical_high", "critical_low")]

    def escalation(self) -> dict[str, Any] | None:
        if not self.critical:
            return None
        parts = [f"{j.code} {j.item.value_text} {j.unit or ''} ({j.flag})".replace("  ", " ") for j in self.critical_items]
        return {"reason": "critical_value", "priority": 1, "summary": "危急值: " + "; ".join(parts)}

    def json_message(self) -> dict[str, Any]:
        msg: dict[str, Any] = {"intent": "report", "report": self.report_json, "citations": list(self.citations)}
        esc = self.escalation()
        if esc:
            msg["escalate"] = esc
        return msg
