"""The hand-written utterances: size, coverage of both languages, and a fixed stratified split."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from assistant.nlu.dataset import AUX_INTENTS, CONTRACT_INTENTS, load_examples, split

pytestmark = pytest.mark.unit


def test_at_least_600_unique_utterances_for_every_intent():
    examples = load_examples()
    assert len(examples) >= 600
    assert len({e.text for e in examples}) == len(examples), "an utterance is listed twice"
    counts = Counter(e.intent for e in examples)
    assert set(counts) == set(CONTRACT_INTENTS) | set(AUX_INTENTS)
    assert min(counts[i] for i in CONTRACT_INTENTS) >= 40


def test_both_languages_in_every_intent():
    for intent in set(CONTRACT_INTENTS) | set(AUX_INTENTS):
        texts = [e.text for e in load_examples() if e.intent == intent]
        assert any(re.search(r"[\u4e00-\u9fff]", t) for t in texts), intent
        assert any(re.fullmatch(r"[\x00-\x7f]+", t) and re.search(r"[A-Za-z]", t) for t in texts), intent


def test_split_is_stratified_and_deterministic():
    train, test = split()
    assert (train, test) == split.__wrapped__()  # recomputed from scratch, same answer
    total = Counter(e.intent for e in load_examples())
    held = Counter(e.intent for e in test)
    for intent, n in total.items():
        assert held[intent] == max(1, round(n * 0.2)), intent
    assert len(train) + len(test) == len(load_examples())
