"""One phone call's conversation, shared by every phone protocol: the adapters only move bytes.

Elderly callers: a slow, clear greeting; long pauses are waited through (a longer endpoint);
important items are read back; 再说一遍 repeats; silence gets a gentle reprompt; 转人工 or key 0
hands over to staff; speaking over the assistant stops its voice at once (barge-in).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from datetime import datetime
from typing import Any, Protocol

from asr.runtime import VoiceRuntime
from asr.stream import SpeechEventType, SpeechStream
from assistant.events import UserText

log = logging.getLogger(__name__)

GREETING = (
    "您好，这里是{hospital}智能助手。请您慢慢说，我会认真听。"
    "您可以说挂号、看化验单、问医保报销。需要人工服务，请随时按零，或者说转人工。"
)
REPROMPT = "您还在吗？不着急，请您慢慢说。需要人工服务，请按零。"
GOODBYE_SILENT = "好像听不到您的声音。感谢您的来电，如有需要请再打过来。再见。"
HANDOVER_TAIL = "正在为您转接人工服务，请稍等，不要挂机。"
REPEAT_RE = re.compile(r"再说一遍|再说一次|重复一[遍下次]|没听清|没听清楚|再讲一遍|你说什么")
# Includes what Whisper makes of 转人工 on a telephone line (转员工, 再员工).
HUMAN_RE = re.compile(r"[转再找接](人|员)工|人工服务|人工客服|真人|转接人")
_WEEKDAYS = "一二三四五六日"


class Wire(Protocol):
    """What a protocol adapter offers the call: play audio (PCM16 at ``rate``), clear it, end the call."""

    rate: int

    async def send_audio(self, pcm16: bytes) -> None: ...
    async def clear_audio(self) -> None: ...
    async def end_call(self, reason: str) -> None: ...
    async def mark(self, name: str) -> None: ...


def read_back(reply: Any) -> str:
    """A sentence repeating the important items of a reply (appointment, payment) for confirmation."""
    parts: list[str] = []
    appt = getattr(reply, "appointment", None) or {}
    if appt and appt.get("start"):
        try:
            start = datetime.fromisoformat(str(appt["start"]))
            when = f"{start.month}月{start.day}日，星期{_WEEKDAYS[start.weekday()]}，{start.hour}点"
            when += f"{start.minute}分" if start.minute else "整"
        except ValueError:
            when = str(appt["start"])
        status = {"held": "为您保留", "confirmed": "已经预约", "cancelled": "已经取消"}.get(appt.get("status", ""), "")
        parts.append(f"我再跟您核对一遍：{status}的是{when}。")
    pay = getattr(reply, "payment", None) or {}
    if pay and pay.get("cash_pays") is not None:
        parts.append(f"您需要自己支付{pay['cash_pays']}元。")
    if parts and appt.get("status") == "held":
        parts.append("对的话请说对，或者按一。")
    return "".join(parts)


class CallSession:
    """Drives one call: speech stream in, engine turns, paced speech out, timers for silence."""

    def __init__(
        self,
        engine: Any,
        runtime: VoiceRuntime,
        wire: Wire,
        *,
        call_id: str,
        encoding: str = "pcm_s16le",
        reprompt_after_s: float = 8.0,
        max_reprompts: int = 2,
        hospital_name: str = "滨江示例人民医院",
        greet: bool = True,
    ) -> None:
        self.engine, self.runtime, self.wire = engine, runtime, wire
        self.call_id, self.encoding = call_id, encoding
        self.reprompt_after_s, self.max_reprompts = reprompt_after_s, max_reprompts
        self.hospital_name, self.greet = hospital_name, greet
        self.session_id: str | None = None
        self.stream: SpeechStream | None = None
        self.last_spoken = ""
        self.transcript: list[tuple[str, str]] = []  # (who, text): patient / assistant
        self._speech: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._turns: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()
        self._last_activity = time.monotonic()
        self._reprompts = 0
        self._ended = False
        self.handed_over = False
        self.barge_ins = 0

    # ---- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        self.stream = await self.runtime.new_stream(
            sample_rate=self.wire.rate, encoding=self.encoding, language="zh", phone=True
        )
        self._tasks = [
            asyncio.create_task(self._pump(self.stream), name=f"call-{self.call_id}-asr"),
            asyncio.create_task(self._turn_loop(), name=f"call-{self.call_id}-turns"),
            asyncio.create_task(self._silence_watch(), name=f"call-{self.call_id}-silence"),
        ]
        if self.greet:
            self.say(GREETING.format(hospital=self.hospital_name))

    def on_audio(self, data: bytes) -> None:
        if self.stream is not None and not self._ended:
            self.stream.push_audio(data)

    def on_dtmf(self, digit: str) -> None:
        self._last_activity = time.monotonic()
        if digit == "0":
            self._turns.put_nowait(("dtmf", "转人工"))
        elif digit == "*":
            self._turns.put_nowait(("repeat", ""))
        elif digit.isdigit():
            self._turns.put_nowait(("dtmf", digit))

    async def hangup(self) -> None:
        """The caller hung up: finish what they said (it is recorded), speak nothing more, stop."""
        if self._ended:
            return
        self._ended = True
        await self._stop_speech()
        if self.stream is not None:
            self.stream.end_input()
        pump, turns = (self._tasks[0], self._tasks[1]) if self._tasks else (None, None)
        with contextlib.suppress(BaseException):
            if pump is not None:
                await asyncio.wait_for(asyncio.shield(pump), timeout=15)
        self._turns.put_nowait(None)
        with contextlib.suppress(BaseException):
            if turns is not None:
                await asyncio.wait_for(asyncio.shield(turns), timeout=30)
        await self.close()

    async def close(self) -> None:
        self._ended = True
        await self._stop_speech()
        for t in self._tasks:
            t.cancel()
        if self.stream is not None:
            await self.stream.aclose()
        for t in self._tasks:
            with contextlib.suppress(BaseException):
                await t

    # ---- speech in -------------------------------------------------------------------------------
    async def _pump(self, stream: SpeechStream) -> None:
        async for ev in stream:
            self._last_activity = time.monotonic()
            if ev.type is SpeechEventType.START_OF_SPEECH:
                if self.speaking:
                    self.barge_ins += 1
                    await self._stop_speech(clear=True)
            elif ev.type is SpeechEventType.FINAL:
                self._turns.put_nowait(("speech", ev.text))

    async def _turn_loop(self) -> None:
        while True:
            item = await self._turns.get()
            if item is None:
                return
            kind, text = item
            self._reprompts = 0
            if kind == "repeat" or (kind == "speech" and REPEAT_RE.search(text) and len(text) <= 12):
                if kind == "speech":
                    self.transcript.append(("patient", text))
                if not self._ended:
                    self.say(self.last_spoken or GREETING.format(hospital=self.hospital_name))
                continue
            if kind == "speech" and HUMAN_RE.search(text):
                self.transcript.append(("patient", text))
                text, kind = "转人工", "normalised"  # the engine gets the canonical request
            await self._engine_turn(text, dtmf=kind == "dtmf", record=kind != "normalised")

    async def _engine_turn(self, text: str, *, dtmf: bool, record: bool = True) -> None:
        from assistant.errors import AppError

        if record:
            self.transcript.append(("patient", text))
        msg = UserText(session_id=self.session_id, text=text, lang="zh", channel="phone",
                       metadata={"call_id": self.call_id, "dtmf": dtmf})
        # A turn in flight finishes even if the caller hangs up, so the conversation record is whole.
        task = asyncio.ensure_future(self.engine.handle(msg, on_delta=None))
        try:
            reply = await asyncio.shield(task)
        except AppError as exc:
            log.info("phone turn refused", extra={"code": exc.code})
            return
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - one failed turn must not drop the call
            log.exception("phone turn failed")
            if not self._ended:
                self.say("抱歉，系统有点问题。需要人工服务请按零。")
            return
        self.session_id = reply.session_id
        spoken = reply.reply
        extra = read_back(reply)
        human = HUMAN_RE.search(text) is not None or reply.escalated or reply.intent == "human"
        if human:
            self.handed_over = True
            spoken = f"{spoken}{HANDOVER_TAIL}" if HANDOVER_TAIL[:6] not in spoken else spoken
        elif extra:
            spoken = f"{spoken}{extra}"
        self.transcript.append(("assistant", spoken))
        if self._ended:
            return
        self.say(spoken, then_end="handover" if human else None)

    # ---- speech out ------------------------------------------------------------------------------
    @property
    def speaking(self) -> bool:
        return self._speech is not None and not self._speech.done()

    def say(self, text: str, then_end: str | None = None) -> None:
        if self._speech is not None and not self._speech.done():
            self._speech.cancel()
        self.last_spoken = text
        self._speech = asyncio.create_task(self._play(text, then_end))

    async def _play(self, text: str, then_end: str | None) -> None:
        speaker = await self.runtime.speaker()
        options = self.runtime.voice_options(phone=True, sample_rate=self.wire.rate)
        frame = self.wire.rate * 2 // 50  # 20 ms of PCM16
        lead = 0.12  # keep this much audio queued ahead on the far side
        t0 = time.monotonic()
        sent_s = 0.0
        n = 0
        async for pcm in speaker.synthesize_stream(text, options):
            n += 1
            for i in range(0, len(pcm), frame):
                ahead = sent_s - (time.monotonic() - t0)
                if ahead > lead:
                    await asyncio.sleep(ahead - lead)
                await self.wire.send_audio(pcm[i : i + frame])
                sent_s += len(pcm[i : i + frame]) / 2 / self.wire.rate
            await self.wire.mark(f"sentence-{n}")
            self._last_activity = time.monotonic()
        remaining = sent_s - (time.monotonic() - t0)
        if remaining > 0:
            await asyncio.sleep(remaining)
        self._last_activity = time.monotonic()
        if then_end and not self._ended:
            await self.wire.end_call(then_end)

    async def _stop_speech(self, clear: bool = False) -> None:
        task, self._speech = self._speech, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            if clear:
                with contextlib.suppress(Exception):
                    await self.wire.clear_audio()

    # ---- silence ---------------------------------------------------------------------------------
    async def _silence_watch(self) -> None:
        while not self._ended:
            await asyncio.sleep(0.5)
            busy = self.speaking or (self.stream is not None and self.stream.in_speech) or not self._turns.empty()
            if busy:
                self._last_activity = time.monotonic()
                continue
            if time.monotonic() - self._last_activity < self.reprompt_after_s:
                continue
            self._last_activity = time.monotonic()
            if self._reprompts < self.max_reprompts:
                self._reprompts += 1
                self.say(REPROMPT)
            else:
                self.say(GOODBYE_SILENT, then_end="silence")
                return

