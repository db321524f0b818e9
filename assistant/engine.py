"""The engine: one patient turn through session, dialogue manager, reply guard and store.

Channel adapters call ``Engine.handle``; it owns conversation state, takes a per-session lock so
turns of one conversation never interleave, stores every turn, opens escalations and publishes
what happened on the bus for observers (staff console, transcripts).
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from assistant.api.schemas import ChatReply
from assistant.dialogue.dispatcher import stream_chunks
from assistant.dialogue.manager import DialogueManager
from assistant.dialogue.responses import text as response_text
from assistant.errors import AppError
from assistant.events import UserText
from assistant.nlu import detect_lang
from assistant.services.container import Services
from assistant.session.bus import TOPIC_ESCALATIONS, MemoryBus, session_topic
from assistant.session.state import TrackerState
from assistant.store import repo

log = logging.getLogger(__name__)

DeltaSink = Callable[[str], Awaitable[None]]


_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z]{2,}")


def _choose_lang(text: str, detected: str, state: TrackerState) -> str:
    """Keep the conversation's language unless the patient clearly writes in the other one."""
    if not state.events:
        return detected
    if _CJK.search(text):
        return "zh"
    if len(_WORD.findall(text)) >= 2:
        return "en"
    return state.lang or detected


class Engine:
    def __init__(self, services: Services, manager: DialogueManager, guard: Callable[..., Any]) -> None:
        self.services = services
        self.manager = manager
        self.guard = guard
        self._cache: OrderedDict[str, TrackerState] = OrderedDict()
        self._cache_ok = isinstance(services.bus, MemoryBus)

    # ------------------------------------------------------------------------------------------
    def validate(self, msg: UserText) -> str:
        text = (msg.text or "").replace("\x00", "").strip()
        if not text:
            raise AppError("empty_message", "text must not be empty", 422)
        if len(text) > self.services.settings.max_message_chars:
            raise AppError(
                "message_too_long",
                f"text is longer than {self.services.settings.max_message_chars} characters",
                413,
            )
        return text

    async def open_session(self, session_id: str | None, *, channel: str, lang: str, external_user: str | None = None) -> str:
        db = self.services.db
        if session_id:
            if session_id in self._cache or await repo.get_conversation(db, session_id) is not None:
                return session_id
            raise AppError("unknown_session", f"unknown session_id {session_id!r}; omit it to start a new conversation", 404)
        sid = repo.new_session_id()
        await repo.create_conversation(db, sid, channel=channel, lang=lang, external_user=external_user)
        return sid

    async def _load(self, session_id: str) -> tuple[TrackerState, str]:
        conv = await repo.get_conversation(self.services.db, session_id)
        if conv is None:
            raise AppError("unknown_session", f"unknown session_id {session_id!r}", 404)
        cached = self._cache.get(session_id) if self._cache_ok else None
        state = cached or TrackerState.from_json(conv.state or {}, session_id)
        state.channel = conv.channel
        return state, conv.status

    def _remember(self, state: TrackerState) -> None:
        if not self._cache_ok:
            return
        self._cache[state.session_id] = state
        self._cache.move_to_end(state.session_id)
        while len(self._cache) > 5000:
            self._cache.popitem(last=False)

    # ------------------------------------------------------------------------------------------
    async def handle(self, msg: UserText, on_delta: DeltaSink | None = None) -> ChatReply:
        text = self.validate(msg)
        detected = msg.lang or detect_lang(text)
        channel = msg.channel or "web"
        session_id = await self.open_session(msg.session_id, channel=channel, lang=detected)
        started = time.perf_counter()
        async with self.services.bus.lock(session_id):
            state, status = await self._load(session_id)
            lang = msg.lang or _choose_lang(text, detected, state)
            if status == "taken_over":
                return await self._while_taken_over(session_id, state, text, lang)
            now = self.services.clock.now()
            outcome = await self.manager.handle(state, text, lang=lang, channel=channel, now=now, metadata=msg.metadata)
            reply = outcome.reply
            guarded = self.guard(reply.text, lang, text)
            reply_text = getattr(guarded, "text", reply.text)
            data = {
                k: v
                for k, v in {
                    "triage": reply.triage,
                    "citations": reply.citations,
                    "report": reply.report,
                    "appointment": reply.appointment,
                    "payment": reply.payment,
                    "guard": list(getattr(guarded, "violations", []) or []),
                    "actions": outcome.actions_run,
                }.items()
                if v
            }
            escalation_id = await repo.record_turn(
                self.services.db,
                session_id,
                patient_text=text,
                patient_intent=outcome.intent,
                reply_text=reply_text,
                reply_data=data,
                state=state.to_json(),
                lang=lang,
                escalation=reply.escalate,
                channel=channel,
            )
            self._remember(state)
        chat = ChatReply(
            session_id=session_id,
            reply=reply_text,
            intent=outcome.intent,  # type: ignore[arg-type]
            triage=reply.triage,  # type: ignore[arg-type]
            citations=reply.citations,  # type: ignore[arg-type]
            report=reply.report,
            appointment=reply.appointment,
            payment=reply.payment,
            escalated=escalation_id is not None,
            escalation_id=escalation_id,
        )
        log.info(
            "turn",
            extra={
                "session": session_id,
                "intent": outcome.intent,
                "confidence": round(outcome.confidence, 3),
                "actions": ",".join(outcome.actions_run),
                "escalated": escalation_id is not None,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        bus = self.services.bus
        payload = chat.model_dump(mode="json")
        await bus.publish(session_topic(session_id), {"type": "reply", "patient_text": text, "reply": payload})
        if escalation_id:
            await bus.publish(
                TOPIC_ESCALATIONS,
                {"type": "escalation", "escalation_id": escalation_id, "session_id": session_id, **(reply.escalate or {})},
            )
        if on_delta is not None:
            for chunk in stream_chunks(reply_text):
                await on_delta(chunk)
        return chat

    async def _while_taken_over(self, session_id: str, state: TrackerState, text: str, lang: str) -> ChatReply:
        """Staff own the conversation: store the patient's words, forward them, and stay quiet."""
        await repo.record_turn(
            self.services.db,
            session_id,
            patient_text=text,
            patient_intent="human",
            reply_text=None,
            reply_data={},
            state=state.to_json(),
            lang=lang,
        )
        await self.services.bus.publish(session_topic(session_id), {"type": "patient", "text": text})
        return ChatReply(session_id=session_id, reply="", intent="human")

    def staff_active_text(self, lang: str) -> str:
        return response_text("utter_staff_active", lang)
