"""Streaming recognition: VAD endpointing plus the shared batch recogniser, as livekit's StreamAdapter.

Audio goes in with ``push_audio`` / ``flush`` / ``end_input``; an async iterator yields
``SpeechEvent``s of a closed set of kinds. While the patient speaks, the growing utterance is
re-decoded every few hundred ms on the shared scheduler's spare capacity (at most one partial in
flight, the interval stretching with load); 120 ms into a pause a final decode is started
speculatively so the final is ready when the endpoint fires. That text also sets the pause's length:
the endpoint waits for it, ends sooner after a finished sentence (。？), and waits longer when the text
breaks off mid-sentence (……就是, a trailing comma) so a natural pause does not split the sentence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import deque
from dataclasses import dataclass
from enum import Enum

import numpy as np

from asr.audio import ASR_RATE, Framer, InputDecoder
from asr.scheduler import DecodeJob, PartialDropped, Priority
from asr.vad import FRAME_S, FRAME_SAMPLES, Endpointer, VadConfig, VadEvent
from asr.whisper import Recognizer

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
SPECULATE_MS = 120  # silence after which the final decode starts speculatively (4 VAD frames)

# A transcript ending like this is a sentence broken off at a pause, not a finished one.
_UNFINISHED_END = re.compile(
    r"([，,、：:；;]|\.\.+|…+|就是|的话|然后|因为|所以|但是|可是|而且|还有|或者|如果|比如|那个|一个|比较|有点|"
    r"[就和跟与及或把被给从向让很最嗯呃])$"
)


def sounds_finished(text: str) -> bool:
    """True when a transcript ends as a sentence does (Whisper's 。？！ or a question particle)."""
    t = text.strip()
    return bool(t) and (t.endswith(("。", "？", "！", "?", "!")) or t.endswith(("吗", "呢", "吧")))


def sounds_unfinished(text: str) -> bool:
    """True when a pause's transcript plainly stops mid-sentence (a comma, 就是, 因为 …)."""
    t = text.strip()
    return bool(t) and not t.endswith(("。", "？", "！", "?", "!")) and bool(_UNFINISHED_END.search(t))


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
        continuation_extra_ms: int = 400,
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
        self._last_partial_text = ""
        self._partial_task: asyncio.Task[None] | None = None
        self._spec: tuple[int, int, DecodeJob] | None = None  # (utt, voiced frames, job)
        self._base_end_ms = endpoint_silence_ms
        self.continuation_extra_ms = continuation_extra_ms
        self.speculate_after_ms = max(SPECULATE_MS, endpoint_silence_ms - 500)
        self.early_end_ms = max(self.speculate_after_ms + 100, endpoint_silence_ms - 200)
        self.plain_end_ms = max(self.early_end_ms, endpoint_silence_ms - 100)
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
        self._base_end_ms = ms
        self.speculate_after_ms = max(SPECULATE_MS, ms - 500)
        self.early_end_ms = max(self.speculate_after_ms + 100, ms - 200)
        self.plain_end_ms = max(self.early_end_ms, ms - 100)
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
        self.recognizer.scheduler.forget(self)
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
            self._last_partial_text = ""
            self._spec = None
            self._vad.set_end_silence(self._base_end_ms)
            self._emit(SpeechEvent(SpeechEventType.START_OF_SPEECH, self._utt_id, audio_time_s=self.audio_time_s))
            return
        self._utt.append(frame)
        if ev is VadEvent.SPEECH_CONTINUE:
            self._voiced += 1
            self._last_voiced_idx = len(self._utt)
            if self._spec is not None:  # the patient went on talking: the speculative final is stale
                self.recognizer.scheduler.cancel(self._spec[2])
                self._spec = None
                self._vad.set_end_silence(self._base_end_ms)
        elif ev is VadEvent.PAUSE:
            self._maybe_speculate()
        elif ev is VadEvent.SPEECH_END:
            self._end_utterance()

    def _voiced_audio(self) -> np.ndarray:
        keep = self._last_voiced_idx + int(0.2 / FRAME_S)
        return np.concatenate(self._utt[:keep]) if self._utt else np.zeros(0, np.float32)

    def _submit_final(self, priority: Priority) -> DecodeJob:
        return self.recognizer.submit(self._voiced_audio(), priority=priority, stream=self,
                                      language=self.language, prompt=self.prompt)

    def _maybe_speculate(self) -> None:
        if self._spec is None and self._vad.silence_ms >= self.speculate_after_ms:
            job = self._submit_final(Priority.SPECULATIVE)
            self._spec = (self._utt_id, self._voiced, job)
            utt, voiced = self._utt_id, self._voiced
            loop = asyncio.get_running_loop()

            def done(f: object) -> None:
                with contextlib.suppress(RuntimeError):  # the loop is gone (process shutting down)
                    loop.call_soon_threadsafe(self._on_speculation, utt, voiced, f)

            job.future.add_done_callback(done)
            if self.continuation_extra_ms:  # hold the endpoint for the verdict (the final is this decode anyway)
                self._vad.set_end_silence(self._base_end_ms + self.continuation_extra_ms)

    def _on_speculation(self, utt: int, voiced: int, fut: object) -> None:
        """The pause's speculative text decides its length: longer when it breaks off mid-sentence, else the base."""
        spec = self._spec
        if self._closed or spec is None or spec[0] != utt or spec[1] != voiced or not self._vad.in_speech:
            return
        if spec[2].future.cancelled() or spec[2].future.exception() is not None:
            self._vad.set_end_silence(self._base_end_ms)
            return
        self._vad.set_end_silence(self.pause_length_ms(spec[2].future.result().text))

    def pause_length_ms(self, text: str) -> int:
        """The silence that ends an utterance whose text so far is ``text``: shortest after a finished
        sentence (。？!), longest when it breaks off mid-sentence (……就是, a comma), and a little under
        the base otherwise (Whisper often leaves a short complete command such as 我要转人工 unpunctuated)."""
        if not self.continuation_extra_ms:
            return self._base_end_ms
        if sounds_finished(text):
            return self.early_end_ms
        if sounds_unfinished(text):
            return self._base_end_ms + self.continuation_extra_ms
        return self.plain_end_ms

    def _end_utterance(self) -> None:
        endpoint_wall = time.monotonic()
        voice_end = (self._frames_total - (len(self._utt) - self._last_voiced_idx)) * FRAME_S
        spec = self._spec
        if spec is not None and spec[0] == self._utt_id and spec[1] == self._voiced and not spec[2].future.cancelled():
            job = spec[2]
            self.recognizer.scheduler.promote(job)
        else:
            if spec is not None:
                self.recognizer.scheduler.cancel(spec[2])
            job = self._submit_final(Priority.FINAL)
        self._spec = None
        self._vad.set_end_silence(self._base_end_ms)
        self._emit(SpeechEvent(SpeechEventType.END_OF_SPEECH, self._utt_id, audio_time_s=self.audio_time_s,
                               voice_end_s=voice_end))
        self._finals.put_nowait((self._utt_id, asyncio.wrap_future(job.future), endpoint_wall, voice_end,
                                 self.audio_time_s))
        self._utt, self._voiced, self._last_voiced_idx = [], 0, 0
        self._last_partial_len = 0

    def _maybe_partial(self) -> None:
        if not self._vad.in_speech or self._spec is not None or self._vad.silence_ms > 0:
            return  # only while the patient is actually speaking
        if self._partial_task is not None and not self._partial_task.done():
            return  # this stream's previous partial is queued or decoding: at most one in flight
        interval = self.recognizer.scheduler.partial_interval(self.partial_interval_s)
        if (len(self._utt) - self._last_partial_len) * FRAME_S < interval:
            return
        self._last_partial_len = len(self._utt)
        job = self.recognizer.submit(np.concatenate(self._utt), priority=Priority.PARTIAL, stream=self,
                                     language=self.language, prompt=self.prompt)
        self._partial_task = asyncio.create_task(self._partial(self._utt_id, job))

    async def _partial(self, utt: int, job: DecodeJob) -> None:
        try:
            tr = await asyncio.wrap_future(job.future)
        except (PartialDropped, asyncio.CancelledError):
            return
        except Exception:  # noqa: BLE001
            log.exception("partial decode failed")
            return
        if tr.text and utt == self._utt_id and self._vad.in_speech:
            self._last_partial_text = tr.text
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
            self.recognizer.scheduler.forget(self)  # all finals are out: drop its bookkeeping
            if not self._closed:
                self._out.put_nowait(None)
