"""Rough bills through the real engine: a total with a rough category (unnamed part as class B),
everyday words for fee items (挂号费50 → REG-CHIEF, CT → the chest CT, said), and a person offered
after two answers the skill could not read."""

from __future__ import annotations

import pytest

from assistant.actions.payment import rough_bill
from assistant.config import Settings
from assistant.hospital import load_hospital
from tests.booking.engine_chat import Chat

pytestmark = pytest.mark.integration



async def test_a_total_with_a_rough_category(engine):
    chat = Chat(engine)
    await chat("我要算一下医保")
    await chat("职工医保在职")
    r = await chat("开了点药，一共300块")
    assert "起付线" in r.reply
    r = await chat("是")
    assert r.payment["total"] == 300.0 and r.payment["fund_pays"] == 162.0  # 300 乙: 270 in scope × 60%
    assert "按乙类" in r.reply


async def test_registration_fee_by_amount_and_a_ct(engine):
    chat = Chat(engine)
    await chat("我要算一下医保")
    await chat("居民医保")
    await chat("挂号费50，拍了个CT")
    r = await chat("是")
    assert r.payment["total"] == 310.0, r.reply  # REG-CHIEF 50 + EXM-CT-CHEST 260
    assert "胸部CT" in r.reply


async def test_two_unreadable_bills_offer_a_person(engine):
    chat = Chat(engine)
    await chat("我要算一下医保")
    await chat("居民医保")
    r = await chat("就是看了个病")
    assert "没能从这句话里认出费用项目" in r.reply and "总金额" in r.reply
    r = await chat("不知道啊")
    assert "转人工" in r.reply and r.intent == "payment"
    r = await chat("好的")
    assert r.intent == "human", r.reply


def test_rough_bill_words():
    fees = load_hospital(Settings().hospital_dir).fee_items
    items, notes = rough_bill("挂号费50，拍了个CT", fees, set())
    assert [i["fee_item_code"] for i in items] == ["REG-CHIEF", "EXM-CT-CHEST"] and notes
    items, _ = rough_bill("做了个腹部CT增强和血常规", fees, set())
    assert {i["fee_item_code"] for i in items} == {"EXM-CT-ABD-E", "LAB-CBC"}
    items, notes = rough_bill("就是门诊，开了点药，一共300块左右", fees, set())
    assert items == [{"name_zh": "未列明的费用(药品等)", "amount_cny": "300", "category": "乙"}]


def test_english_words_do_not_read_as_ct():
    fees = load_hospital(Settings().hospital_dir).fee_items
    assert rough_bill("employee insurance, deductible met. Bill REG-CHIEF and DRG-MULTIVIT.", fees, set()) == ([], [])


async def test_a_rough_bill_the_nlu_calls_faq_stays_in_the_payment_loop(engine):
    chat = Chat(engine)
    await chat("我要算一下医保")
    await chat("职工医保在职")
    r = await chat("就是门诊，开了点药，一共300块左右")
    assert r.intent == "payment" and "起付线" in r.reply, r.reply
