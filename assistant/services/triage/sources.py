"""Hospital facts for triage replies, read from the hospital's own documents and data, with citations.

Every place, phone number or service note a triage reply states (the emergency department's
location, the stroke- and chest-pain-centre notes, the 12356 hotline, a department's floor) comes
from ``HospitalData.documents`` or ``departments.csv`` through this module, together with the
citation ``{"doc_id", "title", "snippet"}`` that the reply carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.hospital import Department, HospitalData


@dataclass(frozen=True)
class Fact:
    text: str
    citation: dict[str, str]


@lru_cache(maxsize=32)
def _doc_lines(path: str) -> tuple[str, ...]:
    text = Path(path).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _clean(line: str) -> str:
    line = re.sub(r"^(?:[-*>#]+\s*|\d+\.\s+)+", "", line)
    return line.replace("**", "").strip()


def find(hospital: HospitalData, doc_id: str, pattern: str, *, sentence: bool = False) -> Fact | None:
    """The first line (or, with ``sentence``, the first sentence) of a document matching ``pattern``."""
    doc = hospital.document(doc_id)
    if doc is None or not doc.path.is_file():
        return None
    rx = re.compile(pattern)
    for line in _doc_lines(str(doc.path)):
        m = rx.search(line)
        if not m:
            continue
        text = _clean(line)
        if sentence:
            parts = re.split(r"(?<=[。;；])|(?<=\.)\s+(?=[A-Z])", text)
            text = next((p for p in parts if rx.search(p)), text)
        return Fact(text=text, citation={"doc_id": doc.doc_id, "title": doc.title, "snippet": text[:240]})
    return None


# What to read for each emergency topic: (zh pattern, en pattern) in emergency_and_fever.md.
EMERGENCY_TOPICS = {
    "location": (r"\*\*位置\*\*.*4号楼", r"Emergency Department is on the ground floor"),
    "stroke": (r"院内流程目标", r"stroke center aims"),
    "stroke_window": (r"\*\*时间窗\*\*", r"Clot-dissolving treatment"),
    "chest": (r"胸痛中心设在", r"chest pain center records"),
    "chest_advice": (r"胸痛持续超过15分钟", r"chest pain center records"),
    "pediatric": (r"位置:4号楼1楼东区", r"Pediatric emergency"),
    "obstetric": (r"孕20周及以上的孕妇", r"obstetric emergencies from week 20"),
    "trauma": (r"4号楼1楼设创伤复苏单元", r"Emergency Department is on the ground floor"),
    "call120": (r"遇到危及生命的情况", r"Call 120 for any life-threatening"),
    "fever": (r"\*\*位置和时间\*\*", r"Fever Clinic in Building 5"),
}


def emergency_fact(hospital: HospitalData, topic: str, lang: str) -> Fact | None:
    zh, en = EMERGENCY_TOPICS[topic]
    return find(hospital, "emergency_and_fever", en if lang == "en" else zh, sentence=lang == "en")


def crisis_fact(hospital: HospitalData, lang: str) -> Fact | None:
    """The psychological assistance hotline note (精神心理科 tip: 12356)."""
    return find(hospital, "departments", r"12356") if lang != "en" else (
        find(hospital, "departments", r"12356") or find(hospital, "departments", r"For emergencies, call 120", sentence=True)
    )


_CAMPUS_EN = {"本部": "Main campus", "城西院区": "Chengxi branch"}


def location_en(dept: Department) -> str:
    b = dept.building
    m = re.match(r"(\d+)号楼", b)
    building = f"Building {m.group(1)}" if m else re.sub(r"([A-Z])栋.*", r"Block \1", b)
    floor = dept.floor
    fm = re.match(r"([\d-]+)楼(?:([A-Z])区|(东区))?", floor)
    if fm:
        floor_en = f"floor {fm.group(1)}" + (f", zone {fm.group(2)}" if fm.group(2) else ", east zone" if fm.group(3) else "")
    else:
        floor_en = floor
    return f"{_CAMPUS_EN.get(dept.campus, dept.campus)}, {building}, {floor_en}"


def department_fact(hospital: HospitalData, dept_id: str, lang: str) -> Fact | None:
    """Where a department is, from departments.csv, cited to the departments document."""
    dept = hospital.departments.get(dept_id)
    if dept is None:
        return None
    if lang == "en":
        text = f"{dept.name_en}: {location_en(dept)}"
    else:
        text = f"{dept.name_zh}位于{dept.location_zh}"
    doc = hospital.document("departments")
    snippet = text
    if doc is not None:
        heading = next((ln for ln in _doc_lines(str(doc.path)) if ln.startswith("###") and dept.name_zh in ln), None)
        if heading is not None:
            lines = _doc_lines(str(doc.path))
            i = lines.index(heading)
            loc_line = next((ln for ln in lines[i + 1:i + 4] if "位置" in ln), None)
            if loc_line:
                snippet = _clean(loc_line)
        citation = {"doc_id": doc.doc_id, "title": doc.title, "snippet": f"{dept.name_zh}: {snippet}"[:240]}
    else:
        citation = {"doc_id": "departments", "title": "departments.csv", "snippet": text}
    return Fact(text=text, citation=citation)
