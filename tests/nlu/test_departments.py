"""Departments by name and colloquial alias, doctors by full name, surname + title, and department context."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from assistant.hospital import Doctor
from assistant.nlu import extract_entities

pytestmark = pytest.mark.unit


def _depts(text, hospital, now):
    return [e.value for e in extract_entities(text, hospital, now) if e.type == "department"]


def _doctors(text, hospital, now):
    return [e.value for e in extract_entities(text, hospital, now) if e.type == "doctor"]


@pytest.mark.parametrize(
    ("text", "dept"),
    [
        ("心内科", "cardiology"),
        ("看心脏的", "cardiology"),
        ("我想挂心脏科", "cardiology"),
        ("心血管内科", "cardiology"),
        ("儿科", "pediatrics"),
        ("小儿科", "pediatrics"),
        ("看小孩的在几楼", "pediatrics"),
        ("皮肤科", "dermatology"),
        ("口腔科", "stomatology"),
        ("牙科", "stomatology"),
        ("我想看牙", "stomatology"),
        ("妇科", "gynecology"),
        ("产科建档", "obstetrics"),
        ("眼科", "ophthalmology"),
        ("耳鼻喉", "ent"),
        ("骨科", "orthopedics"),
        ("消化科", "gastroenterology"),
        ("胃肠科", "gastroenterology"),
        ("呼吸科", "respiratory"),
        ("神内", "neurology"),
        ("神经科", "neurology"),
        ("内分泌", "endocrinology"),
        ("糖尿病门诊", "endocrinology"),
        ("康复科", "rehabilitation"),
        ("心理科", "psychiatry"),
        ("精神科", "psychiatry"),
        ("急诊", "emergency"),
        ("发热门诊", "fever_clinic"),
        ("全科", "general_practice"),
        ("中医", "tcm"),
        ("神经外科", "neurosurgery"),
        ("泌尿外科", "urology"),
        ("Cardiology", "cardiology"),
        ("I need a dentist", "stomatology"),
        ("book the eye clinic", "ophthalmology"),
        ("ENT tomorrow", "ent"),
        ("go to the ER", "emergency"),
    ],
)
def test_department_aliases(hospital, now, text, dept):
    assert _depts(text, hospital, now) == [dept]


def test_every_hospital_department_is_found_by_its_own_names(hospital, now):
    for d in hospital.departments.values():
        assert _depts(d.name_zh, hospital, now) == [d.dept_id]
        assert _depts(d.name_en, hospital, now) == [d.dept_id]


def test_longest_alias_wins(hospital, now):
    ents = [e for e in extract_entities("神经外科", hospital, now) if e.type == "department"]
    assert [(e.value, e.text) for e in ents] == [("neurosurgery", "神经外科")]


@pytest.mark.parametrize("text", ["消化不良", "我想早日康复", "口腔溃疡", "over there", "我头疼"])
def test_no_false_departments(hospital, now, text):
    assert _depts(text, hospital, now) == []


def test_doctor_by_full_name(hospital, now):
    assert _doctors("我想挂林若川的号", hospital, now) == ["DR002"]
    assert _doctors("沈知衡主任", hospital, now) == ["DR001"]


def test_doctor_by_unique_surname_and_title(hospital, now):
    assert _doctors("林医生明天有号吗", hospital, now) == ["DR002"]
    assert _doctors("沈主任", hospital, now) == ["DR001"]
    assert _doctors("找叶大夫", hospital, now) == ["DR014"]


@pytest.fixture(scope="module")
def hospital_two_lins(hospital):
    """The sample hospital plus a second 林 (a pediatrician, 主治医师), to make the surname ambiguous."""
    extra = Doctor("DR900", "林晓雨", "pediatrics", "主治医师", "小儿呼吸", Decimal("20"))
    return dataclasses.replace(hospital, doctors={**hospital.doctors, "DR900": extra})


def test_ambiguous_surname_gives_all_candidates(hospital_two_lins, now):
    assert _doctors("林医生明天有号吗", hospital_two_lins, now) == [["DR002", "DR900"]]


def test_surname_resolved_by_department_in_the_same_message(hospital_two_lins, now):
    assert _doctors("儿科的林医生", hospital_two_lins, now) == ["DR900"]
    assert _doctors("心内科林医生", hospital_two_lins, now) == ["DR002"]


def test_title_zhuren_prefers_chief_physicians(hospital_two_lins, now):
    assert _doctors("林主任", hospital_two_lins, now) == ["DR002"]  # 副主任医师 vs 主治医师


def test_surname_without_title_is_not_a_doctor(hospital, now):
    assert _doctors("林子里", hospital, now) == []
