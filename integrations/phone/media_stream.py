"""Twilio-style media-stream WebSocket (``WS /integrations/phone/media-stream``), wire ↔ call events.

Inbound JSON events: ``connected``, ``start`` (streamSid, callSid, mediaFormat), ``media`` (base64
μ-law 8 kHz), ``dtmf``, ``mark`` (our marks played back), ``stop``. Outbound: ``media`` with our
speech, a ``mark`` after each sentence, and ``clear`` when the caller speaks over us. Closing the
socket hands the call back to the provider's call flow (e.g. a ``<Dial>`` to staff after handover).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
from typing import Any

import numpy as np
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from asr.audio import mulaw_encode
from asr.runtime import get_runtime
from integrations.phone.call import CallSession

log = logging.getLogger(__name__)
router = APIRouter(tags=["phone"])


class MediaStreamWire:
    def __init__(self, ws: WebSocket, stream_sid: str, rate: int = 8000, mulaw: bool = True) -> None:
        self.ws, self.stream_sid, self.rate, self.mulaw = ws, stream_sid, rate, mulaw
        self.closed = False
        self.end_reason: str | None = None
        self.marks_sent: list[str] = []

    async def _send(self, obj: dict[str, Any]) -> None:
        if not self.closed:
            await self.ws.send_text(json.dumps(obj))

    async def send_audio(self, pcm16: bytes) -> None:
        body = mulaw_encode(np.frombuffer(pcm16[: len(pcm16) // 2 * 2], dtype="<i2")) if self.mulaw else pcm16
        await self._send({"event": "media", "streamSid": self.stream_sid,
                          "media": {"payload": base64.b64encode(body).decode("ascii")}})

    async def mark(self, name: str) -> None:
        self.marks_sent.append(name)
        await self._send({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})

    async def clear_audio(self) -> None:
        await self._send({"event": "clear", "streamSid": self.stream_sid})

    async def end_call(self, reason: str) -> None:
        if self.closed:
            return
        self.end_reason = reason
        self.closed = True
        with contextlib.suppress(Exception):
            await self.ws.close(code=1000, reason=reason)


@router.websocket("/integrations/phone/media-stream")
async def media_stream(ws: WebSocket) -> None:
    await ws.accept()
    call: CallSession | None = None
    wire: MediaStreamWire | None = None
    try:
        while True:
            raw = await ws.receive()
            if raw.get("type") == "websocket.disconnect":
                break
            try:
                msg = json.loads(raw.get("text") or "")
            except json.JSONDecodeError:
                continue  # not ours: ignore, as a serializer returns nothing for what it does not handle
            if not isinstance(msg, dict):
                continue
            event = msg.get("event")
            if event == "start" and call is None:
                start = msg.get("start") or {}
                fmt = start.get("mediaFormat") or {}
                mulaw = fmt.get("encoding", "audio/x-mulaw") in ("audio/x-mulaw", "audio/mulaw", "mulaw")
                rate = int(fmt.get("sampleRate") or 8000)
                sid = str(msg.get("streamSid") or start.get("streamSid") or "")
                wire = MediaStreamWire(ws, sid, rate, mulaw)
                call = CallSession(
                    ws.app.state.engine, get_runtime(ws.app.state), wire,
                    call_id=str(start.get("callSid") or sid), encoding="mulaw" if mulaw else "pcm_s16le",
                    **getattr(ws.app.state, "phone_call_options", {}),
                )
                await call.start()
            elif event == "media" and call is not None:
                media = msg.get("media") or {}
                if media.get("track", "inbound") not in ("inbound", "inbound_track"):
                    continue
                try:
                    call.on_audio(base64.b64decode(media.get("payload") or "", validate=True))
                except (binascii.Error, ValueError):
                    continue
            elif event == "dtmf" and call is not None:
                digit = str((msg.get("dtmf") or {}).get("digit") or "")[:1]
                if digit:
                    call.on_dtmf(digit)
            elif event == "stop":
                break
            if wire is not None and wire.closed:
                break
    except WebSocketDisconnect:
        pass
    except RuntimeError as exc:
        log.info("media stream closed", extra={"reason": str(exc)[:80]})
    finally:
        if call is not None:
            await call.hangup()
            finished = getattr(ws.app.state, "phone_calls", None)
            if isinstance(finished, list):
                finished.append(call)
        if wire is not None:
            wire.closed = True
        with contextlib.suppress(Exception):
            await ws.close()
