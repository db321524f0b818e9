"""Endpointing on real speech and Whisper's silence phantoms."""

from __future__ import annotations

import numpy as np
import pytest
from voice_helpers import FIXTURES, read_wav

from asr.audio import pcm16_to_float
from asr.vad import FRAME_SAMPLES, Endpointer, VadConfig, VadEvent, clean_transcript, collapse_repeats

pytestmark = pytest.mark.unit


def run(endpointer: Endpointer, audio: np.ndarray) -> list[tuple[int, VadEvent]]:
    out = []
    for i in range(len(audio) // FRAME_SAMPLES):
        ev = endpointer.process(audio[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES])
        if ev in (VadEvent.SPEECH_START, VadEvent.SPEECH_END):
            out.append((i, ev))
    return out


def test_speech_between_silences_gives_one_start_and_one_end():
    pcm, rate = read_wav(FIXTURES / "aishell_BAC009S0724W0121.wav")
    speech = pcm16_to_float(pcm)
    audio = np.concatenate([np.zeros(16000, np.float32), speech, np.zeros(32000, np.float32)])
    events = run(Endpointer(VadConfig(end_silence_ms=600)), audio)
    assert [e for _, e in events] == [VadEvent.SPEECH_START, VadEvent.SPEECH_END]
    start_s = events[0][0] * FRAME_SAMPLES / 16000
    assert 0.9 < start_s < 1.8


def test_silence_and_noise_never_start_speech():
    rng = np.random.default_rng(0)
    silence = np.zeros(16000 * 3, np.float32)
    noise = (rng.standard_normal(16000 * 3) * 0.02).astype(np.float32)
    hum = (0.3 * np.sin(2 * np.pi * 50 * np.arange(16000 * 3) / 16000)).astype(np.float32)
    for audio in (silence, noise, hum):
        assert run(Endpointer(), audio) == []


def test_longer_endpoint_waits_through_a_pause():
    clip = pcm16_to_float(read_wav(FIXTURES / "aishell_BAC009S0724W0121.wav")[0])
    first = second = clip[7680:59904]  # the clip's voiced part (its own silences trimmed)
    gap = np.zeros(int(16000 * 0.8), np.float32)  # an elderly caller's 0.8 s pause
    audio = np.concatenate([np.zeros(8000, np.float32), first, gap, second, np.zeros(32000, np.float32)])
    web = [e for _, e in run(Endpointer(VadConfig(end_silence_ms=500)), audio)]
    phone = [e for _, e in run(Endpointer(VadConfig(end_silence_ms=1000)), audio)]
    assert web.count(VadEvent.SPEECH_END) >= 2
    assert phone.count(VadEvent.SPEECH_END) == 1


@pytest.mark.parametrize("phantom", [
    "字幕by索兰娅", "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目", "谢谢观看", "谢谢大家收看", "中文字幕志愿者提供",
    "Thank you for watching.", "嗯。", "。。", "",
])
def test_phantoms_are_dropped(phantom):
    assert clean_transcript(phantom) == ""


def test_real_words_are_kept_simplified_and_loops_cut():
    assert clean_transcript("我想預約掛號") == "我想预约挂号"
    assert clean_transcript("我头疼三天了。谢谢观看。") == "我头疼三天了。"
    assert clean_transcript("我的电话是13800138000") == "我的电话是13800138000"
    assert collapse_repeats("好的好的好的好的好的") == "好的好的"
    assert collapse_repeats("费用是1000000元") == "费用是1000000元"
