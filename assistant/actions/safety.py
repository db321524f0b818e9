"""The safety skill (action_safety): answers a message the input screen did not pass.

Crisis (self-harm): the hotline and emergency advice from the hospital's documents, with an
escalation of priority 1. Other kinds: a refusal in the patient's language that says what the
assistant can do instead; a diagnosis request that also describes symptoms gets a department hint.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop
from rasa_sdk.executor import CollectingDispatcher

from assistant.safety.guard import screen_input
from assistant.safety.pii import mask_text
from assistant.services.container import Services
from assistant.services.triage import assess, sources


class ActionSafety(Action):
    def __init__(self, services: Services) -> None:
        self.services = services

    def name(self) -> str:
        return "action_safety"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        meta = tracker.latest_message.get("metadata") or {}
        lang = "en" if meta.get("lang") == "en" else "zh"
        text = tracker.latest_message.get("text") or ""
        screen = screen_input(text, lang)
        hospital = self.services.hospital
        if screen.kind == "crisis":
            citations = []
            lines = [screen.reply]
            fact = sources.crisis_fact(hospital, lang)
            if fact is not None:
                citations.append(fact.citation)
                if lang != "en":
                    lines.append(fact.text)
            loc = sources.emergency_fact(hospital, "location", lang)
            if loc is not None:
                lines.append(("Emergency department: " if lang == "en" else "急诊") + loc.text)
                citations.append(loc.citation)
            escalate = dict(screen.escalate or {})
            escalate["summary"] = f"{escalate.get('summary', '')};患者原话(已脱敏):{mask_text(text)[:120]}"
            dispatcher.utter_message(text="\n".join(lines), json_message={
                "intent": "triage",
                "triage": {"level": "emergency", "department": "emergency", "red_flags": screen.red_flags},
                "escalate": escalate,
                "citations": citations,
            })
            return [ActiveLoop(None)]
        if screen.kind == "ok":
            return []
        reply = screen.reply
        payload: dict[str, Any] = {"intent": "out_of_scope"}
        if screen.kind == "diagnosis_request":
            outcome = assess(text, {"asked": ["complaint", "duration", "danger"]}, hospital)
            if outcome.emergency:
                from assistant.actions.triage import emergency_message

                reply, payload = emergency_message(outcome, self.services, lang, text)
                dispatcher.utter_message(text=reply, json_message=payload)
                return [ActiveLoop(None)]
            if outcome.level is not None and outcome.state.get("findings"):
                from assistant.actions.triage import level_notice

                # a level is known: state it (urgent = be seen today) instead of asking again
                reply = _without_question(reply)
                dept = hospital.departments.get(outcome.department or "")
                if dept is not None:
                    reply += (f" Based on what you describe, {dept.name_en} is the clinic to see." if lang == "en"
                              else f"根据您的描述,可以考虑到{dept.name_zh}就诊。")
                reply += (" " if lang == "en" else "") + level_notice(outcome, lang)
                payload = {"intent": "triage", "triage": {"level": outcome.level, "department": outcome.department,
                                                          "red_flags": outcome.red_flags}}
        dispatcher.utter_message(text=reply, json_message=payload)
        return []


def _without_question(reply: str) -> str:
    """The refusal without its closing question (请说说哪里不舒服… / What is bothering you…)."""
    for marker in ("请说说", "What is bothering you"):
        i = reply.find(marker)
        if i > 0:
            return reply[:i].rstrip()
    return reply
