"""Voice and photo messages: WeChat's own recognition or our recogniser (ffmpeg → 16 kHz PCM → Whisper),
and report photos read by the report service (OCR) into text the engine's report skill understands."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

FFMPEG_TIMEOUT_S = 20.0
MAX_VOICE_S = 60.0  # WeChat voice messages are at most 60 s


class MediaError(Exception):
    """The media could not be converted or read."""


async def to_pcm16k(data: bytes, *, ffmpeg: str = "ffmpeg") -> np.ndarray:
    """Decode AMR / SPEEX (or anything ffmpeg reads) to mono 16 kHz float32 samples in [-1, 1]."""
    try:
        proc = await asyncio.create_subprocess_exec(
            ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-i", "pipe:0",
            "-t", str(MAX_VOICE_S), "-f", "s16le", "-acodec", "pcm_s16le", "-ac", "1", "-ar", "16000", "pipe:1",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError as e:
        raise MediaError("ffmpeg is not installed") from e
    try:
        out, err = await asyncio.wait_for(proc.communicate(data), timeout=FFMPEG_TIMEOUT_S)
    except TimeoutError as e:
        proc.kill()
        await proc.wait()
        raise MediaError("ffmpeg timed out") from e
    if proc.returncode != 0 or not out:
        raise MediaError(f"ffmpeg could not decode the audio (rc={proc.returncode})")
    return np.frombuffer(out[: len(out) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0


async def recognise(app_state: Any, audio: np.ndarray, language: str = "zh") -> str:
    """Our recogniser (asr.runtime) on 16 kHz samples; MediaError when it is not usable."""
    try:
        from asr.runtime import get_runtime
    except ImportError as e:  # speech extras missing
        raise MediaError("speech recognition is not installed") from e
    try:
        runtime = get_runtime(app_state)
        recognizer = await runtime.recognizer()
        result = await recognizer.transcribe(audio, final=True, language=language, prompt=runtime.prompt)
    except Exception as e:  # noqa: BLE001 - model missing/broken: the patient is asked to type
        raise MediaError(f"recogniser failed: {type(e).__name__}") from e
    return (result.text or "").strip()


async def read_report_photo(reader: Any, data: bytes) -> tuple[str | None, Any]:
    """OCR a report photo; returns (report text for the engine or None, the parsed report)."""
    from assistant.services.reports import ImageError

    try:
        parsed = await reader.read_image(data)
    except ImageError as e:
        raise MediaError("not a readable image") from e
    if parsed.empty:
        return None, parsed
    lines = [i.source_line.strip() for i in parsed.items if i.source_line.strip()]
    if not lines:
        lines = [f"{i.name} {i.value_text} {i.unit or ''} {i.ref_text or ''}".strip() for i in parsed.items]
    return "\n".join(lines), parsed
