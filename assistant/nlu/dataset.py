"""The hand-written intent utterances (``data/intents.yaml``) and their fixed, stratified 80/20 split.

An utterance is held out when it falls in the first 20% of its intent ordered by a SHA-1 of the
text, so the split never changes when the file is reordered or other intents grow.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DATA_PATH = Path(__file__).with_name("data") / "intents.yaml"
HOLDOUT_FRACTION = 0.2

#: The contract's intents (``POST /api/v1/chat`` → ``intent``) and the dialogue forms' helpers.
CONTRACT_INTENTS = ("triage", "booking", "report", "payment", "faq", "greeting", "human", "out_of_scope")
AUX_INTENTS = ("affirm", "deny", "choose")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str


@lru_cache(maxsize=2)
def load_examples(path: Path = DATA_PATH) -> tuple[Example, ...]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as f:
        doc = yaml.load(f, Loader=loader)  # noqa: S506 - safe loader
    out = []
    for intent, texts in doc["intents"].items():
        for t in texts:
            out.append(Example(str(t), intent))
    return tuple(out)


def _key(ex: Example) -> str:
    return hashlib.sha1(f"{ex.intent}\x00{ex.text}".encode()).hexdigest()


@lru_cache(maxsize=2)
def split(path: Path = DATA_PATH) -> tuple[tuple[Example, ...], tuple[Example, ...]]:
    """``(train, test)``: a deterministic, per-intent 80/20 split."""
    by_intent: dict[str, list[Example]] = {}
    for ex in load_examples(path):
        by_intent.setdefault(ex.intent, []).append(ex)
    train: list[Example] = []
    test: list[Example] = []
    for exs in by_intent.values():
        ordered = sorted(exs, key=_key)
        k = max(1, round(len(ordered) * HOLDOUT_FRACTION))
        test += ordered[:k]
        train += ordered[k:]
    return tuple(train), tuple(test)
