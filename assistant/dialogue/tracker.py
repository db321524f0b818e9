"""Builds the rasa-sdk Tracker snapshot an action reads from our TrackerState."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from assistant.events import to_rasa
from assistant.session.state import TrackerState


def latest_message(
    text: str,
    intent: str,
    confidence: float,
    entities: list[dict[str, Any]],
    *,
    lang: str,
    channel: str,
    session_id: str,
    now_iso: str,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    meta = {"lang": lang, "channel": channel, "session_id": session_id, "now": now_iso}
    if extra:
        meta.update(extra)
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities,
        "metadata": meta,
    }


def build_tracker(state: TrackerState, message: dict[str, Any]) -> Tracker:
    return Tracker(
        sender_id=state.session_id,
        slots=dict(state.slots),
        latest_message=message,
        events=[to_rasa(e) for e in state.events],
        paused=state.paused,
        followup_action=None,
        active_loop={"name": state.active_loop} if state.active_loop else {},
        latest_action_name=None,
    )
