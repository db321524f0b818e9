"""Audio plumbing for the voice channels: PCM16 and G.711 μ-law codecs, streaming resampling and framing.

Pure numpy/scipy (``audioop`` is deprecated). Every stateful helper accepts arbitrary chunk sizes,
including odd-length byte frames, and carries the remainder to the next call.
"""

from __future__ import annotations

from math import gcd

import numpy as np
from scipy.signal import resample_poly

ASR_RATE = 16000
SUPPORTED_RATES = (8000, 12000, 16000, 22050, 24000, 32000, 44100, 48000)

# ---- PCM16 ------------------------------------------------------------------------------------


def pcm16_to_float(data: bytes) -> np.ndarray:
    """Little-endian PCM16 → float32 in [-1, 1]. A trailing odd byte is ignored (use Pcm16Decoder)."""
    n = len(data) // 2
    return np.frombuffer(data[: n * 2], dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm16(x: np.ndarray) -> bytes:
    """float32 in [-1, 1] → little-endian PCM16, clipping out-of-range samples."""
    return (np.clip(np.asarray(x, dtype=np.float32), -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()


class Pcm16Decoder:
    """Turns a byte stream of PCM16 into float samples; an odd trailing byte waits for the next chunk."""

    def __init__(self) -> None:
        self._carry = b""

    def decode(self, data: bytes) -> np.ndarray:
        data = self._carry + bytes(data)
        cut = len(data) - (len(data) % 2)
        self._carry = data[cut:]
        return pcm16_to_float(data[:cut])


# ---- G.711 μ-law ------------------------------------------------------------------------------

_BIAS = 0x84
_CLIP = 32635


def _build_mulaw_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.int16)
    for i in range(256):
        u = ~i & 0xFF
        sign, exponent, mantissa = u & 0x80, (u >> 4) & 0x07, u & 0x0F
        sample = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
        table[i] = -sample if sign else sample
    return table


_MULAW_DECODE = _build_mulaw_table()


def mulaw_decode(data: bytes) -> np.ndarray:
    """G.711 μ-law bytes → int16 samples."""
    return _MULAW_DECODE[np.frombuffer(bytes(data), dtype=np.uint8)]


def mulaw_encode(samples: np.ndarray) -> bytes:
    """int16 samples → G.711 μ-law bytes (ITU-T G.711, bias 0x84, clip 32635)."""
    x = np.asarray(samples, dtype=np.int32)
    sign = np.where(x < 0, 0x80, 0x00)
    mag = np.minimum(np.abs(x), _CLIP) + _BIAS
    exponent = np.clip(np.floor(np.log2(np.maximum(mag, 1))).astype(np.int32) - 7, 0, 7)
    mantissa = (mag >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


def mulaw_to_float(data: bytes) -> np.ndarray:
    return mulaw_decode(data).astype(np.float32) / 32768.0


def float_to_mulaw(x: np.ndarray) -> bytes:
    return mulaw_encode((np.clip(np.asarray(x, dtype=np.float32), -1.0, 1.0) * 32767.0).round())


# ---- resampling -------------------------------------------------------------------------------


def resample(x: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Resample a whole signal (polyphase, anti-aliased)."""
    if src_rate == dst_rate or len(x) == 0:
        return np.asarray(x, dtype=np.float32)
    g = gcd(src_rate, dst_rate)
    return resample_poly(np.asarray(x, dtype=np.float32), dst_rate // g, src_rate // g).astype(np.float32)


class StreamResampler:
    """Chunk-by-chunk polyphase resampling with no seams at chunk boundaries.

    Each call filters the new chunk together with some context before it, and holds back a short
    look-ahead tail until more audio (or ``flush``) arrives, so the output equals resampling the
    whole stream at once (up to float rounding).
    """

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        self.src_rate, self.dst_rate = src_rate, dst_rate
        g = gcd(src_rate, dst_rate)
        self._up, self._down = dst_rate // g, src_rate // g
        half = 12 * max(self._up, self._down) // self._up + 8  # filter half-length in input samples
        self._pad = self._down * -(-half // self._down)  # rounded up to a multiple of `down`
        self._buf = np.zeros(0, dtype=np.float32)
        self._ctx = 0  # how many samples at the start of _buf were already emitted

    @property
    def passthrough(self) -> bool:
        return self.src_rate == self.dst_rate

    def process(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if self.passthrough:
            return x
        buf = np.concatenate([self._buf, x])
        usable = len(buf) - self._pad - self._ctx
        end = self._ctx + (usable // self._down) * self._down if usable > 0 else self._ctx
        if end <= self._ctx:
            self._buf = buf
            return np.zeros(0, dtype=np.float32)
        y = resample_poly(buf, self._up, self._down)
        out = y[self._ctx * self._up // self._down : end * self._up // self._down]
        keep_from = max(0, end - self._pad)
        self._buf, self._ctx = buf[keep_from:], end - keep_from
        return out.astype(np.float32)

    def flush(self) -> np.ndarray:
        if self.passthrough or len(self._buf) <= self._ctx:
            self._buf, self._ctx = np.zeros(0, dtype=np.float32), 0
            return np.zeros(0, dtype=np.float32)
        y = resample_poly(self._buf, self._up, self._down)
        out = y[self._ctx * self._up // self._down :]
        self._buf, self._ctx = np.zeros(0, dtype=np.float32), 0
        return out.astype(np.float32)


# ---- framing ----------------------------------------------------------------------------------


class Framer:
    """Cuts a sample stream into fixed-size frames, keeping the remainder for the next push."""

    def __init__(self, frame_size: int) -> None:
        self.frame_size = frame_size
        self._rest = np.zeros(0, dtype=np.float32)

    def push(self, x: np.ndarray) -> list[np.ndarray]:
        buf = np.concatenate([self._rest, np.asarray(x, dtype=np.float32)])
        n = len(buf) // self.frame_size
        frames = [buf[i * self.frame_size : (i + 1) * self.frame_size] for i in range(n)]
        self._rest = buf[n * self.frame_size :]
        return frames

    def flush(self) -> np.ndarray | None:
        """The zero-padded last partial frame, if any."""
        if len(self._rest) == 0:
            return None
        frame = np.zeros(self.frame_size, dtype=np.float32)
        frame[: len(self._rest)] = self._rest
        self._rest = np.zeros(0, dtype=np.float32)
        return frame


def chunk_bytes(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


class InputDecoder:
    """One client's declared wire format (pcm_s16le or mulaw at some rate) → float32 at 16 kHz."""

    def __init__(self, sample_rate: int, encoding: str = "pcm_s16le", target_rate: int = ASR_RATE) -> None:
        if encoding not in ("pcm_s16le", "mulaw"):
            raise ValueError(f"unsupported encoding {encoding!r}: use pcm_s16le or mulaw")
        if not 8000 <= int(sample_rate) <= 192000:
            raise ValueError(f"unsupported sample_rate {sample_rate}: use 8000 to 192000 Hz")
        self.encoding, self.sample_rate = encoding, int(sample_rate)
        self._pcm = Pcm16Decoder()
        self._resampler = StreamResampler(self.sample_rate, target_rate)

    def decode(self, data: bytes) -> np.ndarray:
        x = mulaw_to_float(data) if self.encoding == "mulaw" else self._pcm.decode(data)
        return self._resampler.process(x)

    def flush(self) -> np.ndarray:
        return self._resampler.flush()


def clipped_fraction(x: np.ndarray, threshold: float = 0.99) -> float:
    """Share of samples at or near full scale (a clipped recording)."""
    return float(np.mean(np.abs(x) >= threshold)) if len(x) else 0.0


def rms_dbfs(x: np.ndarray) -> float:
    if len(x) == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    return 20.0 * np.log10(max(rms, 1e-6))
