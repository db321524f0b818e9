"""Fit the abstention model: run the calibration questions (rag/calibration.yaml, never the evaluation
suite), collect retrieval features, fit a logistic regression and print the ``Calibration`` to paste
into rag/retriever.py. Usage: ``python -m rag.calibrate [DATA_DIR]``."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import numpy as np

from assistant.config import Settings
from rag.evaluate import load_calibration


async def collect(kb, questions):  # noqa: ANN001
    X, y = [], []
    for q in questions:
        found = await asyncio.to_thread(kb._assess, q.text, 5)
        ok = q.doc_id is not None and q.doc_id in [h.doc_id for h in found.hits[:3]]
        X.append(found.features)
        y.append(1 if ok else 0)
    return np.asarray(X), np.asarray(y)


async def main(data_dir: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    from rag.knowledge import KnowledgeBase

    kb = KnowledgeBase(Settings(data_dir=data_dir, environment="test"))
    await kb.ensure_loaded()
    X, y = await collect(kb, load_calibration())
    model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=1000).fit(X, y)
    w = tuple(round(float(v), 3) for v in model.coef_[0])
    b = round(float(model.intercept_[0]), 3)
    p = model.predict_proba(X)[:, 1]
    # the threshold that best balances answering the answerable and abstaining on the rest
    best = max((min((p[y == 1] >= t).mean(), (p[y == 0] < t).mean()), -abs(t - 0.5), t)
               for t in np.arange(0.2, 0.81, 0.05))
    t = round(float(best[2]), 2)
    print(f"Calibration(weights={w}, bias={b}, threshold={t})")
    print(f"on {len(y)} calibration questions: answers {(p[y == 1] >= t).mean():.3f} of answerable, "
          f"abstains on {(p[y == 0] < t).mean():.3f} of unanswerable")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/rag_calibrate")))
