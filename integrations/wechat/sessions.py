"""Each WeChat user (OpenID) has one open conversation (``conversations.external_user = "wechat:<openid>"``);
once a booking confirms who they are, the conversation also records the patient id."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, update

from assistant.store.models import Conversation

log = logging.getLogger(__name__)

PREFIX = "wechat:"


def external_user(openid: str) -> str:
    return PREFIX + openid


async def find_session(db: Any, openid: str) -> str | None:
    """The newest conversation of this user that is not closed."""
    async with db.session() as s:
        row = await s.scalar(
            select(Conversation.id)
            .where(Conversation.external_user == external_user(openid), Conversation.status != "closed")
            .order_by(Conversation.updated_at.desc(), Conversation.created_at.desc())
            .limit(1)
        )
    return row


async def session_for(engine: Any, bus: Any, openid: str, lang: str = "zh") -> str:
    """The user's conversation, created on first contact (under a per-user lock so two first
    messages arriving together share one conversation)."""
    sid = await find_session(engine.services.db, openid)
    if sid:
        return sid
    async with bus.lock(f"wechat-user:{openid}"):
        sid = await find_session(engine.services.db, openid)
        if sid:
            return sid
        sid = await engine.open_session(None, channel="wechat", lang=lang, external_user=external_user(openid))
        log.info("wechat user mapped to a new conversation", extra={"session": sid})
        return sid


async def link_patient_from_reply(db: Any, session_id: str, appointment: dict[str, Any] | None) -> str | None:
    """After a confirmed booking, store the appointment's patient on the conversation; returns the id."""
    if not appointment or appointment.get("status") != "confirmed" or not appointment.get("appointment_id"):
        return None
    try:
        from assistant.store.booking_tables import AppointmentRow
    except ImportError:  # booking not installed: nothing to link
        return None
    async with db.session() as s:
        patient_id = await s.scalar(
            select(AppointmentRow.patient_id).where(AppointmentRow.id == str(appointment["appointment_id"]))
        )
        if not patient_id:
            return None
        await s.execute(update(Conversation).where(Conversation.id == session_id).values(patient_id=patient_id))
        await s.commit()
    log.info("wechat conversation linked to a patient", extra={"session": session_id})
    return str(patient_id)


async def patient_of(db: Any, openid: str) -> str | None:
    """The patient id recorded on any of this user's conversations (newest first)."""
    async with db.session() as s:
        return await s.scalar(
            select(Conversation.patient_id)
            .where(Conversation.external_user == external_user(openid), Conversation.patient_id.is_not(None))
            .order_by(Conversation.updated_at.desc())
            .limit(1)
        )
