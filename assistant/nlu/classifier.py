"""The trained part of the intent router: TF-IDF on character n-grams (and English words) plus keyword
and entity-type indicator features, into a multinomial logistic regression (probabilities).

Trained at load time in well under a second. Prediction for one message is done by hand from the
fitted vocabularies and weights (no per-call sklearn validation), about 0.1–0.3 ms.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

MAX_CLASSIFIER_CHARS = 300
_NUM = re.compile(r"\d+(?:\.\d+)?")
_WORD = r"(?u)\b[a-z][a-z']+\b"


def normalize(text: str) -> str:
    """What the n-grams see: lower case, digits collapsed to ``0``, at most 300 characters."""
    return _NUM.sub("0", text[:MAX_CLASSIFIER_CHARS].lower()).strip()


class IntentClassifier:
    """Char n-gram + word + indicator features → logistic regression."""

    def __init__(self, feature_names: Sequence[str], c: float = 20.0, indicator_weight: float = 0.6) -> None:
        self.feature_names = list(feature_names)
        self._feat_index = {n: i for i, n in enumerate(self.feature_names)}
        self.indicator_weight = indicator_weight
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
        self.word = TfidfVectorizer(
            analyzer="word", token_pattern=_WORD, ngram_range=(1, 2), sublinear_tf=True
        )
        self.model = LogisticRegression(C=c, solver="newton-cg", max_iter=500)
        self.classes: list[str] = []

    # ---- training ----------------------------------------------------------------------------
    def _indicators(self, batch: Sequence[Sequence[str]]) -> sparse.csr_matrix:
        rows, cols = [], []
        for r, names in enumerate(batch):
            for n in set(names):
                j = self._feat_index.get(n)
                if j is not None:
                    rows.append(r)
                    cols.append(j)
        data = np.full(len(rows), self.indicator_weight)
        return sparse.csr_matrix((data, (rows, cols)), shape=(len(batch), len(self.feature_names)))

    def fit(
        self, texts: Sequence[str], indicators: Sequence[Sequence[str]], labels: Sequence[str]
    ) -> IntentClassifier:
        norm = [normalize(t) for t in texts]
        xc = self.char.fit_transform(norm)
        try:
            xw = self.word.fit_transform(norm)
        except ValueError:  # no English words at all in the training set
            self.word = None  # type: ignore[assignment]
            xw = sparse.csr_matrix((len(norm), 0))
        x = sparse.hstack([xc, xw, self._indicators(indicators)]).tocsr()
        self.model.fit(x, list(labels))
        self.classes = [str(c) for c in self.model.classes_]
        coef = self.model.coef_
        nc, nw = xc.shape[1], xw.shape[1]
        self._w_char = np.ascontiguousarray(coef[:, :nc].T)
        self._w_word = np.ascontiguousarray(coef[:, nc : nc + nw].T)
        self._w_ind = np.ascontiguousarray(coef[:, nc + nw :].T)
        self._b = self.model.intercept_.copy()
        self._char_an = self.char.build_analyzer()
        self._char_vocab = self.char.vocabulary_
        self._char_idf = self.char.idf_
        if self.word is not None:
            self._word_an = self.word.build_analyzer()
            self._word_vocab = self.word.vocabulary_
            self._word_idf = self.word.idf_
        return self

    # ---- prediction --------------------------------------------------------------------------
    @staticmethod
    def _tfidf_dot(tokens: list[str], vocab: dict[str, int], idf: np.ndarray, w: np.ndarray) -> np.ndarray:
        counts = Counter(vocab[t] for t in tokens if t in vocab)
        if not counts:
            return np.zeros(w.shape[1])
        idx = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter((1.0 + math.log(v) for v in counts.values()), dtype=float, count=len(counts))
        val = tf * idf[idx]
        val /= math.sqrt(float(val @ val))
        return val @ w[idx]

    def scores(self, text: str, indicators: Sequence[str]) -> np.ndarray:
        """Class probabilities, in the order of ``self.classes``."""
        norm = normalize(text)
        z = self._b.copy()
        z += self._tfidf_dot(self._char_an(norm), self._char_vocab, self._char_idf, self._w_char)
        if self.word is not None:
            z += self._tfidf_dot(self._word_an(norm), self._word_vocab, self._word_idf, self._w_word)
        for n in set(indicators):
            j = self._feat_index.get(n)
            if j is not None:
                z += self.indicator_weight * self._w_ind[j]
        z -= z.max()
        e = np.exp(z)
        return e / e.sum()

    def predict_proba_sklearn(self, texts: Sequence[str], indicators: Sequence[Sequence[str]]) -> np.ndarray:
        """The same probabilities through sklearn (used by tests to check the fast path)."""
        norm = [normalize(t) for t in texts]
        parts = [self.char.transform(norm)]
        parts.append(
            self.word.transform(norm) if self.word is not None else sparse.csr_matrix((len(norm), 0))
        )
        parts.append(self._indicators(indicators))
        return self.model.predict_proba(sparse.hstack(parts).tocsr())
