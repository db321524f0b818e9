"""The intent router: high-precision rules first, then a classifier trained at load time on the
hand-written utterances; one intent with a confidence in [0, 1], a full ranking, and the entities.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import datetime

from assistant.clock import TZ, Clock
from assistant.hospital import HospitalData
from assistant.nlu.classifier import IntentClassifier
from assistant.nlu.dataset import Example, load_examples, split
from assistant.nlu.entities import extract_entities, matcher_for
from assistant.nlu.lang import detect_lang
from assistant.nlu.lexicon import _CATEGORIES, Lexicon
from assistant.nlu.numerals import fold_width
from assistant.nlu.rules import apply_rules
from assistant.nlu.types import Entity, NluResult

log = logging.getLogger(__name__)

MAX_TEXT = 5000  # parse reads at most this many characters
_ENTITY_TYPES = (
    "date",
    "session",
    "time",
    "department",
    "doctor",
    "id_number",
    "id_number_invalid",
    "phone",
    "phone_invalid",
    "ordinal",
    "person_name",
    "relationship",
    "age",
)
FEATURES = [f"kw_{c}" for c in _CATEGORIES] + ["kw_lab"] + [f"ent_{t}" for t in _ENTITY_TYPES]
# Training dates resolve against a fixed day so the model never depends on when it was trained.
_TRAIN_NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)

# What may surround a bare slot value ("身份证号 1101…", "my phone is 138…") without adding meaning.
_FILLER = re.compile(
    r"身份证号?码?|证件号?码?|手机号?码?|电话号?码?|号码|联系方式|我的|我叫|名字|姓名|是|叫|今年|患者|病人|"
    r"\b(?:my|name|is|phone|number|id|it's|its|the|patient|mobile)\b|[\s\W_]+",
    re.I,
)

_cache: dict[tuple[int, bool], tuple[HospitalData, IntentClassifier, Lexicon]] = {}
_cache_lock = threading.Lock()


def _indicators(lexicon: Lexicon, folded: str, entities: list[Entity]) -> list[str]:
    return [f"kw_{c}" for c in lexicon.categories(folded)] + [f"ent_{e.type}" for e in entities]


def _slot_only(folded: str, entities: list[Entity]) -> bool:
    """True when the message is only entity values plus filler words."""
    chars = list(folded)
    for e in entities:
        chars[e.start : e.end] = [" "] * (e.end - e.start)
    return len(_FILLER.sub("", "".join(chars))) <= 1


class IntentRouter:
    """Routes one patient message to an intent. Build with ``IntentRouter.load(hospital)``."""

    def __init__(
        self,
        hospital: HospitalData,
        classifier: IntentClassifier,
        lexicon: Lexicon,
        clock: Clock | None = None,
    ) -> None:
        self.hospital = hospital
        self.classifier = classifier
        self.lexicon = lexicon
        self.matcher = matcher_for(hospital)
        self.clock = clock or Clock()

    @property
    def intents(self) -> list[str]:
        return list(self.classifier.classes)

    @classmethod
    def load(
        cls, hospital: HospitalData, *, clock: Clock | None = None, holdout: bool = False
    ) -> IntentRouter:
        """Train (once per hospital, cached) and return a router. ``holdout=True`` trains without the
        held-out 20% of the utterances, for measuring accuracy on them."""
        key = (id(hospital), holdout)
        with _cache_lock:
            hit = _cache.get(key)
            if hit is None or hit[0] is not hospital:
                examples = split()[0] if holdout else load_examples()
                clf, lex = cls._train(hospital, examples)
                hit = (hospital, clf, lex)
                _cache[key] = hit
        return cls(hospital, hit[1], hit[2], clock)

    @staticmethod
    def _train(hospital: HospitalData, examples: tuple[Example, ...]) -> tuple[IntentClassifier, Lexicon]:
        lexicon = Lexicon(hospital)
        matcher = matcher_for(hospital)
        texts, inds, labels = [], [], []
        for ex in examples:
            folded = fold_width(ex.text)
            ents = extract_entities(ex.text, hospital, _TRAIN_NOW, matcher=matcher)
            texts.append(folded)
            inds.append(_indicators(lexicon, folded, ents))
            labels.append(ex.intent)
        clf = IntentClassifier(FEATURES).fit(texts, inds, labels)
        log.debug("intent classifier trained", extra={"examples": len(texts), "intents": len(clf.classes)})
        return clf, lexicon

    def parse(self, text: str, lang: str | None = None, now: datetime | None = None) -> NluResult:
        """Intent, confidence, ranking, entities and language of one message. Never raises on input."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        text = text[:MAX_TEXT]
        lang = lang if lang in ("zh", "en") else detect_lang(text)
        if not text.strip():
            return NluResult("out_of_scope", 0.0, [], lang, [("out_of_scope", 0.0)], source="empty")
        entities = extract_entities(text, self.hospital, now or self.clock.now(), matcher=self.matcher)
        folded = fold_width(text)
        probs = self.classifier.scores(folded, _indicators(self.lexicon, folded, entities))
        classes = self.classifier.classes
        scored = {c: float(p) for c, p in zip(classes, probs, strict=True)}
        if entities and _slot_only(folded, entities) and "out_of_scope" in scored:
            # A bare answer to a form question (an ID, a phone, a date, a name) is not "out of scope".
            scored["out_of_scope"] *= 0.05
            total = sum(scored.values())
            scored = {c: p / total for c, p in scored.items()}
        rule = apply_rules(text, folded, entities, self.lexicon)
        source = "classifier"
        if rule is not None:
            intent, conf = rule
            conf = max(conf, scored.get(intent, 0.0))
            rest = sum(p for c, p in scored.items() if c != intent) or 1.0
            scored = {c: (conf if c == intent else (1.0 - conf) * p / rest) for c, p in scored.items()}
            source = "rule"
        ranking = sorted(scored.items(), key=lambda kv: kv[1], reverse=True)
        ranking = [(c, round(min(1.0, max(0.0, p)), 4)) for c, p in ranking]
        return NluResult(ranking[0][0], ranking[0][1], entities, lang, ranking, source=source)
