"""Recognition on real speech: the shared model, the streaming adapter, telephone-band audio, bad input."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from voice_helpers import FIXTURES, SENTENCES, cer, read_wav, transcripts

from asr.audio import float_to_pcm16, mulaw_encode, pcm16_to_float
from asr.stream import SpeechEventType, SpeechStream

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def run_stream(recognizer, chunks, *, rate=16000, encoding="pcm_s16le", realtime=False, endpoint_ms=600,
                     stop_early=False):
    stream = SpeechStream(recognizer, sample_rate=rate, encoding=encoding, endpoint_silence_ms=endpoint_ms)
    bytes_per_s = rate * (1 if encoding == "mulaw" else 2)

    async def feed():
        for c in chunks:
            stream.push_audio(c)
            await asyncio.sleep(len(c) / bytes_per_s if realtime else 0)
        stream.end_input()

    feeder = asyncio.create_task(feed())
    events = [ev async for ev in stream]
    await feeder
    return events


def chunked(data: bytes, size: int = 640) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


async def test_fixture_transcripts_character_error_rate(recognizer):
    refs = transcripts()
    errors = []
    for name, ref in refs.items():
        pcm, rate = read_wav(FIXTURES / name)
        tr = await recognizer.transcribe(pcm16_to_float(pcm))
        errors.append(cer(ref, tr.text))
    assert len(errors) == 3
    assert np.mean(errors) < 0.3, errors


async def test_synthesised_sentences_and_telephone_copies(recognizer, synth_dir):
    errors = {}
    for key, text in SENTENCES.items():
        for suffix, rate in (("", 16000), ("_8k", 8000)):
            pcm, file_rate = read_wav(synth_dir / f"{key}{suffix}.wav")
            assert file_rate == rate
            pad = bytes(rate)  # 0.5 s of silence either side
            events = await run_stream(recognizer, chunked(pad + pcm + pad * 3, 321), rate=rate)
            finals = " ".join(e.text for e in events if e.type is SpeechEventType.FINAL)
            errors[key + suffix] = (cer(text, finals), finals)
    assert np.mean([e for e, _ in errors.values()]) < 0.25, errors
    assert errors["booking"][0] < 0.2 and errors["booking_8k"][0] < 0.3, errors


async def test_event_order_partials_while_speaking_and_final_latency(recognizer):
    pcm, _ = read_wav(FIXTURES / "funasr_asr_example.wav")
    sil = bytes(32000)
    events = await run_stream(recognizer, chunked(sil + pcm + sil * 2, 640), realtime=True)
    kinds = [e.type for e in events]
    assert kinds[0] is SpeechEventType.START_OF_SPEECH
    assert SpeechEventType.INTERIM in kinds
    assert kinds.index(SpeechEventType.END_OF_SPEECH) < kinds.index(SpeechEventType.FINAL)
    final = next(e for e in events if e.type is SpeechEventType.FINAL)
    assert cer("欢迎大家来体验达摩院推出的语音识别模型", final.text) < 0.3
    assert all(e.utterance == 1 for e in events)


async def test_mulaw_8k_faster_than_real_time_loses_nothing(recognizer):
    pcm, _ = read_wav(FIXTURES / "aishell_BAC009S0724W0121.wav")
    from asr.audio import resample

    x8 = resample(pcm16_to_float(pcm), 16000, 8000)
    mu = mulaw_encode((np.concatenate([np.zeros(4000), x8, np.zeros(16000)]) * 32767).astype(np.int16))
    t0 = time.monotonic()
    events = await run_stream(recognizer, chunked(mu, 160) * 1, rate=8000, encoding="mulaw")
    assert time.monotonic() - t0 < 10
    finals = [e.text for e in events if e.type is SpeechEventType.FINAL]
    assert len(finals) == 1 and cer("广州市房地产中介协会分析", finals[0]) < 0.35


async def test_stopping_mid_utterance_still_gives_a_final(recognizer):
    pcm, _ = read_wav(FIXTURES / "paddlespeech_zh.wav")
    events = await run_stream(recognizer, chunked(bytes(16000) + pcm[: len(pcm) // 2], 333))
    finals = [e for e in events if e.type is SpeechEventType.FINAL]
    assert finals and finals[-1].text.startswith("我认为")


async def test_silence_noise_clipping_and_wrong_rate_do_not_break_the_stream(recognizer):
    rng = np.random.default_rng(3)
    silence = float_to_pcm16(np.zeros(16000 * 2, np.float32))
    noise = float_to_pcm16((rng.standard_normal(16000 * 2) * 0.05).astype(np.float32))
    for audio in (silence, noise):
        events = await run_stream(recognizer, chunked(audio, 999))
        assert [e for e in events if e.type is SpeechEventType.FINAL] == []
    pcm, _ = read_wav(FIXTURES / "aishell_BAC009S0724W0121.wav")
    clipped = float_to_pcm16(np.clip(pcm16_to_float(pcm) * 20, -1, 1))
    events = await run_stream(recognizer, chunked(bytes(8000) + clipped + bytes(32000), 640))
    assert any(e.type is SpeechEventType.FINAL for e in events)  # harsh, but still words
    # 16 kHz audio declared as 8 kHz (plays at half speed) and the reverse: no crash, iterator ends
    for rate in (8000, 48000):
        events = await run_stream(recognizer, chunked(pcm + bytes(64000), 640), rate=rate)
        assert all(e.type in SpeechEventType for e in events)


async def test_hang_up_mid_utterance_closes_at_once(recognizer):
    pcm, _ = read_wav(FIXTURES / "funasr_asr_example.wav")
    stream = SpeechStream(recognizer)
    stream.push_audio(bytes(16000) + pcm[: len(pcm) // 2])
    await asyncio.sleep(0.3)
    t0 = time.monotonic()
    await stream.aclose()
    _ = [e async for e in stream]  # iteration ends promptly after aclose (timed below)
    assert time.monotonic() - t0 < 2.0


async def test_concurrent_streams_share_one_model(recognizer):
    pcm, _ = read_wav(FIXTURES / "aishell_BAC009S0724W0121.wav")
    audio = chunked(bytes(8000) + pcm + bytes(32000), 640)
    results = await asyncio.gather(*(run_stream(recognizer, audio) for _ in range(3)))
    for events in results:
        finals = [e.text for e in events if e.type is SpeechEventType.FINAL]
        assert len(finals) == 1 and cer("广州市房地产中介协会分析", finals[0]) < 0.35


async def test_the_pause_that_ends_an_utterance_follows_its_text(recognizer):
    stream = SpeechStream(recognizer, endpoint_silence_ms=600)
    try:
        finished = stream.pause_length_ms("我发烧三天了。")
        plain = stream.pause_length_ms("我要转人工")  # complete, but Whisper left it unpunctuated
        broken = stream.pause_length_ms("我想问一下就是")
        assert finished < plain < 600 < broken
        assert stream.speculate_after_ms < finished  # the final is decoded before the endpoint can fire
        stream.set_endpoint_silence(1000)  # phone callers get longer pauses throughout
        assert 600 < stream.pause_length_ms("我发烧三天了。") < stream.pause_length_ms("我要转人工") < 1000
    finally:
        await stream.aclose()
