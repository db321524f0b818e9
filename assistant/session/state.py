"""The tracker state of one conversation, serialisable to JSON (stored with the conversation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.events import (
    ActiveLoop,
    ConversationPaused,
    ConversationResumed,
    DialogueEvent,
    Restarted,
    SlotSet,
    event_from_json,
    event_to_json,
)

MAX_EVENTS = 60


@dataclass
class TrackerState:
    session_id: str
    lang: str = "zh"
    channel: str = "web"
    slots: dict[str, Any] = field(default_factory=dict)
    active_loop: str | None = None
    paused: bool = False
    events: list[DialogueEvent] = field(default_factory=list)
    misunderstandings: int = 0
    last_intent: str | None = None

    def apply(self, event: DialogueEvent) -> None:
        self.events.append(event)
        if len(self.events) > MAX_EVENTS:
            del self.events[: len(self.events) - MAX_EVENTS]
        if isinstance(event, SlotSet):
            self.slots[event.name] = event.value
        elif isinstance(event, ActiveLoop):
            self.active_loop = event.name
        elif isinstance(event, ConversationPaused):
            self.paused = True
        elif isinstance(event, ConversationResumed):
            self.paused = False
        elif isinstance(event, Restarted):
            self.slots.clear()
            self.active_loop = None

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "lang": self.lang,
            "channel": self.channel,
            "slots": self.slots,
            "active_loop": self.active_loop,
            "paused": self.paused,
            "events": [event_to_json(e) for e in self.events],
            "misunderstandings": self.misunderstandings,
            "last_intent": self.last_intent,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], session_id: str) -> TrackerState:
        if not data:
            return cls(session_id=session_id)
        st = cls(
            session_id=session_id,
            lang=data.get("lang", "zh"),
            channel=data.get("channel", "web"),
            slots=dict(data.get("slots") or {}),
            active_loop=data.get("active_loop"),
            paused=bool(data.get("paused")),
            misunderstandings=int(data.get("misunderstandings") or 0),
            last_intent=data.get("last_intent"),
        )
        for raw in data.get("events") or []:
            try:
                st.events.append(event_from_json(raw))
            except (KeyError, TypeError):
                continue
        return st
