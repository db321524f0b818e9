"""Between the wire and the engine: one inbound WeChat message → (at most) one engine turn → a passive
reply within the budget, or ``success`` now and a customer-service message when the answer is ready.

Retries of a message are answered from the first delivery's outcome, never by a second turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Awaitable
from typing import Any

from assistant.dialogue.responses import text as response_text
from assistant.errors import AppError
from assistant.events import UserText
from integrations.wechat import media, sessions
from integrations.wechat.client import WeChatClient, WeChatError
from integrations.wechat.inbox import DEFERRED, NONE, REPLIED, Inbox
from integrations.wechat.messages import WeChatMessage
from integrations.wechat.replies import MAX_REPLY_BYTES

log = logging.getLogger(__name__)

WINDOW_S = 48 * 3600  # customer-service messages only within 48 h of the user's last message
CS_PART_BYTES = 1800

# Menu buttons (their EventKey, or the button's Chinese name) → the words that start that conversation.
MENU_TEXT = {
    "BOOKING": "我要预约挂号",
    "预约挂号": "我要预约挂号",
    "REPORT": "我想查询和解读检查报告",
    "报告查询": "我想查询和解读检查报告",
    "TRIAGE": "我不知道该挂哪个科，请帮我智能导诊",
    "智能导诊": "我不知道该挂哪个科，请帮我智能导诊",
}

TEXTS = {
    "welcome_tail": "您也可以点下方菜单“预约挂号”“报告查询”“智能导诊”，或直接发送语音、化验单照片。",
    "voice_failed": "抱歉，没能听清这条语音。请直接打字告诉我您的情况，谢谢。",
    "photo_failed": "抱歉，这张照片里没有识别到化验结果。请拍一张清晰、端正、光线充足的化验单照片再发给我，或者把报告上的项目、结果和参考范围直接打字发过来。",
    "unsupported": "目前我能看懂文字、语音和化验单照片。请直接打字或发语音告诉我您需要什么。",
    "too_long": "您的消息太长了，请分几次发送，谢谢。",
    "busy": "抱歉，系统暂时繁忙，没能处理您的消息，请稍后再试；如需帮助可以说“转人工”。",
}


def user_tag(openid: str) -> str:
    """A short pseudonym of an OpenID for logs."""
    return hashlib.sha1(openid.encode("utf-8")).hexdigest()[:10]


def split_utf8(text: str, limit: int = CS_PART_BYTES) -> list[str]:
    """Split a long reply into parts of at most ``limit`` UTF-8 bytes, preferring line breaks."""
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line.encode("utf-8")) > limit:
            cut = line.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
            if current:
                parts.append(current)
                current = ""
            parts.append(cut)
            line = line[len(cut):]
        if len((current + line).encode("utf-8")) > limit:
            parts.append(current)
            current = ""
        current += line
    if current.strip():
        parts.append(current)
    return [p.strip() for p in parts if p.strip()]


class WeChatAdapter:
    def __init__(self, app_state: Any, inbox: Inbox, client: WeChatClient | None) -> None:
        self.state = app_state
        self.engine = app_state.engine
        self.services = app_state.services
        self.settings = self.services.settings
        self.inbox = inbox
        self.client = client
        self._tasks: set[asyncio.Task[Any]] = set()

    # ---- the five-second rule -----------------------------------------------------------------
    async def handle(self, msg: WeChatMessage, started: float | None = None) -> str | None:
        """The passive reply text for this delivery, or None for ``success``."""
        started = time.monotonic() if started is None else started
        budget = max(0.0, self.settings.wechat_reply_budget_s - (time.monotonic() - started))
        key = msg.dedup_key
        if not await self.inbox.claim(key):
            entry = await self.inbox.wait(key, budget)
            status = entry.status if entry else None
            log.info("wechat retry answered from the first delivery", extra={"kind": msg.kind, "status": status})
            return entry.text if entry is not None and entry.status == REPLIED else None
        await self.inbox.touch_user(msg.from_user, self.services.clock.now().timestamp())
        task = self._spawn(self._produce(msg))
        decided = False
        try:
            done, _ = await asyncio.wait({task}, timeout=budget)
            if task in done:
                text = task.result()
                if text and len(text.encode("utf-8")) > MAX_REPLY_BYTES and self.client is not None:
                    await self.inbox.finish(key, DEFERRED)
                    decided = True
                    self._spawn(self._deliver_later(msg, task))
                    return None
                await self.inbox.finish(key, REPLIED if text else NONE, text)
                decided = True
                return text
            await self.inbox.finish(key, DEFERRED)
            decided = True
            log.info("wechat reply deferred to customer service", extra={"kind": msg.kind, "budget_s": round(budget, 3)})
            self._spawn(self._deliver_later(msg, task))
            return None
        finally:
            if not decided:  # the request was cancelled mid-wait: still answer, later
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.inbox.finish(key, DEFERRED))
                self._spawn(self._deliver_later(msg, task))

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _deliver_later(self, msg: WeChatMessage, task: asyncio.Task[str | None]) -> None:
        try:
            text = await task
        except Exception:  # _produce handles its own errors; this is belt and braces
            log.exception("wechat deferred turn failed", extra={"kind": msg.kind})
            return
        if text:
            await self.push_text(msg.from_user, text)

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for background turns and deliveries (tests, shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self.client is not None:
            await self.client.close()
        await self.inbox.close()

    # ---- outgoing -----------------------------------------------------------------------------
    async def push_text(self, openid: str, text: str) -> bool:
        """Send a customer-service text message if the 48-hour window is open; False when skipped or failed."""
        tag = user_tag(openid)
        if self.client is None:
            log.warning("wechat customer-service message skipped: no PA_WECHAT_APPSECRET", extra={"user": tag})
            return False
        seen = await self.inbox.last_seen(openid)
        now = self.services.clock.now().timestamp()
        if seen is None or now - seen > WINDOW_S:
            log.warning("wechat customer-service message skipped: outside the 48-hour window", extra={"user": tag})
            return False
        try:
            for part in split_utf8(text):
                await self.client.send_text(openid, part)
        except WeChatError as e:
            log.warning("wechat customer-service message failed", extra={"user": tag, "error": str(e)})
            return False
        log.info("wechat customer-service message sent", extra={"user": tag})
        return True

    async def push_template(self, openid: str, template_id: str, data: dict[str, Any], url: str | None = None) -> bool:
        """Send a template message (no 48-hour window applies); False when it could not be sent.
        Build ``data`` with integrations.wechat.notices (appointment_confirmation, report_ready)."""
        tag = user_tag(openid)
        if self.client is None:
            log.warning("wechat template message skipped: no PA_WECHAT_APPSECRET", extra={"user": tag})
            return False
        try:
            await self.client.send_template(openid, template_id, data, url=url)
        except WeChatError as e:
            log.warning("wechat template message failed", extra={"user": tag, "error": str(e)})
            return False
        log.info("wechat template message sent", extra={"user": tag, "template": template_id})
        return True

    # ---- one message → one reply --------------------------------------------------------------
    async def _produce(self, msg: WeChatMessage) -> str | None:
        try:
            return await self._reply_for(msg)
        except Exception:  # never crash the callback; the patient gets an apology
            log.exception("wechat message handling failed", extra={"kind": msg.kind})
            return TEXTS["busy"]

    async def _reply_for(self, msg: WeChatMessage) -> str | None:
        if not msg.from_user:
            return None
        kind = msg.kind
        if kind == "text":
            return await self._turn(msg.from_user, msg.content or "")
        if kind == "voice":
            return await self._voice(msg)
        if kind == "image":
            return await self._image(msg)
        if kind == "event:subscribe":
            await sessions.session_for(self.engine, self.services.bus, msg.from_user)
            return response_text("utter_greet", "zh") + TEXTS["welcome_tail"]
        if kind == "event:click":
            canonical = MENU_TEXT.get((msg.event_key or "").strip()) or MENU_TEXT.get((msg.event_key or "").strip().upper())
            if canonical is None:
                log.info("wechat menu click with an unknown key", extra={"key": (msg.event_key or "")[:64]})
                return None
            return await self._turn(msg.from_user, canonical)
        if kind in ("event:unsubscribe", "event:view", "event:scan", "event:location"):
            log.info("wechat event", extra={"kind": kind, "user": user_tag(msg.from_user)})
            return None
        if kind in ("video", "shortvideo", "location", "link"):
            return TEXTS["unsupported"]
        log.info("wechat message of an unhandled type", extra={"kind": kind[:64]})
        return None

    async def _turn(self, openid: str, text: str) -> str | None:
        text = (text or "").strip()
        if not text:
            return None
        sid = await sessions.session_for(self.engine, self.services.bus, openid)
        try:
            reply = await self.engine.handle(UserText(sid, text, lang=None, channel="wechat"), on_delta=None)
        except AppError as e:
            if e.code == "message_too_long":
                return TEXTS["too_long"]
            if e.code == "empty_message":
                return None
            raise
        await sessions.link_patient_from_reply(self.services.db, sid, reply.appointment)
        return reply.reply or None  # empty while staff have taken the conversation over

    async def _voice(self, msg: WeChatMessage) -> str | None:
        text = (msg.recognition or "").strip()
        if not text:
            if self.client is None or not msg.media_id:
                return TEXTS["voice_failed"]
            try:
                audio = await self.client.get_media(msg.media_id)
                samples = await media.to_pcm16k(audio.content)
                text = await media.recognise(self.state, samples, self.settings.asr_language or "zh")
            except (WeChatError, media.MediaError) as e:
                log.warning("wechat voice not recognised", extra={"error": str(e), "format": msg.media_format})
                return TEXTS["voice_failed"]
        if not text:
            return TEXTS["voice_failed"]
        return await self._turn(msg.from_user, text)

    async def _image(self, msg: WeChatMessage) -> str | None:
        if self.client is None or not msg.media_id:
            return TEXTS["photo_failed"]
        from assistant.actions.report import reader_of

        try:
            photo = await self.client.get_media(msg.media_id)
            report_text, _parsed = await media.read_report_photo(reader_of(self.services), photo.content)
        except (WeChatError, media.MediaError) as e:
            log.warning("wechat photo not read", extra={"error": str(e)})
            return TEXTS["photo_failed"]
        if not report_text:
            return TEXTS["photo_failed"]
        limit = self.settings.max_message_chars
        return await self._turn(msg.from_user, report_text[:limit])
