"""The hospital's structured data (departments, doctors, schedule, fees, lab ranges, insurance policy).

Loaded once from a hospital directory laid out like ``../shared/hospital`` (``data/*.csv``,
``data/insurance_policy.json``, ``docs/*.md``). Plain dataclasses: no web, store or dialogue imports.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any


def _opt_int(v: str) -> int | None:
    v = (v or "").strip()
    return int(v) if v else None


def _opt_float(v: str) -> float | None:
    v = (v or "").strip()
    return float(v) if v else None


@dataclass(frozen=True)
class Department:
    dept_id: str
    name_zh: str
    name_en: str
    campus: str
    building: str
    floor: str
    min_age: int | None
    max_age: int | None
    description_zh: str
    typical_symptoms_zh: tuple[str, ...]

    def accepts_age(self, age: float | None) -> bool:
        if age is None:
            return True
        if self.min_age is not None and age < self.min_age:
            return False
        if self.max_age is not None and age >= self.max_age + 1:
            return False
        return True

    @property
    def location_zh(self) -> str:
        return f"{self.campus}{self.building}{self.floor}"


@dataclass(frozen=True)
class Doctor:
    doctor_id: str
    name: str
    dept_id: str
    title: str
    specialty_zh: str
    registration_fee_cny: Decimal


@dataclass(frozen=True)
class ScheduleEntry:
    doctor_id: str
    weekday: int  # 1 = Monday ... 7 = Sunday
    session: str  # AM | PM | NIGHT
    slot_minutes: int
    capacity: int


@dataclass(frozen=True)
class FeeItem:
    item_code: str
    name_zh: str
    category: str  # 甲 | 乙 | 丙
    unit_price_cny: Decimal
    kind: str


@dataclass(frozen=True)
class LabReference:
    item_code: str
    name_zh: str
    name_en: str
    unit: str
    sex: str  # all | M | F
    age_min: int | None
    age_max: int | None
    ref_low: float | None
    ref_high: float | None
    critical_low: float | None
    critical_high: float | None
    high_meaning_zh: str
    low_meaning_zh: str


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    path: Path


@dataclass
class HospitalData:
    root: Path
    departments: dict[str, Department]
    doctors: dict[str, Doctor]
    schedule: list[ScheduleEntry]
    fee_items: dict[str, FeeItem]
    lab_reference: list[LabReference]
    insurance_policy: dict[str, Any]
    documents: list[Document] = field(default_factory=list)

    @property
    def name_zh(self) -> str:
        return "滨江示例人民医院"

    def department_by_name(self, name_zh: str) -> Department | None:
        for d in self.departments.values():
            if d.name_zh == name_zh:
                return d
        return None

    def doctors_in(self, dept_id: str) -> list[Doctor]:
        return [d for d in self.doctors.values() if d.dept_id == dept_id]

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self.documents if d.doc_id == doc_id), None)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _front_matter_title(path: Path) -> tuple[str, str]:
    doc_id, title = path.stem, path.stem
    text = path.read_text(encoding="utf-8")
    if text.startswith("---"):
        end = text.find("\n---", 3)
        for line in text[3:end].splitlines():
            key, _, value = line.partition(":")
            value = value.strip().strip('"')
            if key.strip() == "id" and value:
                doc_id = value
            elif key.strip() == "title" and value:
                title = value
    return doc_id, title


def load_hospital(root: Path) -> HospitalData:
    root = Path(root)
    data = root / "data"
    if not (data / "departments.csv").is_file():
        raise FileNotFoundError(f"no hospital data at {root} (expected data/departments.csv)")
    departments = {
        r["dept_id"]: Department(
            dept_id=r["dept_id"],
            name_zh=r["name_zh"],
            name_en=r["name_en"],
            campus=r["campus"],
            building=r["building"],
            floor=r["floor"],
            min_age=_opt_int(r["min_age"]),
            max_age=_opt_int(r["max_age"]),
            description_zh=r["description_zh"],
            typical_symptoms_zh=tuple(s.strip() for s in r["typical_symptoms_zh"].split(";") if s.strip()),
        )
        for r in _read_csv(data / "departments.csv")
    }
    doctors = {
        r["doctor_id"]: Doctor(
            doctor_id=r["doctor_id"],
            name=r["name"],
            dept_id=r["dept_id"],
            title=r["title"],
            specialty_zh=r["specialty_zh"],
            registration_fee_cny=Decimal(r["registration_fee_cny"]),
        )
        for r in _read_csv(data / "doctors.csv")
    }
    schedule = [
        ScheduleEntry(
            doctor_id=r["doctor_id"],
            weekday=int(r["weekday"]),
            session=r["session"],
            slot_minutes=int(r["slot_minutes"]),
            capacity=int(r["capacity"]),
        )
        for r in _read_csv(data / "schedule.csv")
    ]
    fee_items = {
        r["item_code"]: FeeItem(
            item_code=r["item_code"],
            name_zh=r["name_zh"],
            category=r["category"],
            unit_price_cny=Decimal(r["unit_price_cny"]),
            kind=r["kind"],
        )
        for r in _read_csv(data / "fee_items.csv")
    }
    lab_reference = [
        LabReference(
            item_code=r["item_code"],
            name_zh=r["name_zh"],
            name_en=r["name_en"],
            unit=r["unit"],
            sex=r["sex"],
            age_min=_opt_int(r["age_min"]),
            age_max=_opt_int(r["age_max"]),
            ref_low=_opt_float(r["ref_low"]),
            ref_high=_opt_float(r["ref_high"]),
            critical_low=_opt_float(r["critical_low"]),
            critical_high=_opt_float(r["critical_high"]),
            high_meaning_zh=r["high_meaning_zh"],
            low_meaning_zh=r["low_meaning_zh"],
        )
        for r in _read_csv(data / "lab_reference.csv")
    ]
    policy = json.loads((data / "insurance_policy.json").read_text(encoding="utf-8"))
    documents = []
    docs_dir = root / "docs"
    if docs_dir.is_dir():
        for p in sorted(docs_dir.glob("*.md")):
            doc_id, title = _front_matter_title(p)
            documents.append(Document(doc_id=doc_id, title=title, path=p))
    return HospitalData(
        root=root,
        departments=departments,
        doctors=doctors,
        schedule=schedule,
        fee_items=fee_items,
        lab_reference=lab_reference,
        insurance_policy=policy,
        documents=documents,
    )


@lru_cache(maxsize=4)
def cached_hospital(root: str) -> HospitalData:
    return load_hospital(Path(root))
