"""The payment skill: asks for the insurance plan, working or retired, and the bill; shows the
settlement breakdown with its reasons (citing the insurance document); "我要缴费" creates an order
and gives its payment link. Thin: the settlement engine and the payment service do the work.

Slots: ``payment_plan``, ``payment_personnel``, ``payment_items`` (fee item codes and quantities),
``payment_deductible_paid``, ``payment_estimate`` (the last breakdown), and ``payment_appointment``
(optional, set by booking: ``{"appointment_id", "fee_cny"}``) for an appointment fee.
"""

from __future__ import annotations

import hashlib
import logging
import re
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.services.container import Services
from assistant.services.settlement import SettlementEngine, SettlementError, SettlementRequest, price_items
from assistant.services.settlement.intake import parse_deductible, parse_items, parse_personnel, parse_plan

log = logging.getLogger(__name__)
DOC_ID = "insurance_and_payment"
PAY_WORDS = re.compile(r"缴费|交费|付款|支付|付钱|买单|pay\b|pay now|checkout", re.I)
SNIPPET_KEY = "### (四)计算顺序"

HOW_MUCH = re.compile(r"多少|几块|几元|贵不贵|how much|what (will|would|does) it cost", re.I)
ASK = {
    "plan": ("请问您参加的是职工医保还是居民医保?", "Which insurance do you have: employee insurance or resident insurance?"),
    "personnel": ("请问您是在职还是退休?", "Are you working or retired?"),
    "bill": ("请问是哪次就诊或哪张账单?可以直接告诉我费用项目,比如“副主任医师诊察费、血常规、蒙脱石散2盒”。",
             "Which visit or bill is it? You can list the items, e.g. \"associate chief physician consultation, complete blood count, smectite x2\"."),
}


CHANNELS_SNIPPET_KEY = "**手机医保支付**"


def offline_payment(services: Any, lang: str, what_zh: str = "这笔费用", what_en: str = "this bill") -> tuple[str, list[dict[str, str]]]:
    """When WeChat Pay is not configured for this assistant: this chat can't take the money, and the
    hospital's own channels (quoted from insurance_and_payment / outpatient_guide) can. Returns the
    sentence and its citations."""
    text = (f"这个对话里暂时不能直接收款。{what_zh}可以这样缴纳：医院微信公众号“门诊缴费”（本市参保人可选“医保支付”，"
            "其余部分用微信支付）、“滨医通”App，或院内自助机（1号楼、2号楼、6号楼各楼层，每天06:30-21:30）、"
            "1号楼1楼挂号收费窗口。" if lang == "zh" else
            f"I can't take the payment in this chat. You can pay {what_en} in the hospital's WeChat official account "
            "(menu \"门诊缴费\" / outpatient payment; local insurance holders can choose insurance payment, the rest by WeChat Pay), "
            "in the \"滨医通\" app, at a self-service kiosk (Buildings 1, 2 and 6, every floor, 06:30-21:30) "
            "or at the registration and cashier windows on the ground floor of Building 1.")
    cites: list[dict[str, str]] = []
    for doc_id, key in (("insurance_and_payment", CHANNELS_SNIPPET_KEY), ("outpatient_guide", "自助机(1号楼")):
        doc = services.hospital.document(doc_id) if getattr(services, "hospital", None) is not None else None
        if doc is None:
            continue
        body = doc.path.read_text(encoding="utf-8")
        at = body.find(key)
        snippet = body[at: at + 160].strip() if at >= 0 else body[:160]
        cites.append({"doc_id": doc_id, "title": doc.title, "snippet": snippet})
    return text, cites


_CT = r"(?<![A-Za-z])CT(?![A-Za-z])"  # not the "ct" inside "deductible"
# Everyday words for fee items (fee_items.csv); CT without a site is read as the chest CT, said so.
_WORD_ITEMS = [
    (re.compile(r"(上腹|腹部|肚子).{0,4}" + _CT + r"|增强" + _CT, re.I), "EXM-CT-ABD-E", None),
    (re.compile(r"(胸|肺).{0,4}" + _CT, re.I), "EXM-CT-CHEST", None),
    (re.compile(_CT, re.I), "EXM-CT-CHEST", ("CT没说部位，按胸部CT平扫260元估算；如果是上腹部CT增强(480元)请告诉我",
                                                 "CT without a site: estimated as a chest CT (260 CNY); tell me if it was an enhanced abdominal CT (480 CNY)")),
    (re.compile(r"核磁|磁共振|(?<![A-Za-z])MRI(?![A-Za-z])", re.I), "EXM-MRI-HEAD", None),
    (re.compile(r"胸片|拍片|X光|x光", re.I), "EXM-DR-CHEST", None),
    (re.compile(r"心电图|(?<![A-Za-z])ECG(?![A-Za-z])", re.I), "EXM-ECG", None),
    (re.compile(r"B超|彩超|超声", re.I), "EXM-US-ABD", None),
    (re.compile(r"胃镜"), "EXM-GASTRO", None),
    (re.compile(r"肠镜"), "EXM-COLON", None),
    (re.compile(r"验血|抽血化验|血常规"), "LAB-CBC", None),
    (re.compile(r"尿常规|验尿"), "LAB-URINE", None),
]
_REG_FEE = re.compile(r"(挂号费?|诊察费|门诊费)\s*(\d+(?:\.\d+)?)\s*(块|元)?")
_TOTAL = re.compile(r"(?:一共|总共|合计|共计|总计|花了|大概|大约)\s*(\d+(?:\.\d+)?)\s*(?:块|元|rmb|yuan)?|(\d+(?:\.\d+)?)\s*(?:块|元)(?:钱)?\s*(?:左右|上下)", re.I)


def rough_bill(text: str, fee_items: Any, already: set[str], lang: str = "zh") -> tuple[list[dict[str, Any]], list[str]]:
    """Bill lines from everyday words (挂号费50, 拍了个CT, 一共300块左右): fee items by their common names,
    the registration fee by its amount, and a total whose unnamed part is estimated as class B (乙类). Returns the
    lines and the assumptions made, to be said with the estimate."""
    out: list[dict[str, Any]] = []
    notes: list[str] = []
    codes = set(already)
    m = _REG_FEE.search(text)
    if m:
        amount = Decimal(m.group(2))
        code = next((c for c, f in fee_items.items() if c.startswith("REG-") and c not in ("REG-EMERG", "REG-FEVER")
                     and Decimal(str(f.unit_price_cny)) == amount), None)
        if code and code not in codes:
            out.append({"fee_item_code": code, "quantity": "1"})
            codes.add(code)
        elif code is None:
            out.append({"name_zh": "挂号费(诊察费)", "amount_cny": str(amount), "category": "甲"})
    for rx, code, note in _WORD_ITEMS:
        if code in fee_items and code not in codes and rx.search(text):
            if code == "EXM-CT-CHEST" and "EXM-CT-ABD-E" in codes:
                continue
            out.append({"fee_item_code": code, "quantity": "1"})
            codes.add(code)
            if note:
                notes.append(note[1] if lang == "en" else note[0])
    t = _TOTAL.search(text)
    if t:
        total = Decimal(t.group(1) or t.group(2))
        named = sum((Decimal(str(fee_items[c].unit_price_cny)) for c in codes if c in fee_items), Decimal(0))
        named += sum((Decimal(i["amount_cny"]) for i in out if "amount_cny" in i), Decimal(0))
        rest = total - named
        if rest > 0:
            out.append({"name_zh": "未列明的费用(药品等)", "amount_cny": str(rest), "category": "乙"})
            notes.append(f"Of the {total:g} CNY total, the {rest:g} CNY not itemised is estimated as class B (10% paid first); "
                         "the itemised bill is final" if lang == "en" else
                         f"总金额{total:g}元中未列明项目的{rest:g}元按乙类(先自付10%)估算，实际以收费明细为准")
    return out, notes


def deductible_answer(text: str, intent: str = "") -> str | None:
    """The answer to "has this year's deductible been reached?": met, not_met, unknown, or None."""
    t = text.strip().lower()
    if re.search(r"不清楚|不知道|不确定|不记得|说不好|not sure|don'?t know|no idea|unsure", t):
        return "unknown"
    if re.search(r"没|未|不到|还差|^否|^不是|^no\b|not (yet )?(met|reached)", t) or intent == "deny":
        return "not_met"
    if re.search(r"^(是|对|嗯)|已经?(达到|满|够)|达到了|满了|够了|^yes|\bmet\b|reached", t) or intent == "affirm":
        return "met"
    return None


def _lang(tracker: Tracker) -> str:
    meta = tracker.latest_message.get("metadata") or {}
    return "en" if meta.get("lang") == "en" else "zh"


class ActionPayment(Action):
    def __init__(self, services: Services) -> None:
        self.services = services

    def name(self) -> str:
        return "action_payment"

    @property
    def engine(self) -> SettlementEngine:
        if self.services.settlement is None:
            self.services.settlement = SettlementEngine(self.services.hospital.insurance_policy)
        return self.services.settlement

    def _citation(self) -> dict[str, str]:
        doc = self.services.hospital.document(DOC_ID)
        title, snippet = (doc.title if doc else "医保与缴费指南"), ""
        if doc is not None:
            text = doc.path.read_text(encoding="utf-8")
            at = text.find(SNIPPET_KEY)
            snippet = text[at + len(SNIPPET_KEY): at + len(SNIPPET_KEY) + 160].strip() if at >= 0 else text[:160]
        return {"doc_id": DOC_ID, "title": title, "snippet": snippet}

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = _lang(tracker)
        text = tracker.latest_message.get("text") or ""
        slots = {k: tracker.get_slot(k) for k in ("payment_plan", "payment_personnel", "payment_items",
                                                  "payment_deductible_paid", "payment_estimate", "payment_appointment")}
        events: list[dict[str, Any]] = []

        def put(name: str, value: Any) -> None:
            slots[name] = value
            events.append(SlotSet(name, value))

        if (plan := parse_plan(text)) and plan != slots["payment_plan"]:
            put("payment_plan", plan)
        if (pc := parse_personnel(text)) and slots["payment_plan"] != "resident":
            put("payment_personnel", pc)
        items = [{"fee_item_code": i["fee_item_code"], "quantity": str(i["quantity"])} for i in parse_items(text, self.services.hospital.fee_items)]
        rough, notes = rough_bill(text, self.services.hospital.fee_items, {i["fee_item_code"] for i in items}, lang)
        items += rough
        if items:
            put("payment_items", items)
            put("payment_bill_notes", notes or None)
            put("payment_bill_misses", 0)
            put("requested_bill", False)
        wants_to_pay = bool(PAY_WORDS.search(text)) and not HOW_MUCH.search(text)  # "how much will I pay" asks, it doesn't pay
        intent = str((tracker.latest_message.get("intent") or {}).get("name") or "")
        appt = slots["payment_appointment"]
        if appt and not items and (intent in ("affirm", "choose") or (wants_to_pay and not slots["payment_estimate"])):
            # The patient took the offer made with a confirmed booking, or asked to pay after it.
            return events + await self._pay_appointment(dispatcher, tracker, lang, appt)

        if wants_to_pay and slots["payment_estimate"] and not items:
            return events + await self._pay(dispatcher, tracker, lang, slots["payment_estimate"])

        if slots["payment_plan"] == "self_pay" and slots["payment_items"]:
            return events + await self._self_pay(dispatcher, tracker, lang, slots, wants_to_pay)

        for need, missing in (("plan", not slots["payment_plan"]),
                              ("personnel", slots["payment_plan"] == "employee" and not slots["payment_personnel"]),
                              ("bill", not slots["payment_items"] and not slots["payment_appointment"])):
            if missing:
                ask = ASK[need][lang == "en"]
                if need == "bill" and tracker.get_slot("requested_bill"):
                    misses = int(tracker.get_slot("payment_bill_misses") or 0) + 1
                    events.append(SlotSet("payment_bill_misses", misses))
                    if misses >= 2:  # two answers I could not read: a person can look at the bill
                        dispatcher.utter_message(
                            text=("抱歉，我还是没能看懂这张账单。可以把缴费单上的项目和金额发给我（比如“主任医师诊察费50，胸部CT260”），"
                                  "或者说一个总金额（比如“一共300元，都是药”）；也可以转人工，或到1号楼1楼医保服务窗口咨询。需要转人工吗？")
                            if lang == "zh" else
                            ("Sorry, I still can't read this bill. Send the items and amounts on the bill, or a total (e.g. \"300 CNY, all medicines\"); "
                             "or I can pass you to a person. Would you like a person?"),
                            json_message={"intent": "payment"})
                        # The loop ends so that a yes reaches the manager's offer (a person); the slots
                        # stay, so a bill given later continues the estimate.
                        return events + [SlotSet("offer", "human"), SlotSet("requested_bill", False),
                                         SlotSet("payment_bill_misses", 0), ActiveLoop(None)]
                    ask = ("没能从这句话里认出费用项目。" if lang == "zh" else "I couldn't find fee items in that. ") + ask + (
                        "也可以说总金额，比如“一共300元左右，主要是药”。" if lang == "zh" else " You can also give a total, e.g. \"about 300 CNY, mostly medicines\".")
                dispatcher.utter_message(text=ask, json_message={"intent": "payment"})
                return events + [SlotSet("requested_bill", need == "bill"), ActiveLoop(self.name())]

        standard = self._deductible_standard(slots)
        asked = tracker.get_slot("payment_asked") == "deductible"
        said = parse_deductible(("起付线" + text) if asked and "起付线" not in text else text, standard)
        if said is not None:
            put("payment_deductible_paid", str(min(said, standard)))
        elif asked and (answer := deductible_answer(text, intent)) is not None:
            put("payment_deductible_paid", {"met": str(standard), "not_met": "0", "unknown": "unknown"}[answer])
        if slots["payment_deductible_paid"] is None:
            # Never assume the deductible is met: ask (是 / 否 / 不清楚).
            q = (f"今年的门诊起付线(您的标准是{standard:g}元)已经达到了吗?请回答“已达到”“没达到”或“不清楚”;也可以说“还差多少元”。"
                 if lang == "zh" else
                 f"Has this year's outpatient deductible ({standard:g} CNY for you) been reached? Answer yes, no or not sure; "
                 "or say how much is still left.")
            if asked:
                q = ("没听明白。" if lang == "zh" else "Sorry, I didn't catch that. ") + q
            dispatcher.utter_message(text=q, json_message={"intent": "payment"})
            return events + [SlotSet("payment_asked", "deductible"), ActiveLoop(self.name())]
        if asked:
            events.append(SlotSet("payment_asked", None))
        unknown = slots["payment_deductible_paid"] == "unknown"
        paid = Decimal(0) if unknown else Decimal(slots["payment_deductible_paid"])
        try:
            settlement = self.engine.settle(SettlementRequest(
                plan=slots["payment_plan"],
                personnel_category=slots["payment_personnel"] if slots["payment_plan"] == "employee" else None,
                setting="outpatient", items=self._bill(slots), deductible_already_paid_cny=paid))
            met = self.engine.settle(SettlementRequest(
                plan=slots["payment_plan"],
                personnel_category=slots["payment_personnel"] if slots["payment_plan"] == "employee" else None,
                setting="outpatient", items=self._bill(slots), deductible_already_paid_cny=standard)) if unknown else None
        except SettlementError as exc:
            log.info("payment estimate refused: %s", exc.code)
            dispatcher.utter_message(text=("这张账单我没法估算:" if lang == "zh" else "I cannot estimate this bill: ") + exc.message,
                                     json_message={"intent": "payment"})
            return events + [SlotSet("payment_items", None), ActiveLoop(self.name())]
        data = settlement.to_json()
        estimate = {k: data[k] for k in ("total", "fund_pays", "personal_account_pays", "cash_pays")}
        estimate.update(order_id=None, status="estimate")
        lines = data["explanation"][lang]
        if slots.get("payment_bill_notes") or tracker.get_slot("payment_bill_notes"):
            lines.insert(0, "；".join(slots.get("payment_bill_notes") or tracker.get_slot("payment_bill_notes")))
        head = (f"预计合计{data['total']:.2f}元:医保统筹支付{data['fund_pays']:.2f}元,个人账户支付"
                f"{data['personal_account_pays']:.2f}元,现金/微信支付{data['cash_pays']:.2f}元。"
                if lang == "zh" else
                f"Estimated total {data['total']:.2f} CNY: the insurance fund pays {data['fund_pays']:.2f}, "
                f"the personal account {data['personal_account_pays']:.2f}, cash/WeChat {data['cash_pays']:.2f}.")
        if met is not None:
            m = met.to_json()
            head = (("【按今年起付线尚未达到估算(保守)】" if lang == "zh" else "[If this year's deductible is NOT yet met (conservative)] ") + head
                    + ("\n【如果今年起付线已经达到】" if lang == "zh" else "\n[If the deductible IS already met] ")
                    + (f"医保统筹支付{m['fund_pays']:.2f}元,个人账户支付{m['personal_account_pays']:.2f}元,"
                       f"现金/微信支付{m['cash_pays']:.2f}元。以医保结算结果为准。" if lang == "zh" else
                       f"the fund pays {m['fund_pays']:.2f}, the personal account {m['personal_account_pays']:.2f}, "
                       f"cash/WeChat {m['cash_pays']:.2f}. The insurer's settlement is final."))
        tail = "需要缴费的话,请说“我要缴费”。" if lang == "zh" else "To pay, say \"pay now\"."
        dispatcher.utter_message(text="\n".join([head, *lines, tail]),
                                 json_message={"intent": "payment", "payment": estimate, "citations": [self._citation()]})
        put("payment_estimate", {**estimate, "reference": self._reference(slots)})
        if wants_to_pay:
            return events + await self._pay(dispatcher, tracker, lang, slots["payment_estimate"])
        return events + [ActiveLoop(None)]

    async def _self_pay(self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str, slots: dict[str, Any],
                        wants_to_pay: bool) -> list[dict[str, Any]]:
        """No insurance (or not using it): the bill at the hospital's prices, all paid by the patient."""
        try:
            bill = self._bill(slots)
        except SettlementError as exc:
            dispatcher.utter_message(text=("这张账单我没法估算:" if lang == "zh" else "I cannot estimate this bill: ") + exc.message,
                                     json_message={"intent": "payment"})
            return [SlotSet("payment_items", None), ActiveLoop(self.name())]
        total = sum((i.amount_cny for i in bill), Decimal(0))
        yuan = float(total)
        estimate = {"total": yuan, "fund_pays": 0.0, "personal_account_pays": 0.0, "cash_pays": yuan,
                    "order_id": None, "status": "estimate"}
        lines = [f"{i.name_zh} {float(i.amount_cny):.2f}元" if lang == "zh" else f"{i.name_zh} {float(i.amount_cny):.2f} CNY" for i in bill]
        notes = slots.get("payment_bill_notes") or tracker.get_slot("payment_bill_notes")
        text = (f"不用医保(自费)时按本院价格全部由个人支付:预计合计{yuan:.2f}元。\n" + "；".join(lines)
                + ("\n" + "；".join(notes) if notes else "")
                + "\n如果您有医保,告诉我是职工医保还是居民医保,我可以重新估算报销。需要缴费的话,请说“我要缴费”。"
                if lang == "zh" else
                f"Without insurance (self-pay) the whole bill at the hospital's prices is yours: about {yuan:.2f} CNY.\n"
                + "; ".join(lines) + ("\n" + "; ".join(notes) if notes else "")
                + "\nIf you do have insurance, tell me which (employee or resident) and I will estimate again. To pay, say \"pay now\".")
        dispatcher.utter_message(text=text, json_message={"intent": "payment", "payment": estimate, "citations": [self._citation()]})
        slots["payment_estimate"] = {**estimate, "reference": self._reference(slots)}
        events: list[dict[str, Any]] = [SlotSet("payment_estimate", slots["payment_estimate"])]
        if wants_to_pay:
            return events + await self._pay(dispatcher, tracker, lang, slots["payment_estimate"])
        return events + [ActiveLoop(None)]

    def _deductible_standard(self, slots: dict[str, Any]) -> Decimal:
        policy = self.engine.policy
        pc = slots["payment_personnel"] if slots["payment_plan"] == "employee" else policy.personnel_categories("resident")[0]
        return policy.outpatient(slots["payment_plan"], pc, policy.hospital_tier)[0]

    def _bill(self, slots: dict[str, Any]) -> tuple:
        raw: list[dict[str, Any]] = list(slots["payment_items"] or [])
        appt = slots["payment_appointment"]
        if appt and not raw:
            raw = [{"name_zh": "挂号费(诊察费)", "amount_cny": str(appt.get("fee_cny")), "category": "甲"}]
        return price_items(raw, self.services.hospital.fee_items)

    @staticmethod
    def _reference(slots: dict[str, Any]) -> str:
        appt = slots["payment_appointment"]
        if appt and appt.get("appointment_id") and not slots["payment_items"]:
            return f"appointment:{appt['appointment_id']}"
        codes = ",".join(f"{i.get('fee_item_code') or i.get('name_zh')}x{i.get('quantity') or i.get('amount_cny')}" for i in slots["payment_items"] or [])
        return "bill:" + hashlib.sha256(codes.encode()).hexdigest()[:16]

    async def _pay_appointment(self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str,
                               appt: dict[str, Any]) -> list[dict[str, Any]]:
        """An order for a booked appointment's registration fee, paid in full by WeChat Pay."""
        fee = Decimal(str(appt.get("fee_cny")))
        fee_yuan = float(fee)
        reference = f"appointment:{appt['appointment_id']}"
        payments = self.services.payments
        booking = getattr(self.services, "booking", None)
        current = await booking.get(appt["appointment_id"]) if booking is not None else None
        if booking is not None and (current is None or current.status != "confirmed"):
            dispatcher.utter_message(
                text="这个预约已经取消或失效,不需要缴挂号费。" if lang == "zh" else "That appointment is no longer active, so there is no fee to pay.",
                json_message={"intent": "payment"})
            return [SlotSet("payment_appointment", None), ActiveLoop(None)]
        if payments is not None:
            paid = [o for o in await payments.orders_for(reference) if o.status in ("paid", "refunding", "refunded")]
            if paid:
                o = paid[-1]
                done = o.status == "paid"
                dispatcher.utter_message(
                    text=(f"这个预约的挂号费{fee_yuan:g}元已经支付过了(订单{o.order_id})。" if done else f"这个预约的挂号费已退款(订单{o.order_id})。")
                    if lang == "zh" else
                    (f"The {fee_yuan:g} CNY fee for this appointment is already paid (order {o.order_id})." if done
                     else f"The fee for this appointment has been refunded (order {o.order_id})."),
                    json_message={"intent": "payment", "payment": o.payment_json()})
                return [ActiveLoop(None)]
        estimate = {"total": fee_yuan, "fund_pays": 0.0, "personal_account_pays": 0.0, "cash_pays": fee_yuan,
                    "reference": reference}
        return await self._pay(dispatcher, tracker, lang, estimate)

    async def _pay(self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str,
                   estimate: dict[str, Any]) -> list[dict[str, Any]]:
        from assistant.services.payments import PaymentError

        payments = self.services.payments
        cash_fen = int((Decimal(str(estimate["cash_pays"])) * 100).to_integral_value())
        if payments is None or not payments.configured:
            amount = f"{cash_fen / 100:g}"
            text, cites = offline_payment(self.services, lang, f"需支付的{amount}元", f"the {amount} CNY")
            dispatcher.utter_message(text=text, json_message={"intent": "payment", "citations": cites})
            return [ActiveLoop(None)]
        if cash_fen <= 0:
            dispatcher.utter_message(text="这笔费用没有需要微信支付的部分。" if lang == "zh" else "Nothing is left to pay by WeChat.",
                                     json_message={"intent": "payment"})
            return [ActiveLoop(None)]
        reference = estimate.get("reference") or "bill"
        purpose = "appointment_fee" if reference.startswith("appointment:") else "outpatient_bill"
        session = tracker.sender_id or "anon"
        # An order that timed out is closed for good; asking again makes a new one.
        retries = sum(1 for o in await payments.orders_for(reference[:64]) if o.status == "closed")
        key = f"{session}:{reference}:{cash_fen}" + (f":{retries}" if retries else "")
        try:
            order = await payments.create_order(
                purpose=purpose, reference_id=reference[:64], amount_fen=cash_fen,
                description="滨江示例人民医院-" + ("挂号费" if purpose == "appointment_fee" else "门诊缴费"),
                idempotency_key=key[:128], session_id=session,
                settlement={k: estimate[k] for k in ("total", "fund_pays", "personal_account_pays", "cash_pays")},
                actor=f"patient:{session}")
        except PaymentError as exc:
            log.warning("payment order failed: %s", exc.code)
            dispatcher.utter_message(
                text="暂时无法创建支付订单,请稍后再试或到收费窗口缴费。" if lang == "zh"
                else "I could not create the payment order just now; please try again later or pay at a cashier window.",
                json_message={"intent": "payment", "escalate": {"reason": "payment_problem", "priority": 4,
                                                                  "summary": f"payment order failed: {exc.code}"}})
            return [ActiveLoop(None)]
        pay = order.payment_json()
        minutes = int(payments.order_ttl.total_seconds() // 60)
        text = (f"已为您创建缴费订单{order.order_id},需支付{cash_fen / 100:.2f}元。请点击链接或扫码支付:{order.code_url}"
                f"({minutes}分钟内有效,支付成功后会通知您)" if lang == "zh" else
                f"Order {order.order_id} is created: {cash_fen / 100:.2f} CNY to pay. Pay with this link or QR code: "
                f"{order.code_url} (valid {minutes} minutes; you will be told once it is paid).")
        dispatcher.utter_message(text=text, json_message={"intent": "payment", "payment": pay})
        return [SlotSet("payment_order_id", order.order_id), ActiveLoop(None)]
