"""Core skills: greeting, human hand-off, out-of-scope, clarification, and the feature fallback."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.dialogue.responses import FEATURE_NAMES, text
from assistant.services.container import Services


def lang_of(tracker: Tracker) -> str:
    meta = tracker.latest_message.get("metadata") or {}
    return "en" if meta.get("lang") == "en" else "zh"


class _Core(Action):
    def __init__(self, services: Services | None = None) -> None:
        self.services = services


_THANKS_OR_BYE = re.compile(r"谢谢|多谢|感谢|辛苦了|再见|拜拜|没事了|好的知道了|\bthanks?\b|thank you|\bbye\b|goodbye|that's all", re.I)


class ActionGreeting(_Core):
    def name(self) -> str:
        return "action_greeting"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        said = tracker.latest_message.get("text") or ""
        if _THANKS_OR_BYE.search(said) and len(tracker.events) > 2:
            # thanks or goodbye mid-conversation: a short, warm close, not the whole menu again
            dispatcher.utter_message(text=text("utter_welcome", lang), json_message={"intent": "greeting"})
            return []
        dispatcher.utter_message(text=text("utter_greet", lang), json_message={"intent": "greeting"})
        return []


class ActionHumanHandoff(_Core):
    def name(self) -> str:
        return "action_human_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        dispatcher.utter_message(
            text=text("utter_handoff", lang, wait=10),
            json_message={
                "intent": "human",
                "escalate": {"reason": "patient_request", "priority": 3, "summary": "患者要求人工服务"},
            },
        )
        return [ActiveLoop(None), SlotSet("requested_slot", None)]


class ActionOutOfScope(_Core):
    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=text("utter_out_of_scope", lang_of(tracker)), json_message={"intent": "out_of_scope"})
        return []


class ActionClarify(_Core):
    """Low confidence: ask again; the second miss in a row hands over to staff."""

    def name(self) -> str:
        return "action_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        misses = int(tracker.get_slot("misunderstandings") or 0) + 1
        if misses >= 3:
            dispatcher.utter_message(
                text=text("utter_clarify_escalate", lang),
                json_message={
                    "intent": "human",
                    "escalate": {"reason": "repeated_misunderstanding", "priority": 3, "summary": "多次未能理解患者"},
                },
            )
            return [SlotSet("misunderstandings", 0)]
        dispatcher.utter_message(text=text("utter_clarify", lang), json_message={"intent": "out_of_scope"})
        return [SlotSet("misunderstandings", misses)]


class ActionFeatureUnavailable(_Core):
    """Routing fallback for an intent whose skill is not available in this deployment."""

    def __init__(self, services: Services | None, intent: str) -> None:
        super().__init__(services)
        self.intent = intent

    def name(self) -> str:
        return f"action_unavailable_{self.intent}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        what = FEATURE_NAMES[self.intent][lang]
        dispatcher.utter_message(text=text("utter_unavailable", lang, what=what), json_message={"intent": self.intent})
        return []
