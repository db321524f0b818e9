"""Codecs, resampling and framing of asr.audio."""

from __future__ import annotations

import numpy as np
import pytest

from asr.audio import (
    Framer,
    InputDecoder,
    Pcm16Decoder,
    StreamResampler,
    float_to_pcm16,
    mulaw_decode,
    mulaw_encode,
    pcm16_to_float,
    resample,
)

pytestmark = pytest.mark.unit


def tone(rate: int, seconds: float = 0.5, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_pcm16_round_trip_and_clipping():
    x = np.array([0.0, 0.5, -0.5, 1.5, -1.5], dtype=np.float32)
    y = pcm16_to_float(float_to_pcm16(x))
    assert np.allclose(y, [0.0, 0.5, -0.5, 1.0, -1.0], atol=1e-4)


def test_odd_length_frames_lose_nothing():
    pcm = float_to_pcm16(tone(16000, 0.1))
    dec = Pcm16Decoder()
    parts = [pcm[i : i + 7] for i in range(0, len(pcm), 7)]  # every chunk odd-sized
    out = np.concatenate([dec.decode(p) for p in parts])
    assert np.array_equal(out, pcm16_to_float(pcm))


def test_mulaw_matches_g711_reference_points():
    # G.711 μ-law: 0 → 0xFF, full positive → 0x80, full negative → 0x00
    assert mulaw_encode(np.array([0, 32767, -32768])) == bytes([0xFF, 0x80, 0x00])
    assert list(mulaw_decode(bytes([0xFF, 0x80, 0x00, 0x7F]))) == [0, 32124, -32124, 0]


def test_mulaw_round_trip_error_is_small():
    x = (tone(8000) * 32767).astype(np.int16)
    y = mulaw_decode(mulaw_encode(x)).astype(np.float64)
    snr = 10 * np.log10(np.sum(x.astype(np.float64) ** 2) / np.sum((x - y) ** 2))
    assert snr > 30


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (16000, 8000), (24000, 16000), (48000, 16000),
                                          (16000, 24000), (16000, 48000), (44100, 16000)])
def test_stream_resampler_equals_whole_signal(src, dst):
    x = tone(src, 0.7, 300.0)
    whole = resample(x, src, dst)
    rs = StreamResampler(src, dst)
    rng = np.random.default_rng(1)
    pieces, i = [], 0
    while i < len(x):
        n = int(rng.integers(1, 900))
        pieces.append(rs.process(x[i : i + n]))
        i += n
    pieces.append(rs.flush())
    streamed = np.concatenate(pieces)
    assert abs(len(streamed) - len(whole)) <= 1
    n = min(len(streamed), len(whole))
    assert np.max(np.abs(streamed[:n] - whole[:n])) < 1e-4
    assert abs(len(whole) - len(x) * dst / src) <= 1


def test_framer_keeps_remainder_and_pads_last():
    f = Framer(512)
    frames = f.push(np.ones(1000, np.float32)) + f.push(np.ones(100, np.float32))
    assert [len(x) for x in frames] == [512, 512]
    last = f.flush()
    assert last is not None and len(last) == 512 and last[75] == 1.0 and last[76] == 0.0


def test_input_decoder_declared_format_and_bad_declarations():
    dec = InputDecoder(8000, "mulaw")
    out = np.concatenate([dec.decode(mulaw_encode((tone(8000) * 32767).astype(np.int16))), dec.flush()])
    assert abs(len(out) - 8000) <= 2
    with pytest.raises(ValueError):
        InputDecoder(16000, "opus")
    with pytest.raises(ValueError):
        InputDecoder(4000)
