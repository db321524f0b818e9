"""A small dialogue driver for booking tests: what the lead's manager does with a form, steps (1)-(5):
append the message, run validate_<form>, pick the first missing required slot, ask it (action or
response text), or submit and deactivate. Entities are given by the test, as the NLU would give them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant.actions.booking import FORMS, RESPONSES, SLOTS, booking_actions

ROUTES = {"book": None, "cancel": "action_cancel_appointment", "reschedule": "action_reschedule_appointment", "my_appointments": "action_my_appointments"}


@dataclass
class Reply:
    text: str
    appointment: dict[str, Any] | None = None
    choices: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)


class FormLoop:
    def __init__(self, services: Any, sender: str = "s-test", lang: str = "zh", channel: str = "web", user_id: str | None = None) -> None:
        self.actions = booking_actions(services)
        self.domain = {"forms": FORMS, "slots": SLOTS}
        self.sender, self.lang, self.channel, self.user_id = sender, lang, channel, user_id
        self.slots: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = []
        self.active_loop: str | None = None

    def _tracker(self, msg: dict[str, Any]) -> Tracker:
        return Tracker(self.sender, dict(self.slots), msg, list(self.events), False, None,
                       {"name": self.active_loop} if self.active_loop else {}, None)

    def _apply(self, events: list[dict[str, Any]]) -> None:
        for e in events or []:
            self.events.append(e)
            if e["event"] == "slot":
                self.slots[e["name"]] = e["value"]
            elif e["event"] == "active_loop":
                self.active_loop = e["name"]

    async def _run(self, name: str, msg: dict[str, Any], d: CollectingDispatcher) -> None:
        before = self.active_loop
        events = await self.actions[name].run(d, self._tracker(msg), self.domain)
        self.events.append({"event": "action", "name": name})
        self._apply(events)
        if self.active_loop and self.active_loop != before and self.active_loop in FORMS:
            await self._form_step(msg, d)

    async def _form_step(self, msg: dict[str, Any], d: CollectingDispatcher) -> None:
        validator = self.actions["validate_booking_form"]
        self._apply(await validator.run(d, self._tracker(msg), self.domain))
        if self.active_loop != "booking_form":
            return
        required = await validator.required_slots(validator.domain_slots(self.domain), d, self._tracker(msg), self.domain)
        missing = [s for s in required if self.slots.get(s) is None]
        if missing:
            self._apply([{"event": "slot", "name": "requested_slot", "value": missing[0]}])
            ask = f"action_ask_{missing[0]}"
            if ask in self.actions:
                await self._run(ask, msg, d)
            else:
                d.utter_message(text=RESPONSES[f"utter_ask_{missing[0]}"][msg["metadata"]["lang"]])
            return
        self._apply([{"event": "slot", "name": "requested_slot", "value": None}, {"event": "active_loop", "name": None}])
        await self._run("action_submit_booking_form", msg, d)

    async def say(self, text: str, intent: str = "inform", lang: str | None = None, **entities: Any) -> Reply:
        lang = lang or self.lang
        ents = [{"entity": k, "value": v, "start": 0, "end": 0, "text": str(v)} for k, v in entities.items()]
        meta = {"lang": lang, "channel": self.channel, "session_id": self.sender}
        if self.user_id:
            meta["user_id"] = self.user_id
        msg = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": ents, "metadata": meta}
        self.events.append({"event": "user", "text": text, "parse_data": {"intent": msg["intent"], "entities": ents}})
        d = CollectingDispatcher()
        if self.active_loop == "booking_form":
            await self._form_step(msg, d)
        elif self.active_loop:
            await self._run(self.active_loop, msg, d)
        elif ROUTES.get(intent):
            await self._run(ROUTES[intent], msg, d)
        else:
            self._apply([{"event": "active_loop", "name": "booking_form"}])
            await self._form_step(msg, d)
        text_out = "\n".join(m.get("text") or "" for m in d.messages if m.get("text"))
        appt, choices = None, []
        for m in d.messages:
            custom = m.get("custom") or {}
            appt = custom.get("appointment", appt)
            choices = custom.get("choices", choices) or choices
        return Reply(text_out, appt, choices, d.messages)
