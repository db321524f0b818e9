"""What staff do with an escalation: open it, reveal a number, assign, take over, message, hand back, close.

Each action is one transaction with its audit record. Ownership is enforced in the database with
conditional updates (``... WHERE status != 'taken_over'``), so two staff racing for one conversation
end with exactly one owner whatever the number of server processes. Patient-facing events go out on
the bus topic ``session:<id>`` (the chat socket forwards them) and, for channels such as WeChat, through
a registered sender ``async (session_id, text) -> None``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import select, update

from assistant.clock import Clock
from assistant.errors import AppError
from assistant.session.bus import TOPIC_ESCALATIONS, session_topic
from assistant.staff.auth import StaffIdentity
from assistant.staff.masking import reveal as reveal_number
from assistant.staff.queue import DISPOSITIONS
from assistant.store.db import Database
from assistant.store.models import Conversation, Escalation, StaffUser, Turn, utcnow
from assistant.store.repo import audit

log = logging.getLogger(__name__)

ChannelSender = Callable[[str, str], Awaitable[Any]]
MAX_STAFF_MESSAGE = 2000

_JOINED = {"zh": "人工客服已接入，接下来由工作人员为您服务。", "en": "A staff member has joined and will help you from here."}


def _actor(staff: StaffIdentity) -> str:
    return f"staff:{staff.username}"


def need_reason(reason: str | None) -> str:
    value = (reason or "").strip()
    if len(value) < 2:
        raise AppError("reason_required", "say why (a reason of at least 2 characters is required and audited)", 422)
    return value[:500]


class StaffDesk:
    def __init__(self, db: Database, bus: Any, clock: Clock, senders: Mapping[str, ChannelSender] | None = None) -> None:
        self.db = db
        self.bus = bus
        self.clock = clock
        self.senders = senders or {}

    # -- reading -------------------------------------------------------------------------------
    async def record_open(self, staff: StaffIdentity, session_id: str, reason: str | None) -> None:
        why = need_reason(reason)
        async with self.db.session() as s:
            if await s.get(Conversation, session_id) is None:
                raise AppError("not_found", f"no conversation {session_id!r}", 404)
            audit(s, actor=_actor(staff), action="conversation_opened", target_type="conversation", target_id=session_id, reason=why)
            await s.commit()

    async def reveal(self, staff: StaffIdentity, session_id: str, ref: str, reason: str | None) -> dict[str, str]:
        why = need_reason(reason)
        seq_s = ref.partition(":")[0]
        if not seq_s.isdigit():
            raise AppError("bad_ref", "ref looks like '<turn seq>:<index>'", 422)
        async with self.db.session() as s:
            turn = await s.scalar(select(Turn).where(Turn.conversation_id == session_id, Turn.seq == int(seq_s)))
            found = reveal_number(turn.text, ref) if turn is not None else None
            if found is None:
                raise AppError("not_found", f"no masked number {ref!r} in conversation {session_id!r}", 404)
            audit(
                s, actor=_actor(staff), action="number_revealed", target_type="conversation", target_id=session_id,
                reason=why, details={"ref": ref, "kind": found.kind, "masked": found.masked},
            )
            await s.commit()
        return {"ref": ref, "kind": found.kind, "value": found.value, "masked": found.masked}

    # -- queue actions -------------------------------------------------------------------------
    async def _escalation(self, escalation_id: str) -> Escalation:
        async with self.db.session() as s:
            e = await s.get(Escalation, escalation_id)
        if e is None:
            raise AppError("not_found", f"no escalation {escalation_id!r}", 404)
        return e

    async def assign(self, staff: StaffIdentity, escalation_id: str, to: str | None = None) -> None:
        assignee = to or staff.username
        async with self.db.session() as s:
            user = await s.scalar(select(StaffUser).where(StaffUser.username == assignee))
            if user is None or not user.active:
                raise AppError("unknown_staff", f"no active staff member {assignee!r}", 422)
            res = await s.execute(
                update(Escalation)
                .where(Escalation.id == escalation_id, Escalation.status.in_(("open", "assigned")))
                .values(status="assigned", assigned_to=assignee)
            )
            if res.rowcount != 1:  # type: ignore[attr-defined]
                await s.rollback()
                e = await self._escalation(escalation_id)
                raise AppError("conflict", f"escalation is {e.status}; it cannot be assigned now", 409)
            audit(s, actor=_actor(staff), action="escalation_assigned", target_type="escalation",
                  target_id=escalation_id, details={"to": assignee})
            await s.commit()
        await self._announce(escalation_id)

    async def takeover(self, staff: StaffIdentity, escalation_id: str) -> dict[str, Any]:
        e = await self._escalation(escalation_id)
        if e.status == "closed":
            raise AppError("conflict", "this escalation is already closed", 409)
        sid = e.conversation_id
        async with self.bus.lock(sid):  # let a turn in flight finish before staff own the conversation
            async with self.db.session() as s:
                # The write comes first: one row lock (PostgreSQL) or the write lock (SQLite) decides.
                res = await s.execute(
                    update(Conversation)
                    .where(Conversation.id == sid, Conversation.status != "taken_over")
                    .values(status="taken_over", taken_over_by=staff.username, updated_at=utcnow())
                )
                if res.rowcount != 1:  # type: ignore[attr-defined]
                    await s.rollback()
                    conv = await s.get(Conversation, sid)
                    owner = conv.taken_over_by if conv else None
                    if owner == staff.username:
                        return {"session_id": sid, "taken_over_by": owner, "already": True}
                    raise AppError("already_taken_over", f"{owner or 'another staff member'} has already taken over this conversation", 409)
                res = await s.execute(
                    update(Escalation)
                    .where(Escalation.id == escalation_id, Escalation.status != "closed")
                    .values(status="taken_over", assigned_to=staff.username)
                )
                if res.rowcount != 1:  # type: ignore[attr-defined]
                    await s.rollback()
                    raise AppError("conflict", "this escalation was closed meanwhile", 409)
                audit(s, actor=_actor(staff), action="conversation_taken_over", target_type="conversation",
                      target_id=sid, details={"escalation_id": escalation_id})
                lang = (await s.get(Conversation, sid)).lang  # type: ignore[union-attr]
                await s.commit()
        await self.bus.publish(session_topic(sid), {"type": "notice", "text": _JOINED.get(lang, _JOINED["zh"]), "event": "takeover"})
        await self._announce(escalation_id)
        return {"session_id": sid, "taken_over_by": staff.username, "already": False}

    async def _owned(self, staff: StaffIdentity, escalation_id: str) -> Escalation:
        """The escalation, refusing when its conversation is not taken over by this staff member."""
        e = await self._escalation(escalation_id)
        async with self.db.session() as s:
            conv = await s.get(Conversation, e.conversation_id)
        if conv is None or conv.status != "taken_over":
            raise AppError("not_taken_over", "take over the conversation first", 409)
        if conv.taken_over_by != staff.username:
            raise AppError("not_owner", f"{conv.taken_over_by} owns this conversation", 409)
        return e

    async def message(self, staff: StaffIdentity, escalation_id: str, text: str, display_name: str = "") -> dict[str, Any]:
        body = (text or "").replace("\x00", "").strip()
        if not body:
            raise AppError("empty_message", "text must not be empty", 422)
        if len(body) > MAX_STAFF_MESSAGE:
            raise AppError("message_too_long", f"text is longer than {MAX_STAFF_MESSAGE} characters", 413)
        e = await self._owned(staff, escalation_id)
        sid = e.conversation_id
        async with self.bus.lock(sid):  # same lock as the engine's turns: sequence numbers never clash
            async with self.db.session() as s:
                res = await s.execute(
                    update(Conversation)
                    .where(Conversation.id == sid, Conversation.status == "taken_over", Conversation.taken_over_by == staff.username)
                    .values(turn_count=Conversation.turn_count + 1, updated_at=utcnow())
                    .returning(Conversation.turn_count, Conversation.channel)
                )
                row = res.first()
                if row is None:
                    await s.rollback()
                    raise AppError("not_owner", "you no longer own this conversation", 409)
                seq, channel = int(row[0]), str(row[1])
                s.add(Turn(conversation_id=sid, seq=seq, role="staff", text=body, intent=None,
                           data={"from": staff.username, "escalation_id": escalation_id}))
                audit(s, actor=_actor(staff), action="staff_message", target_type="conversation", target_id=sid,
                      details={"seq": seq, "chars": len(body)})
                await s.commit()
        event = {"type": "staff", "text": body, "from": staff.username, "staff_name": display_name or None, "seq": seq}
        await self.bus.publish(session_topic(sid), event)
        delivered: dict[str, Any] = {"bus": True}
        sender = self.senders.get(channel)
        if sender is not None:
            try:
                await sender(sid, body)
                delivered[channel] = True
            except Exception as exc:  # noqa: BLE001 - the message is stored; staff see the failure
                log.warning("channel sender failed", extra={"channel": channel, "session": sid, "error": type(exc).__name__})
                delivered[channel] = False
                delivered["error"] = f"the {channel} channel did not accept the message ({type(exc).__name__}); it is stored"
        return {"seq": seq, "session_id": sid, "delivered": delivered}

    async def handback(self, staff: StaffIdentity, escalation_id: str) -> None:
        e = await self._owned(staff, escalation_id)
        sid = e.conversation_id
        async with self.bus.lock(sid):
            async with self.db.session() as s:
                res = await s.execute(
                    update(Conversation)
                    .where(Conversation.id == sid, Conversation.status == "taken_over", Conversation.taken_over_by == staff.username)
                    .values(status="active", taken_over_by=None, updated_at=utcnow())
                )
                if res.rowcount != 1:  # type: ignore[attr-defined]
                    await s.rollback()
                    raise AppError("not_owner", "you no longer own this conversation", 409)
                await s.execute(
                    update(Escalation).where(Escalation.id == escalation_id, Escalation.status == "taken_over")
                    .values(status="assigned")
                )
                audit(s, actor=_actor(staff), action="conversation_handed_back", target_type="conversation",
                      target_id=sid, details={"escalation_id": escalation_id})
                await s.commit()
        await self.bus.publish(session_topic(sid), {"type": "handback"})
        await self._announce(escalation_id)

    async def close(self, staff: StaffIdentity, escalation_id: str, disposition: str, note: str | None = None) -> None:
        if disposition not in DISPOSITIONS:
            raise AppError("bad_disposition", f"disposition must be one of {', '.join(DISPOSITIONS)}", 422)
        e = await self._escalation(escalation_id)
        sid = e.conversation_id
        async with self.bus.lock(sid):
            async with self.db.session() as s:
                res = await s.execute(
                    update(Escalation)
                    .where(Escalation.id == escalation_id, Escalation.status != "closed")
                    .values(status="closed", disposition=disposition, closed_at=utcnow(),
                            assigned_to=Escalation.assigned_to if e.assigned_to else staff.username)
                )
                if res.rowcount != 1:  # type: ignore[attr-defined]
                    await s.rollback()
                    raise AppError("conflict", "this escalation is already closed", 409)
                conv = await s.get(Conversation, sid)
                if conv is not None and conv.status == "taken_over" and conv.taken_over_by != staff.username:
                    owner = conv.taken_over_by
                    if staff.role != "admin":
                        await s.rollback()
                        raise AppError("not_owner", f"{owner} owns this conversation; they close it", 409)
                if conv is not None:
                    conv.status = "closed"
                    conv.taken_over_by = None
                    conv.updated_at = utcnow()
                audit(s, actor=_actor(staff), action="escalation_closed", target_type="escalation", target_id=escalation_id,
                      reason=(note or "").strip()[:500] or None, details={"disposition": disposition, "session_id": sid})
                await s.commit()
        await self.bus.publish(session_topic(sid), {"type": "closed", "disposition": disposition})
        await self._announce(escalation_id)

    async def _announce(self, escalation_id: str) -> None:
        """Tell every console that an entry changed (they re-read it)."""
        async with self.db.session() as s:
            e = await s.get(Escalation, escalation_id)
            conv = await s.get(Conversation, e.conversation_id) if e else None
        if e is None:
            return
        await self.bus.publish(
            TOPIC_ESCALATIONS,
            {"type": "escalation_update", "escalation_id": e.id, "session_id": e.conversation_id, "status": e.status,
             "assigned_to": e.assigned_to, "disposition": e.disposition,
             "taken_over_by": conv.taken_over_by if conv else None},
        )
