"""The escalation queue as staff see it: ordering by urgency, waiting time against target, and the
masked transcript with the sources the assistant used. Read-only; actions live in ``desk.py``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from assistant.clock import Clock
from assistant.safety.pii import mask_text
from assistant.staff.masking import mask_with_refs
from assistant.store.db import Database
from assistant.store.models import Conversation, Escalation, Turn
from assistant.store.repo import TARGET_MINUTES

REASONS = {
    "red_flag": ("危险信号", "red flag"),
    "critical_value": ("危急值", "critical lab value"),
    "patient_request": ("患者要求人工", "patient asked for a person"),
    "low_confidence": ("助手把握不足", "low confidence"),
    "repeated_misunderstanding": ("多次未理解", "repeated misunderstanding"),
    "payment_problem": ("缴费问题", "payment problem"),
    "crisis": ("心理危机", "crisis"),
}
DISPOSITIONS = ("handled", "referred_to_emergency", "booked", "no_action", "wrong_escalation")
ACTIVE_STATUSES = ("open", "assigned", "taken_over")
ORDERS = ("newest", "urgency")


def aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def escalation_view(e: Escalation, conv: Conversation | None, now: datetime) -> dict[str, Any]:
    """One queue entry (no clear identity or phone numbers)."""
    created = aware(e.created_at)
    target = aware(e.target_at)
    end = (aware(e.closed_at) if e.status == "closed" else None) or now
    zh, en = REASONS.get(e.reason, (e.reason, e.reason))
    return {
        "escalation_id": e.id,
        "session_id": e.conversation_id,
        "reason": e.reason,
        "reason_label": {"zh": zh, "en": en},
        "priority": e.priority,
        "status": e.status,
        "channel": e.channel,
        "summary": mask_text(e.summary),
        "assigned_to": e.assigned_to,
        "disposition": e.disposition,
        "created_at": created.isoformat() if created else None,
        "target_at": target.isoformat() if target else None,
        "closed_at": aware(e.closed_at).isoformat() if e.closed_at else None,  # type: ignore[union-attr]
        "target_minutes": TARGET_MINUTES.get(e.priority, 30),
        "waited_seconds": int((end - created).total_seconds()) if created else None,
        "overdue": bool(target and now > target and e.status != "closed"),
        "conversation_status": conv.status if conv else None,
        "taken_over_by": conv.taken_over_by if conv else None,
    }


def urgency_key(e: Escalation) -> tuple[int, int, float]:
    """Open work first, then priority (1 first), then the earliest target (longest overdue) first."""
    target = aware(e.target_at) or aware(e.created_at) or datetime.now(UTC)
    return (1 if e.status == "closed" else 0, e.priority, target.timestamp())


class Queue:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def list(self, *, statuses: list[str] | None = None, order: str = "newest", limit: int = 200) -> list[dict[str, Any]]:
        async with self.db.session() as s:
            q = select(Escalation, Conversation).join(Conversation, Conversation.id == Escalation.conversation_id, isouter=True)
            if statuses:
                q = q.where(Escalation.status.in_(statuses))
            if order == "urgency":
                # Active entries are few; sort them exactly in Python after a bounded fetch.
                q = q.order_by(Escalation.priority, Escalation.target_at).limit(max(limit * 5, 1000))
            else:
                q = q.order_by(Escalation.created_at.desc(), Escalation.id.desc()).limit(limit)
            rows = list((await s.execute(q)).all())
        if order == "urgency":
            rows.sort(key=lambda r: urgency_key(r[0]))
            rows = rows[:limit]
        now = self.clock.now()
        return [escalation_view(e, c, now) for e, c in rows]

    async def get(self, escalation_id: str) -> dict[str, Any] | None:
        async with self.db.session() as s:
            e = await s.get(Escalation, escalation_id)
            if e is None:
                return None
            conv = await s.get(Conversation, e.conversation_id)
        return escalation_view(e, conv, self.clock.now())

    async def transcript(self, session_id: str) -> dict[str, Any] | None:
        """The conversation so far, masked, with the sources behind each assistant turn."""
        async with self.db.session() as s:
            conv = await s.get(Conversation, session_id)
            if conv is None:
                return None
            turns = list(await s.scalars(select(Turn).where(Turn.conversation_id == session_id).order_by(Turn.seq)))
            escs = list(
                await s.scalars(select(Escalation).where(Escalation.conversation_id == session_id).order_by(Escalation.created_at))
            )
        now = self.clock.now()
        return {
            "session_id": conv.id,
            "channel": conv.channel,
            "lang": conv.lang,
            "status": conv.status,
            "taken_over_by": conv.taken_over_by,
            "created_at": aware(conv.created_at).isoformat() if conv.created_at else None,  # type: ignore[union-attr]
            "escalations": [escalation_view(e, conv, now) for e in escs],
            "turns": [turn_view(t) for t in turns],
        }


def turn_view(t: Turn) -> dict[str, Any]:
    text, numbers = mask_with_refs(t.text, t.seq)
    view: dict[str, Any] = {
        "seq": t.seq,
        "role": t.role,
        "text": text,
        "masked_numbers": numbers,
        "intent": t.intent,
        "at": aware(t.created_at).isoformat() if t.created_at else None,  # type: ignore[union-attr]
    }
    data = t.data or {}
    if t.role == "assistant":
        view["sources"] = {
            "citations": [
                {"doc_id": c.get("doc_id"), "title": c.get("title"), "snippet": mask_text(str(c.get("snippet", "")))}
                for c in data.get("citations") or []
                if isinstance(c, dict)
            ],
            "triage": data.get("triage"),
            "report": data.get("report"),
            "actions": data.get("actions") or [],
        }
    elif t.role == "staff":
        view["from"] = data.get("from")
    return view
