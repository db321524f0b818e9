"""The outpatient deductible is never assumed met: the payment skill asks (是/否/不清楚) through the
real engine, and 不清楚 gives the conservative figures with the met case labelled beside them."""

from __future__ import annotations

import pytest

from assistant.actions.payment import deductible_answer
from tests.booking.engine_chat import Chat

pytestmark = pytest.mark.integration



async def test_deductible_is_asked_and_unknown_shows_both_cases(engine):
    chat = Chat(engine)
    r = await chat("职工医保在职，看了主任医师，做了血常规，能报多少")
    assert "起付线" in r.reply and "达到了吗" in r.reply and r.payment is None
    r = await chat("不清楚")
    assert r.payment["fund_pays"] == 0.0 and r.payment["personal_account_pays"] == 70.0  # conservative: not met
    assert "尚未达到" in r.reply and "保守" in r.reply and "如果今年起付线已经达到" in r.reply and "42.00" in r.reply


@pytest.mark.parametrize("answer,fund", [("是", 42.0), ("已经达到了", 42.0), ("没有", 0.0), ("还差100", 0.0)])
async def test_deductible_answers(engine, answer, fund):
    chat = Chat(engine)
    await chat("职工医保在职，看了主任医师，做了血常规，能报多少")
    r = await chat(answer)
    assert r.payment is not None and r.payment["fund_pays"] == fund, r.reply
    assert "保守" not in r.reply


def test_deductible_answer_words():
    assert deductible_answer("不清楚") == "unknown" and deductible_answer("not sure") == "unknown"
    assert deductible_answer("没达到") == "not_met" and deductible_answer("no") == "not_met"
    assert deductible_answer("已达到") == "met" and deductible_answer("yes") == "met"
    assert deductible_answer("血常规") is None
