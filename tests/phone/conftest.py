"""Voice-test fixtures: the packaged Whisper model assembled once per session, synthesised speech."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "asr"))

from voice_helpers import SENTENCES, telephone_copy, write_wav  # noqa: E402


@pytest.fixture(scope="session")
def whisper_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from asr.whisper import assemble_packaged_model

    return assemble_packaged_model(tmp_path_factory.getbasetemp() / "whisper-cache")


@pytest.fixture(scope="session")
def recognizer(whisper_dir: Path, hospital):  # noqa: ANN001
    """Loaded once per test session and shared, as in production."""
    from asr.whisper import get_recognizer
    from assistant.config import Settings

    return get_recognizer(Settings(whisper_model_dir=whisper_dir), hospital)


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SENTENCES spoken by the packaged voice at 16 kHz, plus 8 kHz telephone-band copies (sox)."""
    from asr.tts import Speaker, VoiceOptions, load_engine

    out = tmp_path_factory.getbasetemp() / "synth"
    if (out / "human_8k.wav").is_file():
        return out
    out.mkdir(exist_ok=True)
    speaker = Speaker(load_engine("auto"), VoiceOptions(sample_rate=16000, pause_ms=0))
    for key, text in SENTENCES.items():
        pcm = asyncio.run(speaker.synthesize(text))
        write_wav(out / f"{key}.wav", pcm, 16000)
        telephone_copy(out / f"{key}.wav", out / f"{key}_8k.wav")
    return out
