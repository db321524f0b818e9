"""Hybrid retrieval: dense (Chroma + e5) and lexical (BM25 over jieba) lists fused by reciprocal rank,
and a calibrated confidence below which the assistant abstains instead of answering."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rag.answer import READ_HITS
from rag.index import ChunkIndex, embed_query
from rag.lexical import BM25Index, query_terms, tokenize
from rag.synonyms import alternatives, expand_query, topic_terms
from rag.types import Chunk, Hit

RRF_K = 60
CANDIDATES = 30
PER_DOC = 2
# BM25's first LEXICAL_LEADERS passages are read whatever fusion makes of them when they score LEAD_RATIO
# times the passage after them: reciprocal-rank fusion sees only ranks, so a passage that alone holds the
# question's rare word ("门禁") but that the embedding ranks 37th loses to ones both lists rank middling
LEXICAL_LEADERS = 2
LEAD_RATIO = 1.5
RECORD_WEIGHT = 0.5  # data-table rows (62 doctors...) must not crowd out the prose that explains a rule


@dataclass(frozen=True)
class Calibration:
    """Logistic model over features of the best hits, fitted by ``python -m rag.calibrate`` on
    ``rag/calibration.yaml`` (kept apart from the evaluation suite). ``threshold`` is the confidence
    needed to answer."""

    # top dense similarity, dense gap, coverage, most informative missing word, English
    weights: tuple[float, ...] = (1.465, 0.73, 7.667, -2.267, -1.52)
    bias: float = -2.023
    threshold: float = 0.5


DEFAULT_CALIBRATION = Calibration()


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


def _leaders(ranked: list[tuple[str, float]]) -> list[str]:
    """The first LEXICAL_LEADERS of a BM25 list (best first) when they score at least LEAD_RATIO times
    the next one: passages that alone share the question's rare words, not the front of a close field."""
    if not ranked:
        return []
    rest = ranked[LEXICAL_LEADERS][1] if len(ranked) > LEXICAL_LEADERS else 0.0
    return [cid for cid, score in ranked[:LEXICAL_LEADERS] if score >= LEAD_RATIO * rest]


@dataclass
class Assessment:
    hits: list[Hit]
    features: tuple[float, ...]
    confidence: float


class Retriever:
    def __init__(self, index: ChunkIndex, lexical: BM25Index, chunks: dict[str, Chunk],
                 calibration: Calibration = DEFAULT_CALIBRATION) -> None:
        self.index = index
        self.lexical = lexical
        self.chunks = chunks
        self.calibration = calibration

    def _search(self, query: str, k: int) -> tuple[list[Hit], list[float]]:
        q = expand_query(query)
        dense = self.index.query(embed_query(q), CANDIDATES)
        lexical = self.lexical.search(q, CANDIDATES)
        fused: dict[str, Hit] = {}
        for rank, (cid, sim) in enumerate(dense):
            chunk = self.chunks.get(cid)
            if chunk is None:
                continue
            hit = fused.setdefault(cid, Hit(chunk=chunk, score=0.0))
            hit.score += (RECORD_WEIGHT if chunk.kind == "record" else 1.0) / (RRF_K + rank + 1)
            hit.dense = sim
        for rank, (cid, score) in enumerate(lexical):
            chunk = self.chunks.get(cid)
            if chunk is None:
                continue
            hit = fused.setdefault(cid, Hit(chunk=chunk, score=0.0))
            hit.score += (RECORD_WEIGHT if chunk.kind == "record" else 1.0) / (RRF_K + rank + 1)
            hit.lexical = score
        hits: list[Hit] = []
        per_doc: dict[str, int] = {}
        for h in sorted(fused.values(), key=lambda h: -h.score):
            if per_doc.get(h.doc_id, 0) >= PER_DOC:  # let other documents have their say
                continue
            per_doc[h.doc_id] = per_doc.get(h.doc_id, 0) + 1
            hits.append(h)
            if len(hits) == k:
                break
        # BM25's leaders are returned, after the passages the answerer reads first, even when fusion ranked
        # them low; the answerer reads them too, and they count as top hits for the confidence features
        leaders = [fused[cid] for cid in _leaders(lexical) if cid in fused]
        for h in leaders:
            h.lexical_lead = True
        missing = [h for h in leaders if h not in hits]
        if missing and k > READ_HITS:
            keep = max(READ_HITS, k - len(missing))
            hits = (hits[:keep] + missing)[:k]
        for i, h in enumerate(hits):
            h.rank = i + 1
        return hits, [s for _, s in dense]

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """Blocking: embeds the query and asks both indexes. Run it in a worker thread."""
        return self._search(query, k)[0]

    def assess(self, query: str, k: int = 5) -> Assessment:
        """Hits, their features and the confidence that they answer the query (blocking)."""
        hits, dense = self._search(query, k)
        feats = self.features(query, hits, dense)
        return Assessment(hits, feats, self.confidence(feats) if hits else 0.0)

    def features(self, query: str, hits: list[Hit], dense: list[float]) -> tuple[float, ...]:
        """(top dense similarity, its gap over the candidates' mean, IDF-weighted share of the query's
        words found in one of the top hits (the first three and BM25's leaders), the weight of the most informative word found in none, and
        whether the question is English: e5 similarities run lower for English against these documents)."""
        top = dense[0] if dense else 0.0
        gap = top - float(np.mean(dense)) if dense else 0.0
        own = topic_terms(query_terms(query))
        if not own:
            return top, gap, 0.0, 1.0, 0.0
        n = max(len(self.lexical), 1)
        max_idf = math.log(1 + (n + 0.5) / 0.5)

        def idf(t: str) -> float:
            # words the BM25 index never saw whole (accurate-mode tokens) fall back to their pieces
            parts = [t] if self.lexical.document_frequency(t) or len(t) < 3 else tokenize(t) or [t]
            df = min(self.lexical.document_frequency(p) for p in parts)
            return math.log(1 + (n - df + 0.5) / (df + 0.5))

        # a colloquial word counts as found when its written form is found ("看牙" -> "口腔科")
        alts = alternatives(query, own)
        # a colloquial word weighs what its written form weighs: its own rarity only shows it is colloquial
        weights = {t: min(idf(a) for a in alts[t]) for t in own}
        total = sum(weights.values()) or 1.0
        best = 0.0
        found: set[str] = set()
        for h in hits[:3] + [h for h in hits[3:] if h.lexical_lead]:
            hay = (h.chunk.text + " " + h.chunk.heading).lower()
            toks = set(tokenize(hay))
            present = {t for t in own if any(a in toks or a in hay for a in alts[t])}
            found |= present
            best = max(best, sum(weights[t] for t in present) / total)
        missing = [weights[t] / max_idf for t in own if t not in found]
        english = 1.0 if sum(c.isascii() for c in query) > 0.7 * len(query) else 0.0
        return top, gap, min(best, 1.0), max(missing, default=0.0), english

    def confidence(self, feats: tuple[float, ...]) -> float:
        cal = self.calibration
        return _sigmoid(sum(w * f for w, f in zip(cal.weights, feats, strict=False)) + cal.bias)
