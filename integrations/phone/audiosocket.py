"""Asterisk AudioSocket over TCP: decodes the wire into call events and encodes speech back.

Each message is a kind byte, a 2-byte big-endian payload length and the payload. Kinds follow
docs.asterisk.org (Channel-Drivers/AudioSocket) and ``res_audiosocket``: 0x00 hangup, 0x01 UUID
(16 bytes), 0x03 DTMF (1 ASCII byte), 0x10 slin 8 kHz, 0x11 12 kHz, 0x12 16 kHz, 0x13 24 kHz,
0x14 32 kHz, 0x15 44.1 kHz, 0x16 48 kHz, 0x17 96 kHz, 0x18 192 kHz (all 16-bit LE mono), 0xff
error. (The first slin16 proposal, asterisk PR #1492, used 0x11 for 16 kHz; the merged code and the
current docs use 0x12.) The dialplan's ``AudioSocket()`` app always sends 0x10. To hand a caller to
staff we speak the handover line and send a hangup message; the dialplan continues to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import uuid
from dataclasses import dataclass
from typing import Any

from asr.runtime import VoiceRuntime
from integrations.phone.call import CallSession

log = logging.getLogger(__name__)

KIND_HANGUP = 0x00
KIND_UUID = 0x01
KIND_DTMF = 0x03
KIND_AUDIO = 0x10
KIND_ERROR = 0xFF
AUDIO_KIND_RATES: dict[int, int] = {
    0x10: 8000, 0x11: 12000, 0x12: 16000, 0x13: 24000, 0x14: 32000,
    0x15: 44100, 0x16: 48000, 0x17: 96000, 0x18: 192000,
}
RATE_AUDIO_KINDS = {rate: kind for kind, rate in AUDIO_KIND_RATES.items()}
MAX_PAYLOAD = 0xFFFF


@dataclass(frozen=True)
class Message:
    kind: int
    payload: bytes

    @property
    def sample_rate(self) -> int | None:
        return AUDIO_KIND_RATES.get(self.kind)


def encode(kind: int, payload: bytes = b"") -> bytes:
    if len(payload) > MAX_PAYLOAD:
        raise ValueError("AudioSocket payload longer than 65535 bytes")
    return struct.pack(">BH", kind, len(payload)) + payload


def encode_audio(pcm16: bytes, rate: int = 8000) -> bytes:
    return encode(RATE_AUDIO_KINDS.get(rate, KIND_AUDIO), pcm16)


def encode_uuid(call_id: str | uuid.UUID) -> bytes:
    return encode(KIND_UUID, uuid.UUID(str(call_id)).bytes)


async def read_message(reader: asyncio.StreamReader) -> Message | None:
    """The next message, or None when the peer closed the socket (also a hang-up)."""
    try:
        header = await reader.readexactly(3)
        kind, length = struct.unpack(">BH", header)
        payload = await reader.readexactly(length) if length else b""
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    return Message(kind, payload)


class AudioSocketWire:
    """The call's outbound side on one TCP connection."""

    def __init__(self, writer: asyncio.StreamWriter, rate: int) -> None:
        self.writer, self.rate = writer, rate
        self.closed = False
        self.end_reason: str | None = None
        self._lock = asyncio.Lock()

    async def send_audio(self, pcm16: bytes) -> None:
        if self.closed:
            return
        async with self._lock:
            self.writer.write(encode_audio(pcm16, self.rate))
            await self.writer.drain()

    async def clear_audio(self) -> None:
        """Nothing is buffered on Asterisk's side: stopping our sends is enough."""

    async def mark(self, name: str) -> None:
        """AudioSocket has no marks."""

    async def end_call(self, reason: str) -> None:
        if self.closed:
            return
        self.end_reason = reason
        async with self._lock:
            with contextlib.suppress(Exception):
                self.writer.write(encode(KIND_HANGUP))
                await self.writer.drain()
        self.closed = True
        with contextlib.suppress(Exception):
            self.writer.close()


class AudioSocketServer:
    """asyncio TCP server: one ``CallSession`` per Asterisk connection."""

    def __init__(self, engine: Any, runtime: VoiceRuntime, *, call_options: dict[str, Any] | None = None) -> None:
        self.engine, self.runtime = engine, runtime
        self.call_options = call_options or {}
        self.server: asyncio.base_events.Server | None = None
        self.calls: dict[str, CallSession] = {}
        self.finished: list[CallSession] = []

    async def start(self, host: str = "0.0.0.0", port: int = 0) -> int:  # noqa: S104 - Asterisk connects in
        self.server = await asyncio.start_server(self._handle, host, port)
        return self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for call in list(self.calls.values()):
            await call.close()
        if self.server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 5)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        call_id = f"as-{uuid.uuid4()}"
        call: CallSession | None = None
        wire: AudioSocketWire | None = None
        early_dtmf: list[str] = []
        try:
            while True:
                msg = await read_message(reader)
                if msg is None or msg.kind == KIND_HANGUP:
                    break
                if msg.kind == KIND_UUID and len(msg.payload) == 16:
                    call_id = str(uuid.UUID(bytes=msg.payload))
                elif msg.sample_rate is not None:
                    if call is None:
                        wire = AudioSocketWire(writer, msg.sample_rate)
                        call = CallSession(self.engine, self.runtime, wire, call_id=call_id, **self.call_options)
                        self.calls[call_id] = call
                        await call.start()
                        for d in early_dtmf:
                            call.on_dtmf(d)
                    call.on_audio(msg.payload)
                elif msg.kind == KIND_DTMF and msg.payload:
                    digit = msg.payload[:1].decode("ascii", "ignore")
                    call.on_dtmf(digit) if call else early_dtmf.append(digit)
                elif msg.kind == KIND_ERROR:
                    log.warning("AudioSocket error from Asterisk", extra={"call": call_id, "code": msg.payload.hex()})
                    break
                if wire is not None and wire.closed:
                    break  # we ended the call (handover, long silence)
        except Exception:  # noqa: BLE001 - one broken call must not stop the listener
            log.exception("AudioSocket call failed", extra={"call": call_id})
        finally:
            if call is not None:
                await call.hangup()
                self.calls.pop(call_id, None)
                self.finished.append(call)
                del self.finished[:-50]
            with contextlib.suppress(Exception):
                writer.close()
