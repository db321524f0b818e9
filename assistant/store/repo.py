"""Small persistence functions for the core tables: conversations, turns, escalations, audit, seeding."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.hospital import HospitalData
from assistant.store.db import Database
from assistant.store.models import (
    AuditLog,
    Conversation,
    DepartmentRow,
    DoctorRow,
    Escalation,
    ScheduleRow,
    Turn,
    utcnow,
)

# Target response time per escalation priority (minutes): 1 = immediate.
TARGET_MINUTES = {1: 2, 2: 10, 3: 30, 4: 120}


def new_session_id() -> str:
    return "s-" + secrets.token_urlsafe(12)


def new_escalation_id() -> str:
    return "esc-" + secrets.token_urlsafe(9)


def audit(
    s: AsyncSession,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit record to the caller's transaction (committed with it)."""
    s.add(
        AuditLog(
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            reason=reason,
            details=details or {},
        )
    )


async def seed_hospital(db: Database, hospital: HospitalData) -> bool:
    """Load departments, doctors and schedules on first start. Returns True when it loaded them."""
    async with db.session() as s:
        count = await s.scalar(select(func.count()).select_from(DepartmentRow))
        if count:
            return False
        for d in hospital.departments.values():
            s.add(
                DepartmentRow(
                    dept_id=d.dept_id,
                    name_zh=d.name_zh,
                    name_en=d.name_en,
                    campus=d.campus,
                    building=d.building,
                    floor=d.floor,
                    min_age=d.min_age,
                    max_age=d.max_age,
                    description_zh=d.description_zh,
                    typical_symptoms_zh=";".join(d.typical_symptoms_zh),
                )
            )
        await s.flush()
        for doc in hospital.doctors.values():
            s.add(
                DoctorRow(
                    doctor_id=doc.doctor_id,
                    name=doc.name,
                    dept_id=doc.dept_id,
                    title=doc.title,
                    specialty_zh=doc.specialty_zh,
                    registration_fee_cny=doc.registration_fee_cny,
                )
            )
        await s.flush()
        for e in hospital.schedule:
            s.add(
                ScheduleRow(
                    doctor_id=e.doctor_id,
                    weekday=e.weekday,
                    session=e.session,
                    slot_minutes=e.slot_minutes,
                    capacity=e.capacity,
                )
            )
        audit(s, actor="system", action="seed_hospital", target_type="hospital", target_id=str(hospital.root.name))
        await s.commit()
        return True


async def get_conversation(db: Database, session_id: str) -> Conversation | None:
    async with db.session() as s:
        return await s.get(Conversation, session_id)


async def create_conversation(
    db: Database, session_id: str, *, channel: str, lang: str, external_user: str | None = None
) -> Conversation:
    async with db.writing(), db.session() as s:
        conv = Conversation(id=session_id, channel=channel, lang=lang, state={}, external_user=external_user)
        s.add(conv)
        await s.commit()
        return conv


async def record_turn(
    db: Database,
    session_id: str,
    *,
    patient_text: str | None,
    patient_intent: str | None,
    reply_text: str | None,
    reply_data: dict[str, Any],
    state: dict[str, Any],
    lang: str,
    escalation: dict[str, Any] | None = None,
    channel: str = "web",
) -> str | None:
    """Store the patient's turn, the reply, the new state and any escalation in one transaction.

    Returns the escalation id when one was opened.
    """
    escalation_id: str | None = None
    async with db.writing(), db.session() as s:
        conv = await s.get(Conversation, session_id, with_for_update=not db.is_sqlite)
        if conv is None:
            conv = Conversation(id=session_id, channel=channel, lang=lang, state={})
            s.add(conv)
            await s.flush()
        seq = conv.turn_count
        if patient_text is not None:
            seq += 1
            s.add(Turn(conversation_id=session_id, seq=seq, role="patient", text=patient_text, intent=patient_intent))
        if reply_text is not None:
            seq += 1
            s.add(Turn(conversation_id=session_id, seq=seq, role="assistant", text=reply_text, intent=patient_intent, data=reply_data))
        conv.turn_count = seq
        conv.state = state
        conv.lang = lang
        conv.updated_at = utcnow()
        if escalation is not None:
            priority = int(escalation.get("priority", 3))
            open_one = await s.scalar(
                select(Escalation)
                .where(Escalation.conversation_id == session_id, Escalation.status != "closed")
                .order_by(Escalation.created_at.desc())
                .limit(1)
            )
            if open_one is not None:
                # One queue item per conversation: a further reason raises its priority, not a new item.
                escalation_id = open_one.id
                reason = str(escalation.get("reason", "patient_request"))
                details = dict(open_one.details or {})
                details["further_reasons"] = [*details.get("further_reasons", []), reason]
                open_one.details = details
                if priority < open_one.priority:
                    open_one.priority = priority
                    open_one.target_at = open_one.created_at + timedelta(minutes=TARGET_MINUTES.get(priority, 30))
                    open_one.reason = reason
                    if escalation.get("summary"):
                        open_one.summary = str(escalation["summary"])
                audit(s, actor=f"patient:{session_id}", action="escalation_updated", target_type="escalation",
                      target_id=escalation_id, reason=reason)
                await s.commit()
                return escalation_id
            escalation_id = new_escalation_id()
            now = utcnow()
            s.add(
                Escalation(
                    id=escalation_id,
                    conversation_id=session_id,
                    reason=str(escalation.get("reason", "patient_request")),
                    priority=priority,
                    channel=conv.channel,
                    summary=str(escalation.get("summary", "")),
                    details={k: v for k, v in escalation.items() if k not in {"reason", "priority", "summary"}},
                    created_at=now,
                    target_at=now + timedelta(minutes=TARGET_MINUTES.get(priority, 30)),
                )
            )
            audit(
                s,
                actor=f"patient:{session_id}",
                action="escalation_opened",
                target_type="escalation",
                target_id=escalation_id,
                reason=str(escalation.get("reason")),
            )
        await s.commit()
    return escalation_id


async def list_turns(db: Database, session_id: str) -> list[Turn]:
    async with db.session() as s:
        rows = await s.scalars(select(Turn).where(Turn.conversation_id == session_id).order_by(Turn.seq))
        return list(rows)


async def list_escalations(db: Database, *, status: str | None = None, limit: int = 200) -> list[Escalation]:
    async with db.session() as s:
        q = select(Escalation).order_by(Escalation.created_at.desc(), Escalation.id.desc()).limit(limit)
        if status:
            q = q.where(Escalation.status == status)
        return list(await s.scalars(q))


async def add_audit(db: Database, **kwargs: Any) -> None:
    async with db.session() as s:
        audit(s, **kwargs)
        await s.commit()


def as_local_iso(dt: datetime) -> str:
    return dt.isoformat()
