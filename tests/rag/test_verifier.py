"""The verifier: every number, time, fee, place and phone number of an answer must be in its sources."""

from __future__ import annotations

import pytest

from rag.answer import extract_facts, verify

pytestmark = pytest.mark.unit

PARKING = (
    "收费标准(两院区相同):\n30分钟以内免费;30分钟至2小时收5元;超过2小时后,每小时加收3元,不足1小时按1小时计;"
    "连续24小时内最高收费40元。停车咨询:0571-8888-1234转分机8900。急诊在4号楼1楼,从东门进入。"
)


def test_grounded_answer_passes() -> None:
    assert verify("停车30分钟以内免费，2小时内收5元，每天最多40元。", [PARKING]).ok
    assert verify("可拨打0571-8888-1234转分机8900咨询。", [PARKING]).ok
    assert verify("急诊在4号楼1楼，请从东门进入。", [PARKING]).ok
    assert verify("Parking is free for 30 minutes and at most 40 CNY a day; the emergency department is at the east gate.",
                  [PARKING]).ok


@pytest.mark.parametrize(
    ("answer", "bad"),
    [
        ("停车每小时收费10元。", "num:10"),  # a fee
        ("停车场08:30开门。", "time:08:30"),  # a time
        ("请拨打0571-8888-9999咨询。", "tel:057188889999"),  # a phone number
        ("急诊在5号楼。", "place:5号楼"),  # a place
        ("急诊从北门进入。", "place:北门"),  # a gate
        ("Parking costs 7 CNY per hour.", "num:7"),
        ("The emergency department is at the north gate.", "place:北门"),
    ],
)
def test_ungrounded_fact_is_rejected(answer: str, bad: str) -> None:
    result = verify(answer, [PARKING])
    assert not result.ok
    assert bad in result.unsupported


def test_number_formats_are_normalised() -> None:
    assert "num:10000" in extract_facts("押金10,000元")
    assert verify("押金一万元即10000元。", ["外科系统手术住院押金10,000元。"]).ok
    assert verify("复印费每页0.50元。", ["复印费每页0.5元。"]).ok
    assert "time:08:00" in extract_facts("8:00开诊")
