"""The triage skill (action_triage): emergency advice at once on a red flag, else a short interview, then level,
department, what to watch for and an offer to book.

State between turns lives in the ``triage_state`` slot; the interview keeps ``ActiveLoop("action_triage")``
until a level is given. Facts (locations, centre notes) come from the hospital documents with citations.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.safety.pii import mask_text
from assistant.services.container import Services
from assistant.services.triage import TriageOutcome, assess, sources

log = logging.getLogger(__name__)

_NOTES_BY_RULE = {
    "stroke": ("stroke", "stroke_window"),
    "chest_pain_acs": ("chest", "chest_advice"),
    "infant_fever": ("pediatric",),
    "pediatric_danger": ("pediatric",),
    "obstetric_warning": ("obstetric",),
    "major_trauma": ("trauma",),
    "severe_burn": ("trauma",),
}
_LEVEL_TEXT = {
    "urgent": ("分级:今天就诊(urgent)。请今天就到医院就诊,不要等到明天;如果症状加重,请立即到急诊或拨打120。",
               "Level: be seen today (urgent). Please come in today rather than waiting; if it gets worse, go to the emergency department or call 120."),
    "routine": ("分级:门诊预约(routine)。", "Level: book an outpatient appointment (routine)."),
    "self_care": ("分级:居家观察护理(self_care)。", "Level: home care (self_care)."),
}


def level_notice(outcome: TriageOutcome, lang: str) -> str:
    """The sentence that states a decided level (urgent: be seen today), for any skill that reports a triage level."""
    if outcome.level is None:
        return ""
    if outcome.level == "emergency":
        return ("This may be an emergency: call 120 or go to the emergency department now." if lang == "en"
                else "这可能是紧急情况,请立即拨打120或到急诊。")
    return _LEVEL_TEXT[outcome.level][1 if lang == "en" else 0]


def _lang(tracker: Tracker) -> str:
    meta = tracker.latest_message.get("metadata") or {}
    return "en" if meta.get("lang") == "en" else "zh"


def _is_child(state: dict[str, Any]) -> bool:
    age = state.get("age_years")
    return age < 14 if age is not None else state.get("subject") == "child"


def emergency_message(outcome: TriageOutcome, services: Services, lang: str, text: str) -> tuple[str, dict[str, Any]]:
    """The emergency reply and its json_message (triage, escalate, intent, citations)."""
    hospital = services.hospital
    hit = next(h for h in outcome.hits if h.level == "emergency")
    en = lang == "en"
    citations: list[dict[str, str]] = []
    facts = []
    topics: list[str] = []
    if hit.rule_id == "obstetric_warning" and outcome.department == "obstetrics":
        topics.append("obstetric")
    else:
        topics.append("location")
    if _is_child(outcome.state) and "pediatric" not in topics:
        topics.append("pediatric")  # a child goes to the pediatric emergency
    for h in outcome.hits:
        for topic in _NOTES_BY_RULE.get(h.rule_id, ()):
            if topic not in topics:
                topics.append(topic)
    if len(topics) == 1:
        topics.append("call120")
    for topic in topics:
        fact = sources.emergency_fact(hospital, topic, lang)
        if fact is not None:
            if fact.text not in facts:  # two topics can cite the same sentence: say it once
                facts.append(fact.text)
            if fact.citation not in citations:
                citations.append(fact.citation)
    if en:
        head = f"This may be an emergency ({hit.name_en}). {hit.advice_en}"
        where = " ".join(facts)
        tail = "Our staff have been alerted and will follow up."
    else:
        head = f"这可能是紧急情况({hit.name_zh})。{hit.advice_zh}"
        where = "\n".join(facts)
        tail = "已通知医院工作人员跟进。"
    reply = f"{head}\n{where}\n{tail}"
    names = ", ".join(h.name_zh for h in outcome.hits if h.level == "emergency")
    summary = f"红旗:{names};分级 emergency;患者原话(已脱敏):{mask_text(text)[:120]}"
    payload = {
        "intent": "triage",
        "triage": {"level": "emergency", "department": outcome.department, "red_flags": outcome.red_flags},
        "escalate": {"reason": "red_flag", "priority": 1, "summary": summary},
        "citations": citations,
    }
    return reply, payload


def final_message(outcome: TriageOutcome, services: Services, lang: str) -> tuple[str, dict[str, Any], bool]:
    """The level/department reply; the bool says whether booking can start from the department."""
    hospital = services.hospital
    en = lang == "en"
    dept_id = outcome.department or "general_practice"
    citations: list[dict[str, str]] = []
    lines = [_LEVEL_TEXT[outcome.level][1 if en else 0], outcome.advice(lang)]
    if dept_id in ("fever_clinic", "emergency"):
        fact = sources.emergency_fact(hospital, "fever" if dept_id == "fever_clinic" else "location", lang)
    else:
        fact = sources.department_fact(hospital, dept_id, lang)
    if fact is not None:
        lines.append(("Where: " if en else "位置:") + fact.text)
        citations.append(fact.citation)
    if dept_id == "pediatrics" and "fever" in outcome.state.get("findings", []):
        note = (sources.find(hospital, "departments", r"Fever Clinic first", sentence=True) if en
                else sources.find(hospital, "departments", r"发热儿童\(≥37\.3"))
        if note is not None:
            lines.append(note.text)
            if note.citation not in citations:
                citations.append(note.citation)
    lines.append(("Watch for: " if en else "请留意:") + outcome.watch(lang))
    bookable = bool(hospital.doctors_in(dept_id))
    dept = hospital.departments.get(dept_id)
    if bookable and dept is not None:
        lines.append(f"Would you like me to book {dept.name_en} for you?" if en else f"需要我帮您预约{dept.name_zh}吗?")
    lines.append("This is a suggestion for where to be seen, not a diagnosis." if en else "以上仅为就诊科室参考,不是诊断。")
    payload: dict[str, Any] = {
        "intent": "triage",
        "triage": {"level": outcome.level, "department": dept_id, "red_flags": outcome.red_flags},
        "citations": citations,
    }
    if bookable and dept is not None:
        payload["choices"] = [f"Book {dept.name_en}", "No, thanks"] if en else [f"预约{dept.name_zh}", "暂不需要"]
    return "\n".join(lines), payload, bookable


class ActionTriage(Action):
    def __init__(self, services: Services) -> None:
        self.services = services

    def name(self) -> str:
        return "action_triage"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = _lang(tracker)
        text = tracker.latest_message.get("text") or ""
        in_loop = getattr(tracker, "active_loop_name", None) == self.name()
        state = tracker.get_slot("triage_state") if in_loop else None
        if state is None and (tracker.latest_message.get("metadata") or {}).get("triage_followup"):
            state = tracker.get_slot("triage_last")  # details added after a result: reassess with them
        outcome = assess(text, state if isinstance(state, dict) else None, self.services.hospital)
        log.debug("triage turn", extra={"pii": {"text": mask_text(text)}, "level": outcome.level})
        if outcome.emergency:
            reply, payload = emergency_message(outcome, self.services, lang, text)
            dispatcher.utter_message(text=reply, json_message=payload)
            return [SlotSet("triage_state", None), SlotSet("department", outcome.department), ActiveLoop(None)]
        if outcome.question is not None:
            dispatcher.utter_message(text=outcome.question["en" if lang == "en" else "zh"], json_message={"intent": "triage"})
            return [SlotSet("triage_state", outcome.state), ActiveLoop(self.name())]
        reply, payload, bookable = final_message(outcome, self.services, lang)
        dispatcher.utter_message(text=reply, json_message=payload)
        events: list[dict[str, Any]] = [SlotSet("triage_state", None), SlotSet("triage_last", outcome.state), ActiveLoop(None)]
        if bookable:
            events.insert(1, SlotSet("department", outcome.department))
            events.append(SlotSet("offer", "booking"))  # "好的" next turn starts booking with this department
        return events
