"""Streaming recognition: VAD endpointing plus the shared batch recogniser, as livekit's StreamAdapter.

Audio goes in with ``push_audio`` / ``flush`` / ``end_input``; an async iterator yields
``SpeechEvent``s of a closed set of kinds. While the patient speaks, the growing utterance is
re-decoded every few hundred ms (skipped while a decode is running, so it never falls behind); when
a pause starts, a final decode is started speculatively so the final is ready soon after the
endpoint fires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass
from enum import Enum

import numpy as np

from asr.audio import ASR_RATE, Framer, InputDecoder
from asr.vad import FRAME_S, FRAME_SAMPLES, Endpointer, VadConfig, VadEvent
from asr.whisper import Recognizer, RecognizerBusy, Transcript

log = logging.getLogger(__name__)


class SpeechEventType(str, Enum):
    START_OF_SPEECH = "start_of_speech"
    INTERIM = "interim"
    END_OF_SPEECH = "end_of_speech"
    FINAL = "final"


@dataclass(frozen=True)
class SpeechEvent:
    type: SpeechEventType
    utterance: int
    text: str = ""
    audio_time_s: float = 0.0  # stream position (seconds of audio received) when it happened
    voice_end_s: float | None = None  # FINAL/END: stream position of the last voiced frame
    endpoint_wall: float | None = None  # FINAL: monotonic time the endpoint fired
    decode_s: float | None = None  # FINAL/INTERIM: decoder time


_END = object()
_FLUSH = object()


class SpeechStream:
    """One patient's audio stream → speech events. Decoding runs on the shared recogniser's threads."""

    def __init__(
        self,
        recognizer: Recognizer,
        *,
        sample_rate: int = ASR_RATE,
        encoding: str = "pcm_s16le",
        language: str | None = None,
        endpoint_silence_ms: int = 600,
        partial_interval_ms: int = 400,
        prompt: str | None = None,
        vad_config: VadConfig | None = None,
    ) -> None:
        self.recognizer = recognizer
        self.language, self.prompt = language, prompt
        self._decoder = InputDecoder(sample_rate, encoding)
        cfg = vad_config or VadConfig()
        cfg.end_silence_ms = endpoint_silence_ms
        self._vad = Endpointer(cfg)
        self._framer = Framer(FRAME_SAMPLES)
        self.partial_interval_s = partial_interval_ms / 1000.0
        self._in: asyncio.Queue[object] = asyncio.Queue()
        self._out: asyncio.Queue[SpeechEvent | None] = asyncio.Queue()
        self._pre: deque[np.ndarray] = deque(maxlen=max(1, int(cfg.pre_roll_ms / 1000 / FRAME_S)))
        self._utt: list[np.ndarray] = []
        self._utt_id = 0
        self._voiced = 0  # voiced frames in the current utterance
        self._last_voiced_idx = 0
        self._frames_total = 0
        self._last_partial_len = 0
        self._partial_task: asyncio.Task[None] | None = None
        self._spec: tuple[int, int, asyncio.Future[Transcript]] | None = None  # (utt, voiced, fut)
        self._finals: asyncio.Queue[object] = asyncio.Queue()
        self._input_ended = False
        self._closed = False
        self._runner = asyncio.create_task(self._run(), name="speech-stream")
        self._emitter = asyncio.create_task(self._emit_finals(), name="speech-finals")

    # ---- input -----------------------------------------------------------------------------------
    def push_audio(self, data: bytes | bytearray | memoryview) -> None:
        """Audio in the declared wire format (any chunk size, odd byte counts allowed)."""
        if self._input_ended or self._closed:
            return
        if len(data):
            self._in.put_nowait(bytes(data))

    def flush(self) -> None:
        """End the current utterance now: what was heard so far becomes a final."""
        if not (self._input_ended or self._closed):
            self._in.put_nowait(_FLUSH)

    def end_input(self) -> None:
        """No more audio: finish the utterance in progress, deliver its final, then end the iterator."""
        if not (self._input_ended or self._closed):
            self._input_ended = True
            self._in.put_nowait(_END)

    def set_endpoint_silence(self, ms: int) -> None:
        self._vad.set_end_silence(ms)

    @property
    def in_speech(self) -> bool:
        return self._vad.in_speech

    @property
    def audio_time_s(self) -> float:
        return self._frames_total * FRAME_S

    async def aclose(self) -> None:
        """Stop at once (hang-up): pending decodes are abandoned, the iterator ends."""
        if self._closed:
            return
        self._closed = True
        for task in (self._runner, self._emitter, self._partial_task):
            if task and not task.done():
                task.cancel()
        for task in (self._runner, self._emitter, self._partial_task):
            if task:
                with contextlib.suppress(BaseException):
                    await task
        self._out.put_nowait(None)

    # ---- output ----------------------------------------------------------------------------------
    def __aiter__(self) -> SpeechStream:
        return self

    async def __anext__(self) -> SpeechEvent:
        ev = await self._out.get()
        if ev is None:
            self._out.put_nowait(None)  # stay ended for later readers
            raise StopAsyncIteration
        return ev

    def _emit(self, ev: SpeechEvent) -> None:
        self._out.put_nowait(ev)

    # ---- processing ------------------------------------------------------------------------------
    async def _run(self) -> None:
        pending: object | None = None
        try:
            while True:
                item = pending if pending is not None else await self._in.get()
                pending = None
                if item is _END:
                    frames = self._framer.push(self._decoder.flush())
                    last = self._framer.flush()
                    if last is not None:
                        frames.append(last)
                    await self._process_frames(frames)
                    if self._vad.in_speech:
                        self._vad.reset()
                        self._end_utterance()
                    break
                if item is _FLUSH:
                    if self._vad.in_speech:
                        self._vad.reset()
                        self._end_utterance()
                    continue
                chunk = [item]
                while not self._in.empty() and len(chunk) < 64:  # coalesce a backlog (faster than real time)
                    nxt = self._in.get_nowait()
                    if not isinstance(nxt, bytes):
                        pending = nxt
                        break
                    chunk.append(nxt)
                await self._process_frames(self._framer.push(self._decode(chunk)))  # type: ignore[arg-type]
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a broken stream must not take the session down
            log.exception("speech stream failed")
        finally:
            self._finals.put_nowait(_END)

    def _decode(self, chunks: list[bytes]) -> np.ndarray:
        return self._decoder.decode(b"".join(chunks)) if len(chunks) > 1 else self._decoder.decode(chunks[0])

    async def _process_frames(self, frames: list[np.ndarray]) -> None:
        if not frames:
            return
        events = await asyncio.to_thread(lambda: [self._vad.process(f) for f in frames])
        for frame, ev in zip(frames, events, strict=True):
            self._frames_total += 1
            self._on_frame(frame, ev)
        self._maybe_partial()

    def _on_frame(self, frame: np.ndarray, ev: VadEvent) -> None:
        if ev is VadEvent.SILENCE:
            self._pre.append(frame)
            return
        if ev is VadEvent.SPEECH_START:
            self._utt_id += 1
            self._utt = list(self._pre) + [frame]
            self._pre.clear()
            self._voiced = int(self._vad.config.min_speech_ms / 1000 / FRAME_S) or 1
            self._last_voiced_idx = len(self._utt)
            self._last_partial_len = 0
            self._spec = None
            self._emit(SpeechEvent(SpeechEventType.START_OF_SPEECH, self._utt_id, audio_time_s=self.audio_time_s))
            return
        self._utt.append(frame)
        if ev is VadEvent.SPEECH_CONTINUE:
            self._voiced += 1
            self._last_voiced_idx = len(self._utt)
            if self._spec is not None:  # the patient went on talking: the speculative final is stale
                self._spec[2].cancel()
                self._spec = None
        elif ev is VadEvent.PAUSE:
            self._maybe_speculate()
        elif ev is VadEvent.SPEECH_END:
            self._end_utterance()

    def _voiced_audio(self) -> np.ndarray:
        keep = self._last_voiced_idx + int(0.2 / FRAME_S)
        return np.concatenate(self._utt[:keep]) if self._utt else np.zeros(0, np.float32)

    def _maybe_speculate(self) -> None:
        end_ms = self._vad.config.end_silence_ms
        if self._spec is None and self._vad.silence_ms >= max(96.0, end_ms - 700.0):
            fut = asyncio.ensure_future(
                self.recognizer.transcribe(self._voiced_audio(), final=True, language=self.language, prompt=self.prompt)
            )
            self._spec = (self._utt_id, self._voiced, fut)

    def _end_utterance(self) -> None:
        endpoint_wall = time.monotonic()
        voice_end = (self._frames_total - (len(self._utt) - self._last_voiced_idx)) * FRAME_S
        spec = self._spec
        if spec is not None and spec[0] == self._utt_id and spec[1] == self._voiced and not spec[2].cancelled():
            fut = spec[2]
        else:
            if spec is not None:
                spec[2].cancel()
            fut = asyncio.ensure_future(
                self.recognizer.transcribe(self._voiced_audio(), final=True, language=self.language, prompt=self.prompt)
            )
        self._spec = None
        self._emit(SpeechEvent(SpeechEventType.END_OF_SPEECH, self._utt_id, audio_time_s=self.audio_time_s,
                               voice_end_s=voice_end))
        self._finals.put_nowait((self._utt_id, fut, endpoint_wall, voice_end, self.audio_time_s))
        self._utt, self._voiced, self._last_voiced_idx = [], 0, 0
        self._last_partial_len = 0

    def _maybe_partial(self) -> None:
        if not self._vad.in_speech or self._spec is not None or self._vad.silence_ms > 0:
            return  # only while the patient is actually speaking
        if self._partial_task is not None and not self._partial_task.done():
            return  # the previous partial is still decoding: skip, never fall behind
        if (len(self._utt) - self._last_partial_len) * FRAME_S < self.partial_interval_s:
            return
        if self.recognizer.busy:
            return
        self._last_partial_len = len(self._utt)
        audio = np.concatenate(self._utt)
        self._partial_task = asyncio.create_task(self._partial(self._utt_id, audio))

    async def _partial(self, utt: int, audio: np.ndarray) -> None:
        try:
            tr = await self.recognizer.transcribe(audio, final=False, language=self.language, prompt=self.prompt)
        except RecognizerBusy:
            return
        except Exception:  # noqa: BLE001
            log.exception("partial decode failed")
            return
        if tr.text and utt == self._utt_id and self._vad.in_speech:
            self._emit(SpeechEvent(SpeechEventType.INTERIM, utt, tr.text, self.audio_time_s, decode_s=tr.decode_s))

    async def _emit_finals(self) -> None:
        """Deliver finals in utterance order, each as soon as its decode is done."""
        try:
            while True:
                item = await self._finals.get()
                if item is _END:
                    break
                utt, fut, endpoint_wall, voice_end, at = item  # type: ignore[misc]
                try:
                    tr = await fut
                except asyncio.CancelledError:
                    if self._closed:
                        raise
                    continue
                except Exception:  # noqa: BLE001
                    log.exception("final decode failed")
                    continue
                if tr.text:
                    self._emit(SpeechEvent(SpeechEventType.FINAL, utt, tr.text, at, voice_end_s=voice_end,
                                           endpoint_wall=endpoint_wall, decode_s=tr.decode_s))
        finally:
            if not self._closed:
                self._out.put_nowait(None)
