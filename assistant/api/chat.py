"""The chat turn over HTTP (``POST /api/v1/chat``) and over a WebSocket (``WS /ws/chat``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from assistant.api.schemas import ChatReply, ChatRequest
from assistant.errors import AppError
from assistant.events import UserText
from assistant.session.bus import session_topic

log = logging.getLogger(__name__)
router = APIRouter(tags=["chat"])


@router.post("/api/v1/chat", response_model=ChatReply)
async def chat(body: ChatRequest, request: Request) -> ChatReply:
    engine = request.app.state.engine
    return await engine.handle(UserText(session_id=body.session_id, text=body.text, lang=body.lang, channel=body.channel or "web"))


def _error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"code": code, "message": message}}


@router.websocket("/ws/chat")
async def ws_chat(ws: WebSocket) -> None:
    await ws.accept()
    engine = ws.app.state.engine
    bus = ws.app.state.services.bus
    send_lock = asyncio.Lock()
    watcher: asyncio.Task[None] | None = None
    watched: str | None = None

    async def send(obj: dict[str, Any]) -> None:
        async with send_lock:
            await ws.send_text(json.dumps(obj, ensure_ascii=False))

    async def watch(session_id: str) -> None:
        """Forward staff messages (takeover) and system notices for this session to the patient."""
        async for event in bus.subscribe(session_topic(session_id)):
            if event.get("type") in {"staff", "handback", "closed", "notice", "payment"}:
                await send(event)

    try:
        while True:
            raw = await ws.receive()
            if raw.get("type") == "websocket.disconnect":
                break
            if raw.get("bytes") is not None:
                await send(_error("binary_not_supported", "send JSON text messages on /ws/chat"))
                continue
            try:
                data = json.loads(raw.get("text") or "")
                if not isinstance(data, dict):
                    raise ValueError("not an object")
                if data.get("type") == "resume":
                    # a page (re)connecting: watch its conversation for staff messages without a turn
                    sid = data.get("session_id")
                    if not isinstance(sid, str) or not sid:
                        await send(_error("invalid_request", "resume needs the session_id of an existing conversation"))
                        continue
                    try:
                        await engine.open_session(sid, channel="web", lang="zh")
                    except AppError as exc:
                        await send({"type": "error", **exc.body()})
                        continue
                    if sid != watched:
                        if watcher:
                            watcher.cancel()
                        watched = sid
                        watcher = asyncio.create_task(watch(sid))
                    await send({"type": "resumed", "session_id": sid})
                    continue
                req = ChatRequest.model_validate(data)
            except (ValueError, ValidationError) as exc:
                await send(_error("invalid_json", f"expected a JSON object like {{\"text\": \"...\"}}: {str(exc)[:200]}"))
                continue

            async def on_delta(chunk: str) -> None:
                await send({"type": "delta", "text": chunk})

            try:
                reply = await engine.handle(
                    UserText(session_id=req.session_id, text=req.text, lang=req.lang, channel=req.channel or "web"),
                    on_delta=on_delta,
                )
            except AppError as exc:
                await send({"type": "error", **exc.body()})
                continue
            await send({"type": "reply", **reply.model_dump(mode="json")})
            if reply.session_id != watched:
                if watcher:
                    watcher.cancel()
                watched = reply.session_id
                watcher = asyncio.create_task(watch(reply.session_id))
    except WebSocketDisconnect:
        pass
    except RuntimeError:
        # the client went away while we were sending: the turn is already stored
        pass
    finally:
        if watcher:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await watcher
