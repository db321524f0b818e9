"""``WS /ws/voice``: the web microphone. Translates the socket to speech-stream events and engine turns.

Client: ``{"type": "start", "sample_rate": 16000, "encoding": "pcm_s16le" | "mulaw", "lang": "zh",
"session_id"?: str, "tts"?: bool}``, binary audio, ``{"type": "stop"}``. Server: ``partial``,
``final``, ``reply`` (the chat reply fields), and with ``tts`` the reply's speech as binary PCM16
framed by ``speech_start`` / ``speech_end``. Speaking over the reply stops it (``barge_in``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from asr.runtime import get_runtime
from asr.stream import SpeechEventType, SpeechStream
from assistant.events import UserText

log = logging.getLogger(__name__)
router = APIRouter(tags=["voice"])


def _error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"code": code, "message": message}}


class VoiceSocket:
    """One browser connection: at most one speech stream at a time, replies in order, barge-in."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.engine = ws.app.state.engine
        self.runtime = get_runtime(ws.app.state)
        self.session_id: str | None = None
        self.lang = "zh"
        self.tts = False
        self.tts_rate = 16000
        self.stream: SpeechStream | None = None
        self.pump: asyncio.Task[None] | None = None
        self.speech: asyncio.Task[None] | None = None
        self.playing_until = 0.0  # when the client finishes playing the speech sent so far (monotonic)
        self._send_lock = asyncio.Lock()

    async def send(self, obj: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_text(json.dumps(obj, ensure_ascii=False))

    async def send_bytes(self, data: bytes) -> None:
        async with self._send_lock:
            await self.ws.send_bytes(data)

    # ---- client → server -------------------------------------------------------------------------
    async def on_start(self, msg: dict[str, Any]) -> None:
        if self.stream is not None:
            await self.finish_stream()
        try:
            rate = int(msg.get("sample_rate", 16000))
            encoding = str(msg.get("encoding", "pcm_s16le"))
            lang = str(msg.get("lang") or "zh")
            if lang not in ("zh", "en"):
                raise ValueError(f"unsupported lang {lang!r}: use zh or en")
            self.stream = await self.runtime.new_stream(sample_rate=rate, encoding=encoding, language=lang)
        except (TypeError, ValueError) as exc:
            await self.send(_error("bad_start", str(exc)))
            return
        self.lang = lang
        self.session_id = msg.get("session_id") or self.session_id
        self.tts = bool(msg.get("tts", False))
        self.tts_rate = int(msg.get("tts_sample_rate", 16000))
        self.pump = asyncio.create_task(self.pump_events(self.stream))
        await self.send({"type": "started", "sample_rate": rate, "encoding": encoding, "lang": lang})

    async def finish_stream(self) -> None:
        """``stop``: the utterance in progress is finished and answered before the stream closes."""
        stream, pump = self.stream, self.pump
        self.stream, self.pump = None, None
        if stream is None:
            return
        stream.end_input()
        if pump is not None:
            try:
                await asyncio.wait_for(pump, timeout=60)
            except TimeoutError:
                log.warning("voice stream did not finish in time; closing it")
                await stream.aclose()
        await self.send({"type": "stopped"})

    # ---- speech events → socket, turns → engine --------------------------------------------------
    async def pump_events(self, stream: SpeechStream) -> None:
        async for ev in stream:
            if ev.type is SpeechEventType.START_OF_SPEECH:
                await self.barge_in()
            elif ev.type is SpeechEventType.INTERIM:
                await self.send({"type": "partial", "text": ev.text})
            elif ev.type is SpeechEventType.FINAL:
                await self.send({"type": "final", "text": ev.text})
                await self.answer(ev.text)

    async def answer(self, text: str) -> None:
        from assistant.errors import AppError

        try:
            reply = await self.engine.handle(
                UserText(session_id=self.session_id, text=text, lang=self.lang, channel="voice"), on_delta=None
            )
        except AppError as exc:
            await self.send(_error(exc.code, exc.message))
            return
        self.session_id = reply.session_id
        await self.send({"type": "reply", **reply.model_dump(mode="json")})
        if self.tts and reply.reply:
            await self.barge_in(notify=False)
            self.speech = asyncio.create_task(self.speak(reply.reply))

    async def speak(self, text: str) -> None:
        speaker = await self.runtime.speaker()
        options = self.runtime.voice_options(phone=False, sample_rate=self.tts_rate)
        await self.send({"type": "speech_start", "sample_rate": options.sample_rate, "encoding": "pcm_s16le"})
        self.playing_until = time.monotonic()
        async for pcm in speaker.synthesize_stream(text, options):
            await self.send_bytes(pcm)
            # the client plays in real time: it is still speaking after the last frame was sent
            self.playing_until = max(self.playing_until, time.monotonic()) + len(pcm) / (2 * options.sample_rate)
        await self.send({"type": "speech_end"})

    async def barge_in(self, notify: bool = True) -> None:
        """Stop the assistant's voice: the synthesis if it still runs, and (``barge_in``) the client's
        playback if it still has audio to play (sending runs ahead of real-time playback)."""
        task, self.speech = self.speech, None
        still_playing = time.monotonic() < self.playing_until
        self.playing_until = 0.0
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            still_playing = True
        if still_playing and notify:
            await self.send({"type": "barge_in"})

    async def close(self) -> None:
        for task in (self.speech, self.pump):
            if task is not None and not task.done():
                task.cancel()
        if self.stream is not None:
            await self.stream.aclose()
        for task in (self.speech, self.pump):
            if task is not None:
                with contextlib.suppress(BaseException):
                    await task


@router.websocket("/ws/voice")
async def ws_voice(ws: WebSocket) -> None:
    await ws.accept()
    conn = VoiceSocket(ws)
    try:
        while True:
            raw = await ws.receive()
            if raw.get("type") == "websocket.disconnect":
                break
            if raw.get("bytes") is not None:
                if conn.stream is None:
                    await conn.send(_error("not_started", 'send {"type": "start", ...} before audio'))
                else:
                    conn.stream.push_audio(raw["bytes"])
                continue
            try:
                msg = json.loads(raw.get("text") or "")
                kind = msg.get("type") if isinstance(msg, dict) else None
            except json.JSONDecodeError:
                kind, msg = None, {}
            if kind == "start":
                await conn.on_start(msg)
            elif kind == "stop":
                await conn.finish_stream()
            else:
                await conn.send(_error("bad_message", 'expected {"type": "start"} or {"type": "stop"} or binary audio'))
    except WebSocketDisconnect:
        pass
    except RuntimeError as exc:  # sending on a socket the client already closed
        log.info("voice socket closed", extra={"reason": str(exc)[:80]})
    finally:
        await conn.close()
