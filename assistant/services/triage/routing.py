"""Department choice from findings, within the hospital's rules: age limits, sex, fever-first, pregnancy.

Scores come from the lexicon's department weights and explicit department names (想挂骨科); the
rules of docs/departments.md §二 then apply: children under 14 see Pediatrics unless the specialty
sees all ages, a temperature of 37.3 °C or more goes to the Fever Clinic (children: Pediatrics, whose
doctors staff the fever clinic's children's zone), pregnancy-related complaints go to Obstetrics, and
Gynecology/Obstetrics are for women only.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.hospital import HospitalData

ALIASES: dict[str, tuple[str, ...]] = {
    "cardiology": ("心内科", "心血管科", "心脏科", "心内", "cardiologist"),
    "respiratory": ("呼吸科", "呼吸内科", "呼吸与危重症", "pulmonologist"),
    "gastroenterology": ("消化科", "消化内科", "胃肠科", "gastroenterologist"),
    "neurology": ("神经内科", "神内", "neurologist"),
    "endocrinology": ("内分泌科", "内分泌", "endocrinologist"),
    "nephrology": ("肾内科", "肾病科", "nephrologist"),
    "general_surgery": ("普外科", "普通外科", "general surgeon"),
    "orthopedics": ("骨科", "orthopedist", "orthopaedics"),
    "urology": ("泌尿外科", "泌尿科", "男科", "urologist"),
    "neurosurgery": ("神经外科", "neurosurgeon"),
    "thoracic_surgery": ("胸外科",),
    "gynecology": ("妇科", "gynecologist", "gynaecology"),
    "obstetrics": ("产科", "obstetrician"),
    "pediatrics": ("儿科", "pediatrician", "paediatrics"),
    "ophthalmology": ("眼科", "eye doctor", "eye clinic"),
    "ent": ("耳鼻喉", "五官科", "耳鼻咽喉", "ent"),
    "stomatology": ("口腔科", "牙科", "dentist", "dental clinic"),
    "dermatology": ("皮肤科", "dermatologist"),
    "tcm": ("中医科",),
    "rehabilitation": ("康复科", "康复医学科"),
    "psychiatry": ("精神心理科", "心理科", "精神科", "心理门诊", "psychiatrist", "psychologist"),
    "infectious_diseases": ("感染科", "传染科", "肝病科"),
    "emergency": ("急诊科",),
    "fever_clinic": ("发热门诊", "fever clinic"),
    "general_practice": ("全科", "全科医学科", "general practice", "family doctor", "gp"),
}

# Complaints that belong with pregnancy care when the patient is pregnant.
PREGNANCY_RELATED = {"abdominal_pain", "lower_abdominal_pain", "vaginal_bleeding", "nausea_vomiting", "vomiting_persistent",
                     "edema", "hypertension", "diabetes", "pregnancy", "headache", "dizziness", "gyn", "back_pain",
                     "bloating", "constipation", "urinary_sx", "fatigue", "postpartum"}
FEMALE_ONLY = {"gynecology", "obstetrics"}
# Children's everyday complaints that Pediatrics sees (departments.csv typical_symptoms_zh for 儿科).
PEDIATRIC_TYPICAL = {"cough", "runny_nose", "cold", "nausea_vomiting", "vomiting_persistent", "diarrhea", "feeding", "growth",
                     "constipation", "abdominal_pain", "bloating", "sore_throat", "fatigue", "neonatal_jaundice"}
# Children with these specialties' complaints start in Pediatrics (docs/departments.md).
PEDIATRIC_FIRST = {"rehabilitation", "neurosurgery"}


@lru_cache(maxsize=4)
def _mention_patterns(names: tuple[tuple[str, str, str], ...]) -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for dept_id, name_zh, name_en in names:
        words = {name_zh, name_en.lower(), *ALIASES.get(dept_id, ())}
        zh = [re.escape(w) for w in words if not w.isascii()]
        en = [re.escape(w) for w in words if w.isascii()]
        parts = []
        if zh:
            parts.append("(?:" + "|".join(sorted(zh, key=len, reverse=True)) + ")")
        if en:
            parts.append(r"(?<![a-z])(?:" + "|".join(sorted(en, key=len, reverse=True)) + r")(?![a-z])")
        out.append((dept_id, re.compile("|".join(parts))))
    return out


def department_mentions(text: str, hospital: HospitalData) -> list[str]:
    """Departments the patient names (想约康复科, see a dermatologist), in order of appearance."""
    names = tuple((d.dept_id, d.name_zh, d.name_en) for d in hospital.departments.values())
    found: list[tuple[int, str]] = []
    for dept_id, rx in _mention_patterns(names):
        m = rx.search(text)
        if m and not re.search(r"(不是|不想|不要|不用|没有?|别)[^,.;!?。，]{0,3}$", text[max(0, m.start() - 6):m.start()]):
            found.append((m.start(), dept_id))
    # 精神心理科 contains 心理科; 急诊科 mentions are not a specialty choice
    return [d for _, d in sorted(found) if d != "emergency"]


def accepts(hospital: HospitalData, dept_id: str, age: float | None, sex: str | None) -> bool:
    dept = hospital.departments.get(dept_id)
    if dept is None:
        return False
    if dept_id in FEMALE_ONLY and sex == "M":
        return False
    return dept.accepts_age(age)


def choose(
    scores: dict[str, float],
    hospital: HospitalData,
    *,
    age: float | None,
    child: bool,
    sex: str | None,
    fever: bool,
    pregnant: bool,
    concepts: set[str],
) -> str:
    """The dept_id to send the patient to (never one whose age or sex limits exclude them)."""
    eff_age = age if age is not None else (5.0 if child else None)
    if fever:
        return "pediatrics" if child else "fever_clinic"
    ranked = sorted(((s, d) for d, s in scores.items() if s > 0 and d not in ("emergency", "fever_clinic")), reverse=True)
    if pregnant and (concepts & PREGNANCY_RELATED or not ranked):
        keep = ranked and ranked[0][1] in {"stomatology", "dermatology", "ophthalmology", "ent", "orthopedics", "psychiatry"} \
            and not (concepts & {"abdominal_pain", "lower_abdominal_pain", "vaginal_bleeding", "nausea_vomiting", "vomiting_persistent"})
        if not keep:
            return "obstetrics"
    if child and concepts & PEDIATRIC_TYPICAL and not (ranked and ranked[0][1] in {"stomatology", "ophthalmology", "orthopedics", "dermatology"}):
        return "pediatrics"
    for _, dept_id in ranked:
        if child:
            if dept_id in PEDIATRIC_FIRST or dept_id == "pediatrics":
                return "pediatrics"
            if dept_id in FEMALE_ONLY and sex == "M":
                continue
            if accepts(hospital, dept_id, eff_age, sex):
                return dept_id
            return "pediatrics"
        if dept_id == "pediatrics":
            continue
        if accepts(hospital, dept_id, eff_age, sex):
            return dept_id
    if scores.get("emergency", 0) > 0:
        return "emergency"
    return "pediatrics" if child else "general_practice"
