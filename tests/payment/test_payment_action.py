"""The payment skill over several turns: it asks what it needs, shows the breakdown with reasons and
a citation, and "我要缴费" creates an order with a payment link (or says payment is off)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant.actions.payment import ActionPayment
from assistant.services.container import Services
from assistant.services.settlement import build_settlement_engine


class Conversation:
    def __init__(self, action: ActionPayment) -> None:
        self.action = action
        self.slots: dict[str, Any] = {}
        self.active_loop: str | None = None

    async def say(self, text: str, lang: str = "zh") -> list[dict[str, Any]]:
        tracker = Tracker("s-pay-1", dict(self.slots), {"text": text, "intent": {"name": "payment", "confidence": 1.0},
                                                        "entities": [], "metadata": {"lang": lang}},
                          [], False, None, {"name": self.active_loop} if self.active_loop else {}, "action_listen")
        dispatcher = CollectingDispatcher()
        events = await self.action.run(dispatcher, tracker, {})
        for e in events:
            if e["event"] == "slot":
                self.slots[e["name"]] = e["value"]
            elif e["event"] == "active_loop":
                self.active_loop = e["name"]
        return dispatcher.messages


@pytest.fixture
def services_no_pay(settings, hospital, clock):
    return Services(settings=settings, hospital=hospital, clock=clock,
                    settlement=build_settlement_engine(hospital.insurance_policy))


@pytest.mark.unit
async def test_asks_then_explains_with_citation(services_no_pay):
    conv = Conversation(ActionPayment(services_no_pay))
    msgs = await conv.say("这次看病医保能报多少")
    assert "职工医保还是居民医保" in msgs[0]["text"] and conv.active_loop == "action_payment"
    msgs = await conv.say("职工医保")
    assert "在职还是退休" in msgs[0]["text"]
    msgs = await conv.say("在职")
    assert "哪次就诊或哪张账单" in msgs[0]["text"]
    msgs = await conv.say("副主任医师诊察费、腹部彩超、血常规、静脉采血、奥美拉唑2盒、蒙脱石散2盒、复合维生素1瓶,起付线还差100元")
    body = msgs[0]
    pay = body["custom"]["payment"]
    assert pay == {"total": 262.0, "fund_pays": 67.32, "personal_account_pays": 146.68, "cash_pays": 48.0,
                   "order_id": None, "status": "estimate"}
    assert body["custom"]["citations"][0]["doc_id"] == "insurance_and_payment"
    assert body["custom"]["citations"][0]["snippet"]
    assert "起付线" in body["text"] and "乙类" in body["text"] and "丙类" in body["text"]
    assert conv.active_loop is None
    msgs = await conv.say("我要缴费")
    assert "这个对话里暂时不能直接收款" in msgs[0]["text"] and "门诊缴费" in msgs[0]["text"]
    assert msgs[0]["custom"]["citations"][0]["doc_id"] == "insurance_and_payment"


@pytest.mark.unit
async def test_english_and_deductible_met(services_no_pay):
    conv = Conversation(ActionPayment(services_no_pay))
    msgs = await conv.say("I have resident insurance, the deductible is met. Bill: LAB-CBC and REG-CHIEF", lang="en")
    pay = msgs[0]["custom"]["payment"]
    assert pay["total"] == 70.0 and pay["fund_pays"] == 28.0 and pay["cash_pays"] == 42.0
    assert "Class" not in msgs[0]["text"] or "CNY" in msgs[0]["text"]


@pytest.mark.integration
async def test_pay_creates_an_order_with_a_link(served, fake, settings, hospital, clock, db):
    payments, url = served
    services = Services(settings=settings, hospital=hospital, clock=clock, db=db, payments=payments,
                        settlement=build_settlement_engine(hospital.insurance_policy))
    conv = Conversation(ActionPayment(services))
    await conv.say("我是职工医保,退休了,起付线已满,看了主任医师,开了复合维生素1瓶")
    msgs = await conv.say("我要缴费")
    pay = msgs[0]["custom"]["payment"]
    # REG-CHIEF 50 甲 (70% → fund 35, account 15) + 48 丙 → cash 48.00 is what WeChat Pay collects.
    assert pay["status"] == "created" and pay["order_id"] and pay["cash_pays"] == 48.0
    assert pay["payment_url"].startswith("weixin://")
    assert fake.orders[pay["order_id"]]["total"] == 4800
    again = await conv.say("我要缴费")
    assert again[0]["custom"]["payment"]["order_id"] == pay["order_id"]  # same order, not a second one
    fake.pay(pay["order_id"])
    import asyncio

    assert (await asyncio.to_thread(fake.deliver, url, fake.payment_notification(pay["order_id"]))).status_code == 200
    assert (await payments.get_order(pay["order_id"])).contract_status == "paid"


@pytest.mark.unit
async def test_no_insurance_is_a_self_pay_estimate_of_the_whole_bill(services_no_pay):
    conv = Conversation(ActionPayment(services_no_pay))
    msgs = await conv.say("做个胃镜自己要付多少钱")
    assert "职工医保还是居民医保" in msgs[0]["text"]
    msgs = await conv.say("我没有医保")  # the bill was in the first message: no loop on the plan question
    pay = msgs[0]["custom"]["payment"]
    assert pay["total"] == pay["cash_pays"] == 260.0 and pay["fund_pays"] == pay["personal_account_pays"] == 0.0
    assert "自费" in msgs[0]["text"] and "职工医保还是居民医保" in msgs[0]["text"]  # and says how to re-estimate
    assert conv.active_loop is None and conv.slots["payment_plan"] == "self_pay"
    again = await conv.say("其实我有职工医保，在职，起付线已达到")  # insurance after all: estimated again
    assert again[0]["custom"]["payment"]["fund_pays"] > 0


@pytest.mark.unit
async def test_asking_how_much_is_not_asking_to_pay(services_no_pay):
    conv = Conversation(ActionPayment(services_no_pay))
    msgs = await conv.say("How much will I pay for a chest CT? I have no insurance", lang="en")
    assert len(msgs) == 1 and msgs[0]["custom"]["payment"]["status"] == "estimate"
    assert "Without insurance" in msgs[0]["text"]
    assert "CT没说部位" not in msgs[0]["text"] and "chest CT" in msgs[0]["text"]  # the assumption said in English
