"""What counts as a detail added to a complaint just assessed (assistant/services/triage/followup.py)."""

from __future__ import annotations

import pytest

from assistant.services.settlement.intake import wants_an_estimate
from assistant.services.triage.followup import adds_to_complaint

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", ["不是突然的，是慢慢的", "晚上老抽", "没有拉黑的", "在吃硝苯地平", "没有其他症状",
                                  "it came on gradually", "no fever", "I'm on metformin"])
def test_details_that_add_to_the_complaint(text):
    assert adds_to_complaint(text)


@pytest.mark.parametrize("text", ["不用了", "不要", "没问题", "谢谢", "帮我挂神经内科的号", "停车怎么收费",
                                  "不是突然的" + "，" * 40 + "我想问一下医院停车场在哪里"])
def test_other_messages_do_not(text):
    assert not adds_to_complaint(text)


def test_an_amount_question_goes_to_the_estimate_unless_a_passage_about_insurance_answers_it():
    assert wants_an_estimate("医保能报多少")
    assert wants_an_estimate("How much will insurance pay for my visit?", "Visiting hours on general wards are 15:00-17:00")
    assert not wants_an_estimate("职工医保门诊能报多少", "三级医院报销比例(本院)，职工在职：60%")
    assert not wants_an_estimate("停车怎么收费")
