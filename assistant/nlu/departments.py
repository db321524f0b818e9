"""Departments (names from the hospital data plus a colloquial alias table) and doctors by name.

``DepartmentMatcher`` is built once per hospital; ``extract`` returns ``department`` entities whose
value is a ``dept_id`` and ``doctor`` entities whose value is a ``doctor_id`` (or a list of ids when a
surname alone is ambiguous).
"""

from __future__ import annotations

import re

from assistant.hospital import HospitalData
from assistant.nlu.types import Entity

#: Colloquial names → dept_id. Only ids present in the hospital's data are used.
ALIASES: dict[str, tuple[str, ...]] = {
    "cardiology": (
        "心内科",
        "心内",
        "心血管科",
        "心血管内科",
        "心血管",
        "心脏科",
        "心脏内科",
        "心脏病科",
        "看心脏的",
        "看心脏",
        "心脏专科",
        "cardiology",
        "cardiologist",
        "heart doctor",
        "heart clinic",
        "heart department",
    ),
    "respiratory": (
        "呼吸科",
        "呼吸内科",
        "呼吸与危重症",
        "呼吸与危重症医学科",
        "肺科",
        "看肺的",
        "呼吸道科",
        "respiratory",
        "pulmonology",
        "lung doctor",
        "chest doctor",
    ),
    "gastroenterology": (
        "消化科",
        "消化内科",
        "胃肠科",
        "胃肠内科",
        "肠胃科",
        "看胃的",
        "看肠胃的",
        "胃病科",
        "gastroenterology",
        "gastro",
        "stomach doctor",
        "gi clinic",
    ),
    "neurology": ("神经内科", "神内", "神经科", "看神经的", "脑科", "neurology", "neurologist"),
    "endocrinology": (
        "内分泌科",
        "内分泌",
        "糖尿病门诊",
        "糖尿病科",
        "看糖尿病的",
        "甲状腺门诊",
        "endocrinology",
        "endocrinologist",
        "diabetes clinic",
    ),
    "nephrology": (
        "肾内科",
        "肾病科",
        "肾脏科",
        "看肾的",
        "肾内",
        "nephrology",
        "kidney doctor",
        "kidney clinic",
    ),
    "general_surgery": (
        "普外科",
        "普通外科",
        "普外",
        "外科",
        "肝胆外科",
        "乳腺外科",
        "甲状腺外科",
        "general surgery",
        "surgeon",
    ),
    "orthopedics": (
        "骨科",
        "骨伤科",
        "看骨头的",
        "骨外科",
        "关节外科",
        "脊柱外科",
        "orthopedics",
        "orthopaedics",
        "orthopedic",
        "bone doctor",
    ),
    "urology": ("泌尿外科", "泌尿科", "男科", "看前列腺的", "urology", "urologist"),
    "neurosurgery": ("神经外科", "神外", "脑外科", "neurosurgery", "brain surgeon"),
    "thoracic_surgery": ("胸外科", "心胸外科", "thoracic surgery"),
    "gynecology": ("妇科", "妇科门诊", "看妇科的", "gynecology", "gynaecology", "gynecologist"),
    "obstetrics": (
        "产科",
        "产检",
        "孕检",
        "妇产科",
        "obstetrics",
        "obstetrician",
        "antenatal",
        "prenatal clinic",
    ),
    "pediatrics": (
        "儿科",
        "小儿科",
        "儿童科",
        "看小孩的",
        "看小孩",
        "看孩子的",
        "儿科门诊",
        "儿内科",
        "pediatrics",
        "paediatrics",
        "pediatrician",
        "children's clinic",
        "kids doctor",
    ),
    "ophthalmology": (
        "眼科",
        "看眼睛的",
        "看眼睛",
        "眼睛科",
        "ophthalmology",
        "eye doctor",
        "eye clinic",
        "eye department",
    ),
    "ent": (
        "耳鼻喉科",
        "耳鼻喉",
        "耳鼻咽喉科",
        "耳鼻咽喉头颈外科",
        "五官科",
        "看耳朵的",
        "看鼻子的",
        "ent",
        "ear nose throat",
        "otolaryngology",
    ),
    "stomatology": (
        "口腔科",
        "牙科",
        "看牙的",
        "看牙",
        "牙医",
        "拔牙",
        "补牙",
        "stomatology",
        "dentist",
        "dental",
        "dental clinic",
    ),
    "dermatology": (
        "皮肤科",
        "皮肤病科",
        "看皮肤的",
        "皮肤性病科",
        "dermatology",
        "dermatologist",
        "skin doctor",
        "skin clinic",
    ),
    "tcm": (
        "中医科",
        "中医",
        "中医门诊",
        "看中医",
        "针灸科",
        "针灸",
        "tcm",
        "chinese medicine",
        "acupuncture",
    ),
    "rehabilitation": (
        "康复科",
        "康复医学科",
        "康复门诊",
        "理疗科",
        "理疗",
        "rehabilitation",
        "rehab",
        "physiotherapy",
        "physical therapy",
    ),
    "psychiatry": (
        "精神心理科",
        "心理科",
        "精神科",
        "心理门诊",
        "心理咨询",
        "看心理的",
        "精神卫生科",
        "psychiatry",
        "psychiatrist",
        "psychology",
        "mental health",
        "psychologist",
    ),
    "infectious_diseases": (
        "感染科",
        "传染科",
        "肝炎门诊",
        "感染性疾病科",
        "infectious diseases",
        "infectious disease",
    ),
    "emergency": (
        "急诊科",
        "急诊",
        "急诊室",
        "emergency",
        "er",
        "a&e",
        "emergency room",
        "emergency department",
    ),
    "fever_clinic": ("发热门诊", "发烧门诊", "发热门诊部", "发烧的门诊", "fever clinic"),
    "general_practice": (
        "全科医学科",
        "全科",
        "全科门诊",
        "普通门诊",
        "内科",
        "大内科",
        "general practice",
        "gp",
        "family doctor",
        "general practitioner",
    ),
}

_TITLE_CN = r"(?:医生|大夫|主任|教授|老师|医师|院长)"


class DepartmentMatcher:
    """Finds departments and doctors in text for one hospital."""

    def __init__(self, hospital: HospitalData) -> None:
        self.hospital = hospital
        table: dict[str, str] = {}
        for d in hospital.departments.values():
            table[d.name_zh] = d.dept_id
            table[d.name_en.lower()] = d.dept_id
            table[d.dept_id.replace("_", " ")] = d.dept_id
        for dept_id, aliases in ALIASES.items():
            if dept_id in hospital.departments:
                for a in aliases:
                    table.setdefault(a.lower(), dept_id)
        self._dept = table
        parts = []
        for alias in sorted(table, key=len, reverse=True):
            esc = re.escape(alias)
            parts.append(r"\b" + esc + r"\b" if alias.isascii() else esc)
        self._dept_re = re.compile("|".join(parts), re.I)

        self._by_name = {doc.name: doc.doctor_id for doc in hospital.doctors.values()}
        self._by_surname: dict[str, list[str]] = {}
        for doc in hospital.doctors.values():
            self._by_surname.setdefault(doc.name[0], []).append(doc.doctor_id)
        names = "|".join(re.escape(n) for n in sorted(self._by_name, key=len, reverse=True))
        self._name_re = re.compile(names) if names else None
        surnames = "".join(re.escape(s) for s in self._by_surname)
        self._surname_re = (
            re.compile(r"([" + surnames + r"])" + r"(" + _TITLE_CN + r")") if surnames else None
        )

    def extract(self, text: str, folded: str) -> list[Entity]:
        out: list[Entity] = []
        for m in self._dept_re.finditer(folded):
            alias = m.group(0).lower()
            dept_id = self._dept.get(alias)
            if dept_id is None:
                continue
            if (
                alias == "er"
                and not re.search(r"\b(the|to|go|an)\s+er\b", folded, re.I)
                and folded.strip().lower() != "er"
            ):
                continue
            out.append(Entity("department", dept_id, text[m.start() : m.end()], m.start(), m.end()))
        depts = {e.value for e in out}
        taken: list[tuple[int, int]] = []
        if self._name_re is not None:
            for m in self._name_re.finditer(folded):
                out.append(
                    Entity("doctor", self._by_name[m.group(0)], text[m.start() : m.end()], m.start(), m.end())
                )
                taken.append((m.start(), m.end()))
        if self._surname_re is not None:
            for m in self._surname_re.finditer(folded):
                if any(s <= m.start() < e for s, e in taken):
                    continue
                ids = self._candidates(m.group(1), m.group(2), depts)
                if ids:
                    value: str | list[str] = ids[0] if len(ids) == 1 else ids
                    out.append(Entity("doctor", value, text[m.start() : m.end()], m.start(), m.end()))
        return out

    def _candidates(self, surname: str, title: str, depts: set[str]) -> list[str]:
        ids = list(self._by_surname.get(surname, []))
        if depts:
            in_dept = [i for i in ids if self.hospital.doctors[i].dept_id in depts]
            ids = in_dept or ids
        if title == "主任" and len(ids) > 1:
            chiefs = [i for i in ids if "主任" in self.hospital.doctors[i].title]
            ids = chiefs or ids
        return ids
