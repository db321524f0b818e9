"""The one typed event vocabulary the engine speaks.

Inbound events come from channel adapters, dialogue events are what the tracker records (they map
one-to-one onto rasa-sdk's event dicts, so skills written as rasa-sdk actions plug in unchanged),
outbound events go back to the adapters. Control events (interrupt, hang-up, takeover) jump queues.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Channel = Literal["web", "wechat", "phone", "voice", "console", "api"]
Lang = Literal["zh", "en"]


def utcnow() -> datetime:
    return datetime.now(UTC)


# ---- inbound ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class UserText:
    """A patient's words, typed or recognised."""

    session_id: str | None
    text: str
    lang: Lang | None = None
    channel: Channel = "web"
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Dtmf:
    session_id: str
    digit: str


@dataclass(frozen=True)
class Interrupt:
    """The patient spoke over the assistant (barge-in): stop speaking now."""

    session_id: str


@dataclass(frozen=True)
class Hangup:
    session_id: str


# ---- dialogue (tracker) events: rasa-sdk compatible ---------------------------------------------
@dataclass(frozen=True)
class UserUttered:
    text: str
    intent: str
    confidence: float
    entities: list[dict[str, Any]] = field(default_factory=list)
    lang: str = "zh"
    kind: str = "user"


@dataclass(frozen=True)
class BotUttered:
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    kind: str = "bot"


@dataclass(frozen=True)
class SlotSet:
    name: str
    value: Any
    kind: str = "slot"


@dataclass(frozen=True)
class ActiveLoop:
    name: str | None
    kind: str = "active_loop"


@dataclass(frozen=True)
class FollowupAction:
    name: str
    kind: str = "followup"


@dataclass(frozen=True)
class ActionExecuted:
    name: str
    kind: str = "action"


@dataclass(frozen=True)
class Restarted:
    kind: str = "restart"


@dataclass(frozen=True)
class ConversationPaused:
    """Staff took the conversation over: the assistant stays quiet."""

    by: str | None = None
    kind: str = "pause"


@dataclass(frozen=True)
class ConversationResumed:
    kind: str = "resume"


DialogueEvent = (
    UserUttered | BotUttered | SlotSet | ActiveLoop | FollowupAction | ActionExecuted | Restarted
    | ConversationPaused | ConversationResumed
)


def from_rasa(event: dict[str, Any]) -> DialogueEvent | None:
    """Turn a rasa-sdk event dict (what an Action returns) into a typed event; None if unknown."""
    kind = event.get("event")
    if kind == "slot":
        return SlotSet(event["name"], event.get("value"))
    if kind == "active_loop":
        return ActiveLoop(event.get("name"))
    if kind == "followup":
        return FollowupAction(event["name"])
    if kind == "restart":
        return Restarted()
    if kind == "bot":
        return BotUttered(event.get("text") or "", event.get("data") or {})
    if kind == "pause":
        return ConversationPaused()
    if kind == "resume":
        return ConversationResumed()
    if kind == "action":
        return ActionExecuted(event.get("name") or "")
    return None


def to_rasa(event: DialogueEvent) -> dict[str, Any]:
    """The rasa-sdk dict form of a typed event (what a rasa_sdk.Tracker holds)."""
    if isinstance(event, UserUttered):
        return {
            "event": "user",
            "text": event.text,
            "parse_data": {
                "intent": {"name": event.intent, "confidence": event.confidence},
                "entities": event.entities,
            },
            "metadata": {"lang": event.lang},
        }
    if isinstance(event, BotUttered):
        return {"event": "bot", "text": event.text, "data": event.data}
    if isinstance(event, SlotSet):
        return {"event": "slot", "name": event.name, "value": event.value}
    if isinstance(event, ActiveLoop):
        return {"event": "active_loop", "name": event.name}
    if isinstance(event, FollowupAction):
        return {"event": "followup", "name": event.name}
    if isinstance(event, ActionExecuted):
        return {"event": "action", "name": event.name}
    if isinstance(event, Restarted):
        return {"event": "restart"}
    if isinstance(event, ConversationPaused):
        return {"event": "pause"}
    return {"event": "resume"}


def event_to_json(event: DialogueEvent) -> dict[str, Any]:
    return asdict(event)


_KINDS: dict[str, type] = {
    "user": UserUttered,
    "bot": BotUttered,
    "slot": SlotSet,
    "active_loop": ActiveLoop,
    "followup": FollowupAction,
    "action": ActionExecuted,
    "restart": Restarted,
    "pause": ConversationPaused,
    "resume": ConversationResumed,
}


def event_from_json(data: dict[str, Any]) -> DialogueEvent:
    cls = _KINDS[data["kind"]]
    return cls(**data)


# ---- outbound ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReplyDelta:
    session_id: str
    text: str


@dataclass(frozen=True)
class TranscriptPartial:
    session_id: str
    text: str


@dataclass(frozen=True)
class TranscriptFinal:
    session_id: str
    text: str


@dataclass(frozen=True)
class SpeechAudio:
    session_id: str
    pcm: bytes
    sample_rate: int
