"""``WS /api/v1/staff/live``: the console's live feed — new and changed escalations, and the new turns
of the conversation the staff member has open.

Authenticate with ``?token=`` or a first message ``{"type": "auth", "token"}``; a bad, expired or
deactivated token closes the socket with code 4401. Then the client may send
``{"type": "watch", "session_id", "after_seq"}`` (only for a conversation it opened through the
audited REST call), ``{"type": "unwatch"}`` and ``{"type": "ping"}``. The server sends ``hello``,
``escalation`` / ``escalation_update`` (``{"escalation": <queue entry>}``), ``turn``
(``{"session_id", "turn": <masked turn>}``), ``session_event`` (hand-back, close, notices) and ``error``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import select

from assistant.session.bus import TOPIC_ESCALATIONS, MemoryBus, session_topic
from assistant.staff.auth import StaffAccounts, StaffIdentity, TokenError
from assistant.staff.queue import Queue, turn_view
from assistant.store.models import AuditLog, Turn, utcnow

log = logging.getLogger(__name__)
router = APIRouter()

CLOSE_UNAUTHORIZED = 4401
AUTH_WAIT_S = 10.0
OPENED_WITHIN = timedelta(hours=12)
_SESSION_EVENTS = {"handback", "closed", "notice"}


async def _authenticate(ws: WebSocket) -> StaffIdentity | None:
    token = ws.query_params.get("token")
    if not token:
        try:
            first = json.loads(await asyncio.wait_for(ws.receive_text(), AUTH_WAIT_S))
            token = first.get("token") if isinstance(first, dict) and first.get("type") == "auth" else None
        except (TimeoutError, ValueError, KeyError, WebSocketDisconnect):
            token = None
    if not token:
        return None
    try:
        ident = ws.app.state.token_signer.verify(token)
    except TokenError:
        return None
    services = ws.app.state.services
    user = await StaffAccounts(services.db, services.clock).get(ident.username)
    if user is None or not user.active:
        return None
    return StaffIdentity(username=user.username, role=user.role, expires_at=ident.expires_at)


async def _primed(bus: Any, topic: str) -> AsyncIterator[dict[str, Any]]:
    """Subscribe now (not at first iteration), so nothing published after this returns is missed."""
    agen = bus.subscribe(topic)
    first = asyncio.ensure_future(agen.__anext__())
    for _ in range(3):
        await asyncio.sleep(0)
    if not isinstance(bus, MemoryBus):
        await asyncio.sleep(0.2)  # a Redis SUBSCRIBE round trip

    async def rest() -> AsyncIterator[dict[str, Any]]:
        try:
            yield await first
            async for item in agen:
                yield item
        finally:
            first.cancel()
            with contextlib.suppress(BaseException):
                await agen.aclose()

    return rest()


@router.websocket("/api/v1/staff/live")
async def live(ws: WebSocket) -> None:
    await ws.accept()
    staff = await _authenticate(ws)
    if staff is None:
        await ws.close(code=CLOSE_UNAUTHORIZED, reason="a valid staff token is required")
        return
    services = ws.app.state.services
    bus = services.bus
    queue = Queue(services.db, services.clock)
    send_lock = asyncio.Lock()
    tasks: list[asyncio.Task[None]] = []
    watch_task: asyncio.Task[None] | None = None

    async def send(obj: dict[str, Any]) -> None:
        async with send_lock:
            await ws.send_text(json.dumps(obj, ensure_ascii=False, default=str))

    async def pump_escalations(feed: AsyncIterator[dict[str, Any]]) -> None:
        async for event in feed:
            kind = event.get("type")
            if kind not in {"escalation", "escalation_update"} or not event.get("escalation_id"):
                continue
            item = await queue.get(str(event["escalation_id"]))
            if item is not None:
                await send({"type": kind, "escalation": item})

    async def new_turns(session_id: str, after: int) -> int:
        async with services.db.session() as s:
            rows = list(await s.scalars(
                select(Turn).where(Turn.conversation_id == session_id, Turn.seq > after).order_by(Turn.seq)
            ))
        for t in rows:
            await send({"type": "turn", "session_id": session_id, "turn": turn_view(t)})
            after = t.seq
        return after

    async def pump_session(session_id: str, feed: AsyncIterator[dict[str, Any]], after: int) -> None:
        after = await new_turns(session_id, after)  # anything stored between the transcript and now
        async for event in feed:
            kind = event.get("type")
            if kind in {"patient", "reply", "staff"}:
                after = await new_turns(session_id, after)
            elif kind in _SESSION_EVENTS:
                await send({"type": "session_event", "session_id": session_id, "event": {"type": kind, "text": event.get("text")}})

    async def opened(session_id: str) -> bool:
        async with services.db.session() as s:
            hit = await s.scalar(
                select(AuditLog.id).where(
                    AuditLog.actor == f"staff:{staff.username}", AuditLog.action == "conversation_opened",
                    AuditLog.target_id == session_id, AuditLog.at >= utcnow() - OPENED_WITHIN,
                ).limit(1)
            )
        return hit is not None

    async def expire() -> None:
        await asyncio.sleep(max(0.0, staff.expires_at - time.time()))
        with contextlib.suppress(Exception):
            await ws.close(code=CLOSE_UNAUTHORIZED, reason="token expired")

    try:
        tasks.append(asyncio.create_task(pump_escalations(await _primed(bus, TOPIC_ESCALATIONS))))
        tasks.append(asyncio.create_task(expire()))
        await send({"type": "hello", "username": staff.username, "role": staff.role})
        while True:
            frame = await ws.receive()
            if frame.get("type") == "websocket.disconnect":
                break
            try:
                msg = json.loads(frame.get("text") or "")
                if not isinstance(msg, dict):
                    raise ValueError
            except ValueError:
                await send({"type": "error", "error": {"code": "invalid_json", "message": "send JSON objects"}})
                continue
            kind = msg.get("type")
            if kind == "ping":
                await send({"type": "pong"})
            elif kind == "watch":
                session_id = str(msg.get("session_id") or "")
                if not session_id or not await opened(session_id):
                    await send({"type": "error", "error": {"code": "open_first",
                                "message": "open the conversation (with a reason) before watching it"}})
                    continue
                if watch_task:
                    watch_task.cancel()
                after = int(msg.get("after_seq") or 0)
                watch_task = asyncio.create_task(pump_session(session_id, await _primed(bus, session_topic(session_id)), after))
                await send({"type": "watching", "session_id": session_id})
            elif kind == "unwatch":
                if watch_task:
                    watch_task.cancel()
                    watch_task = None
            else:
                await send({"type": "error", "error": {"code": "unknown_type", "message": f"unknown message type {kind!r}"}})
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        for task in [*tasks, *([watch_task] if watch_task else [])]:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
