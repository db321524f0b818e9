"""The dialogue manager: one patient turn in, one assembled reply out.

Order of work on every turn: red-flag rules and the input screen first (before and independent of
any model), then the active form or skill loop, then intent routing. Only the manager applies the
events that actions return.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from rasa_sdk import Action

from assistant.dialogue.dispatcher import AssembledReply, ReplyDispatcher, assemble
from assistant.dialogue.responses import RESPONSES
from assistant.dialogue.tracker import build_tracker, latest_message
from assistant.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    FollowupAction,
    SlotSet,
    UserUttered,
    from_rasa,
)
from assistant.nlu.question import wants_information
from assistant.session.state import TrackerState

log = logging.getLogger(__name__)

CONTRACT_INTENTS = ("triage", "booking", "report", "payment", "faq", "greeting", "human", "out_of_scope")
INTENT_ACTIONS = {
    "greeting": "action_greeting",
    "human": "action_human_handoff",
    "out_of_scope": "action_out_of_scope",
    "faq": "action_faq",
    "triage": "action_triage",
    "report": "action_report",
    "payment": "action_payment",
    "booking": "booking_form",
}
LOOP_INTENTS = {
    "booking_form": "booking",
    "action_triage": "triage",
    "action_payment": "payment",
    "action_report": "report",
    "action_faq": "faq",
}
# Slots whose answer is free text (a name): whatever the classifier thinks of it, it is the answer.
FREE_TEXT_SLOTS = {"patient_name", "name", "person_name"}
_BOOK_VERB = re.compile(r"挂|预约|约个?号|\bbook\b|appointment", re.I)
_PERSONAL = re.compile(r"我|孩子|宝宝|儿子|女儿|老公|老婆|爱人|爸|妈|爷爷|奶奶|外公|外婆|家人|\b(I|I'm|my|me|he|she|his|her)\b")
MIN_CONFIDENCE = 0.45
SWITCH_CONFIDENCE = 0.8
_EXIT_LOOP = re.compile(r"^\s*(算了|不用了|不挂了|不约了|不看了|退出|取消吧|取消|never ?mind|forget it|stop)\s*[。.!！]?\s*$", re.I)
_CANCEL_APPT = re.compile(
    r"取消.{0,6}(预约|挂号|号)|退号|不去了.{0,4}(号|预约)|cancel.{0,20}(appointment|booking)"
    r"|(号|预约|挂号)(给我|帮我)?.{0,2}(取消|退)(了|掉)?|取消(刚才|刚刚|上次|之前|那个|这个)"
    r"|(刚才|刚刚|之前|上次)(那个|的|约的|挂的)?.{0,4}(不要了|不用了|不去了|取消|退)|不去了.{0,6}退|退了吧|退掉"
    r"|(挂|约|预约)(的|好的|了的)(号|那个号|预约)?.{0,4}(不想去|不打算去|去不了|来不了|不能去|不去|不要)了?"
    r"|(号|预约).{0,2}(不想去|去不了|来不了|不去)了"
    r"|can'?t (make|come to|go to) (my|the) appointment",
    re.I,
)
_RESCHEDULE = re.compile(r"改约|改(到|成|时间|天)|换(个|一个)?时间|调(整)?(到|时间)|reschedul|move my appointment|change my appointment", re.I)
_MY_APPTS = re.compile(
    r"我(约|挂)了(什么|哪|几)|我的(预约|挂号)|查(一下|询)?.{0,4}(预约|挂号)(记录|情况)?|what (have|did) i book|my appointments?"
    r"|我.{0,6}有没有.{0,2}(预约|挂号|约号|挂号记录)|(帮我|给我)(看看|查查|查一下|看一下).{0,8}(预约|挂号)(了|记录)?",
    re.I,
)


class Safety(Protocol):
    def red_flags(self, text: str, context: dict[str, Any]) -> list[Any]: ...
    def screen(self, text: str, lang: str) -> Any: ...
    def guard(self, reply: str, lang: str, user_text: str) -> Any: ...


class Nlu(Protocol):
    def parse(self, text: str, lang: str | None = None, now: datetime | None = None) -> Any: ...


@dataclass
class TurnOutcome:
    reply: AssembledReply
    intent: str
    confidence: float
    actions_run: list[str]


class DialogueManager:
    def __init__(
        self,
        *,
        nlu: Nlu,
        actions: dict[str, Action],
        safety: Safety,
        report_detector: Any = None,
        symptom_detector: Any = None,
        faq_probe: Any = None,
        current_symptom: Any = None,
        patient_detail: Any = None,
        followup_detail: Any = None,
        estimate_question: Any = None,
        forms: dict[str, dict[str, Any]] | None = None,
        form_responses: dict[str, dict[str, str]] | None = None,
        slots: dict[str, Any] | None = None,
    ) -> None:
        self.nlu = nlu
        self.actions = actions
        self.safety = safety
        self.report_detector = report_detector
        self.symptom_detector = symptom_detector
        self.faq_probe = faq_probe
        self.current_symptom = current_symptom
        self.patient_detail = patient_detail  # text → True when it states the patient's age or sex
        self.followup_detail = followup_detail  # text → True when it adds to a complaint just assessed
        self.estimate_question = estimate_question  # (text, passage answer or None) → True: the estimate skill's
        self.forms = forms or {}
        self.form_responses = {**RESPONSES, **(form_responses or {})}
        self.domain: dict[str, Any] = {
            "forms": self.forms,
            "slots": slots or {},
            "responses": {},
        }

    # ------------------------------------------------------------------------------------------
    async def handle(
        self, state: TrackerState, text: str, *, lang: str, channel: str, now: datetime, metadata: dict[str, Any] | None = None
    ) -> TurnOutcome:
        state.lang = lang
        metadata = dict(metadata or {})
        nlu = self.nlu.parse(text, lang=lang, now=now)
        entities = [_entity_dict(e) for e in getattr(nlu, "entities", [])]
        # forms read a numbered choice as `choice`; the NLU names it `ordinal`
        entities += [{**e, "entity": "choice"} for e in entities if e.get("entity") == "ordinal"]
        intent = str(nlu.intent)
        confidence = float(nlu.confidence)
        forced = metadata.pop("intent", None)
        if forced in CONTRACT_INTENTS:
            intent, confidence = forced, 1.0
        elif self.report_detector is not None and intent != "report" and self.report_detector(text):
            intent, confidence = "report", max(confidence, 0.9)  # pasted lab values
        elif not state.active_loop and intent not in ("booking", "human") and (_CANCEL_APPT.search(text) or _MY_APPTS.search(text)):
            intent, confidence = "booking", max(confidence, 0.9)  # "刚才那个不要了", "不去了，退了吧": the booking actions
        elif (
            (intent != "booking" or confidence < MIN_CONFIDENCE)
            and not state.active_loop
            and any(e.get("entity") in ("department", "doctor") for e in entities)
            and _BOOK_VERB.search(text)
            and not wants_information(text)
        ):
            intent, confidence = "booking", max(confidence, 0.9)  # "想挂儿科", "挂李医生的号"
        elif self._sounds_medical(text, intent, confidence, state):
            intent, confidence = "triage", max(confidence, 0.6)  # a symptom the classifier was unsure of
        state.apply(UserUttered(text=text, intent=intent, confidence=confidence, entities=entities, lang=lang))

        context = {"triage_state": state.slots.get("triage_state"), "slots": state.slots}
        flags = list(self.safety.red_flags(text, context) or [])
        emergency = [f for f in flags if getattr(f, "level", None) == "emergency"]
        if flags and not emergency and not state.active_loop and intent not in ("booking", "report"):
            intent, confidence = "triage", 1.0  # an urgent red flag: assess it now
        screen = self.safety.screen(text, lang)
        screen_kind = getattr(screen, "kind", "ok")

        msg = latest_message(
            text, intent, confidence, entities, lang=lang, channel=channel, session_id=state.session_id,
            now_iso=now.isoformat(),
            extra={**metadata, "red_flags": [getattr(f, "rule_id", str(f)) for f in flags], "screen": screen_kind},
        )
        dispatcher = ReplyDispatcher()
        run: list[str] = []
        route_intent = intent

        if state.slots.get("offer") and intent not in ("affirm", "deny", "choose"):
            # an offer (预约吗? / 转人工?) stands for the next answer only: a later 好的 is not its yes
            state.apply(SlotSet("offer", None))
        if emergency:
            # Red flags outrank everything: end any form, assess now.
            if state.active_loop:
                state.apply(ActiveLoop(None))
                state.apply(SlotSet("requested_slot", None))
            route_intent = "triage"
            await self._run("action_triage", state, msg, dispatcher, run)
        elif screen_kind == "crisis" or (screen_kind != "ok" and not state.active_loop):
            route_intent = "human" if screen_kind == "crisis" else "out_of_scope"
            await self._run("action_safety", state, msg, dispatcher, run)
        elif screen_kind != "ok":
            await self._run("action_safety", state, msg, dispatcher, run)
            route_intent = LOOP_INTENTS.get(state.active_loop or "", "out_of_scope")
        elif forced in CONTRACT_INTENTS:
            if state.active_loop:
                state.apply(ActiveLoop(None))
                state.apply(SlotSet("requested_slot", None))
            route_intent = await self._route(state, msg, intent, confidence, dispatcher, run)
        elif self._triage_followup(state, text, intent, confidence, entities):
            msg["metadata"]["triage_followup"] = True
            route_intent = "triage"
            await self._run("action_triage", state, msg, dispatcher, run)
        elif state.active_loop:
            route_intent = await self._continue_loop(state, msg, intent, confidence, dispatcher, run)
        else:
            route_intent = await self._route(state, msg, intent, confidence, dispatcher, run)

        reply = assemble(dispatcher.messages)
        if emergency and (reply.triage or {}).get("level") != "emergency":
            # Defence in depth: an emergency finding is never softened by a skill.
            reply = _force_emergency(reply, emergency, lang)
        final_intent = reply.intent or route_intent
        if final_intent not in CONTRACT_INTENTS:
            final_intent = LOOP_INTENTS.get(state.active_loop or "", "out_of_scope")
        if route_intent in CONTRACT_INTENTS and final_intent != "human":
            state.last_intent = final_intent
        reply.intent = final_intent
        state.apply(BotUttered(text=reply.text, data={"intent": final_intent}))
        return TurnOutcome(reply=reply, intent=final_intent, confidence=confidence, actions_run=run)

    def _triage_followup(
        self, state: TrackerState, text: str, intent: str, confidence: float, entities: list[dict[str, Any]]
    ) -> bool:
        """Details added right after a triage result (35岁，女的 / 有点恶心，没有吐 / 没有其他症状) reassess it
        with what was already said, instead of falling to 'I didn't understand'."""
        if state.active_loop or state.last_intent != "triage" or not state.slots.get("triage_last"):
            return False
        if intent in ("booking", "payment", "report", "human", "affirm", "choose", "greeting"):
            return False
        if intent == "faq" and confidence >= MIN_CONFIDENCE:
            return False
        about_patient = any(e.get("entity") in ("age", "relationship") for e in entities) or bool(
            self.patient_detail is not None and self.patient_detail(text))
        return bool(
            about_patient
            or (self.followup_detail is not None and self.followup_detail(text))
            or (self.symptom_detector is not None and self.symptom_detector(text))
        )

    def _sounds_medical(self, text: str, intent: str, confidence: float, state: TrackerState) -> bool:
        """A symptom or condition in a message the classifier could not place: assess it as triage."""
        if self.symptom_detector is None or intent == "triage" and confidence >= MIN_CONFIDENCE:
            return False
        if state.active_loop and state.active_loop != "action_triage":
            return False  # a form is waiting for its answer
        weak = (
            confidence < MIN_CONFIDENCE
            or intent in ("out_of_scope", "greeting", "deny", "affirm", "choose")
            or (intent == "faq" and confidence < SWITCH_CONFIDENCE)
        )
        return weak and bool(self.symptom_detector(text))

    # ------------------------------------------------------------------------------------------
    async def _route(self, state, msg, intent, confidence, dispatcher, run) -> str:  # type: ignore[no-untyped-def]
        if intent in ("affirm", "choose") and state.slots.get("offer") in INTENT_ACTIONS:
            intent, confidence = state.slots["offer"], 1.0
            state.apply(SlotSet("offer", None))
        elif intent == "deny" and state.slots.get("offer") in INTENT_ACTIONS:
            # "不用了" to "需要我帮您预约神经内科吗?": declined, said so, not "I didn't understand"
            offered = state.slots["offer"]
            state.apply(SlotSet("offer", None))
            lang = msg["metadata"]["lang"]
            safe = (state.last_intent == "triage")
            dispatcher.utter_message(text=(
                "好的，先不预约。还有什么可以帮您？" + ("如果症状加重，请及时就医；情况紧急请拨打120。" if safe else "")
                if lang == "zh" else
                "OK, no booking for now. Is there anything else I can help with?"
                + (" If it gets worse, please see a doctor; in an emergency call 120." if safe else "")
            ) if offered == "booking" else (
                "好的。还有什么可以帮您？" if lang == "zh" else "OK. Is there anything else I can help with?"))
            return state.last_intent if state.last_intent in CONTRACT_INTENTS else "out_of_scope"
        elif intent == "affirm" and confidence >= MIN_CONFIDENCE and len(msg["text"].strip()) <= 6:
            # a bare 好的 / OK with nothing on offer: an acknowledgement, not a request to decode
            lang = msg["metadata"]["lang"]
            dispatcher.utter_message(text="好的。还有什么可以帮您？" if lang == "zh" else "OK. Is there anything else I can help with?")
            return state.last_intent if state.last_intent in CONTRACT_INTENTS else "greeting"
        # A question the classifier only guesses is for the documents is tried on them like one it could
        # not place: answered when they ground an answer, "I didn't understand" otherwise.
        unsure_faq = intent == "faq" and confidence < MIN_CONFIDENCE
        probe_as = "out_of_scope" if unsure_faq else intent
        if (intent not in ("greeting", "human", "faq") or unsure_faq) and await self._answer_question_first(
                state, msg, probe_as, confidence, dispatcher, run):
            return "faq"
        if intent not in CONTRACT_INTENTS or confidence < MIN_CONFIDENCE:
            await self._run("action_clarify", state, msg, dispatcher, run)
            return "out_of_scope"
        state.apply(SlotSet("misunderstandings", 0))
        if intent == "booking":
            return await self._route_booking(state, msg, dispatcher, run)
        await self._run(INTENT_ACTIONS[intent], state, msg, dispatcher, run, fallback_intent=intent)
        return intent

    async def _answer_question_first(self, state, msg, intent, confidence, dispatcher, run) -> bool:  # type: ignore[no-untyped-def]
        """A question *about* fees, booking rules, reports or a service is answered from the documents
        (when they hold a grounded answer) before any skill starts acting; the skill is then offered.
        A question nothing grounds, that no skill claims with confidence, gets the honest "I don't
        know" with an offer of a person rather than a skill that would start acting on it."""
        text = msg["text"]
        if self.faq_probe is None or msg["metadata"].get("red_flags"):
            return False
        if intent == "report" and self.report_detector is not None and self.report_detector(text):
            return False  # "白细胞12.5…这正常吗" asks about the patient's own values
        if intent == "triage" and _PERSONAL.search(text) and self.current_symptom is not None and self.current_symptom(text):
            return False  # "我发烧三天了需要去发热门诊吗": the patient's own symptom, assess it
        if not wants_information(text):
            return False
        answer = await self.faq_probe(text, msg["metadata"]["lang"])
        # how much insurance pays, which no passage about insurance answers: the estimate skill works it out
        if (intent == "payment" and confidence >= MIN_CONFIDENCE and self.estimate_question is not None
                and self.estimate_question(text, None if answer is None else getattr(answer, "text", ""))):
            return False  # no passage about insurance answers it: the estimate skill asks for the plan and the bill
        if answer is None and intent == "booking" and (_CANCEL_APPT.search(text) or _RESCHEDULE.search(text) or _MY_APPTS.search(text)):
            return False  # "can I cancel my appointment for tomorrow?": nothing to quote, so do it
        if answer is None:
            symptomless_triage = intent == "triage" and not (self.symptom_detector and self.symptom_detector(text))
            if intent not in ("booking", "payment", "report", "faq") and not symptomless_triage:
                return False
            await self._run("action_faq", state, msg, dispatcher, run)  # abstains, offers a person
            return True
        msg["metadata"]["faq_answer"] = answer
        await self._run("action_faq", state, msg, dispatcher, run)
        if intent in ("booking", "payment"):
            state.apply(SlotSet("offer", intent))
        return True

    async def _route_booking(self, state, msg, dispatcher, run) -> str:  # type: ignore[no-untyped-def]
        t = msg["text"]
        if _CANCEL_APPT.search(t) and "action_cancel_appointment" in self.actions:
            await self._run("action_cancel_appointment", state, msg, dispatcher, run)
        elif _RESCHEDULE.search(t) and "action_reschedule_appointment" in self.actions:
            await self._run("action_reschedule_appointment", state, msg, dispatcher, run)
        elif _MY_APPTS.search(t) and "action_my_appointments" in self.actions:
            await self._run("action_my_appointments", state, msg, dispatcher, run)
        elif "booking_form" in self.forms:
            state.apply(ActiveLoop("booking_form"))
            await self._form_step("booking_form", state, msg, dispatcher, run)
        else:
            await self._run("action_unavailable_booking", state, msg, dispatcher, run)
        return "booking"

    async def _continue_loop(self, state, msg, intent, confidence, dispatcher, run) -> str:  # type: ignore[no-untyped-def]
        loop = state.active_loop
        loop_intent = LOOP_INTENTS.get(loop, "out_of_scope")
        if intent == "human" and confidence >= MIN_CONFIDENCE:
            state.apply(ActiveLoop(None))
            state.apply(SlotSet("requested_slot", None))
            await self._run("action_human_handoff", state, msg, dispatcher, run)
            return "human"
        if _EXIT_LOOP.match(msg["text"]):
            state.apply(ActiveLoop(None))
            state.apply(SlotSet("requested_slot", None))
            lang = msg["metadata"]["lang"]
            dispatcher.utter_message(
                text="好的，已结束当前办理。还有什么可以帮您？" if lang == "zh" else "OK, I've stopped that. What else can I do for you?"
            )
            return loop_intent
        waiting_for_free_text = (
            state.slots.get("requested_slot") in FREE_TEXT_SLOTS
            or len(msg["text"].strip()) <= 3
            # the payment skill asked for the bill or the deductible: "就是门诊，开了点药，一共300块左右" answers it
            or (loop == "action_payment" and bool(state.slots.get("requested_bill") or state.slots.get("payment_asked")))
        )
        switching = (
            not waiting_for_free_text
            and intent in CONTRACT_INTENTS
            and intent != loop_intent
            and intent not in ("greeting",)
            and confidence >= SWITCH_CONFIDENCE
            and not msg.get("entities")
        )
        if switching:
            state.apply(ActiveLoop(None))
            state.apply(SlotSet("requested_slot", None))
            return await self._route(state, msg, intent, confidence, dispatcher, run)
        if loop in self.forms:
            await self._form_step(loop, state, msg, dispatcher, run)
        else:
            await self._run(loop, state, msg, dispatcher, run, fallback_intent=loop_intent)
        return loop_intent

    # ------------------------------------------------------------------------------------------
    async def _form_step(self, form: str, state: TrackerState, msg: dict[str, Any], dispatcher, run) -> None:  # type: ignore[no-untyped-def]
        """What Rasa's FormAction does: extract + validate via validate_<form>, ask or submit."""
        validator = self.actions.get(f"validate_{form}")
        asked_before = state.slots.get("requested_slot")
        uttered_before = len(dispatcher.messages)
        if validator is not None:
            tracker = build_tracker(state, msg)
            events = await validator.run(dispatcher, tracker, self.domain)
            self._apply(state, events)
            run.append(validator.name())
            required = await validator.required_slots(  # type: ignore[attr-defined]
                validator.domain_slots(self.domain), dispatcher, build_tracker(state, msg), self.domain  # type: ignore[attr-defined]
            )
        else:
            required = list(self.forms[form].get("required_slots", []))
        if state.active_loop != form:
            return  # the validator ended the form itself
        missing = [s for s in required if state.slots.get(s) is None]
        if missing:
            slot = missing[0]
            state.apply(SlotSet("requested_slot", slot))
            if slot == asked_before and len(dispatcher.messages) > uttered_before:
                return  # the validator already said what was wrong and what it needs
            ask = f"action_ask_{slot}"
            if ask in self.actions:
                await self._run(ask, state, msg, dispatcher, run)
            else:
                entry = self.form_responses.get(f"utter_ask_{slot}")
                if entry:
                    lang = msg["metadata"]["lang"]
                    dispatcher.utter_message(text=entry.get(lang) or entry.get("zh"))
            return
        state.apply(SlotSet("requested_slot", None))
        state.apply(ActiveLoop(None))
        await self._run(f"action_submit_{form}", state, msg, dispatcher, run)

    async def _run(self, name: str, state: TrackerState, msg: dict[str, Any], dispatcher, run, fallback_intent: str | None = None, depth: int = 0) -> None:  # type: ignore[no-untyped-def]
        action = self.actions.get(name)
        if action is None and fallback_intent:
            action = self.actions.get(f"action_unavailable_{fallback_intent}")
        if action is None:
            log.warning("no action registered", extra={"action": name})
            action = self.actions["action_clarify"]
        before = state.active_loop
        events = await action.run(dispatcher, build_tracker(state, msg), self.domain)
        run.append(action.name())
        state.apply(ActionExecuted(action.name()))
        followup = self._apply(state, events)
        if state.active_loop and state.active_loop != before and state.active_loop in self.forms:
            await self._form_step(state.active_loop, state, msg, dispatcher, run)
        if followup and depth < 3:
            await self._run(followup, state, msg, dispatcher, run, depth=depth + 1)

    @staticmethod
    def _apply(state: TrackerState, events: list[dict[str, Any]] | None) -> str | None:
        followup = None
        for raw in events or []:
            ev = from_rasa(raw) if isinstance(raw, dict) else raw
            if ev is None:
                continue
            if isinstance(ev, FollowupAction):
                followup = ev.name
            state.apply(ev)
        return followup


def _entity_dict(e: Any) -> dict[str, Any]:
    if isinstance(e, dict):
        return e
    return {
        "entity": getattr(e, "type", None),
        "value": getattr(e, "value", None),
        "text": getattr(e, "text", None),
        "start": getattr(e, "start", None),
        "end": getattr(e, "end", None),
    }


def _force_emergency(reply: AssembledReply, hits: list[Any], lang: str) -> AssembledReply:
    names = "、".join(getattr(h, "name_zh", "") for h in hits) if lang == "zh" else ", ".join(getattr(h, "name_en", "") for h in hits)
    urgent = (
        f"您描述的情况可能是急症（{names}）。请立即拨打120，或马上到急诊科（本部4号楼，东门进入）。"
        if lang == "zh"
        else f"What you describe may be an emergency ({names}). Call 120 now or go to the Emergency Department (main campus, Building 4, east gate) immediately."
    )
    reply.text = urgent + ("\n" + reply.text if reply.text else "")
    reply.triage = {"level": "emergency", "department": "emergency", "red_flags": [getattr(h, "rule_id", str(h)) for h in hits]}
    reply.intent = "triage"
    if reply.escalate is None or int(reply.escalate.get("priority", 3)) > 1:
        reply.escalate = {"reason": "red_flag", "priority": 1, "summary": names}
    return reply
