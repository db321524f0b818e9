"""The NLU's result types: an extracted entity and one parsed turn (intent, confidence, ranking)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.safety.pii import mask_id_number, mask_phone

#: Entity types whose value or text is personal data and must be masked when shown or logged.
PII_TYPES = frozenset({"id_number", "id_number_invalid", "phone", "phone_invalid", "person_name"})


@dataclass(frozen=True)
class Entity:
    """One entity found in the patient's text; ``start``/``end`` index into the original text."""

    type: str
    value: Any
    text: str
    start: int
    end: int

    @property
    def masked_value(self) -> Any:
        """The value as it may be shown back to the patient or written to a log."""
        if self.type in ("id_number", "id_number_invalid"):
            return mask_id_number(str(self.value))
        if self.type in ("phone", "phone_invalid"):
            return mask_phone(str(self.value))
        if self.type == "person_name":
            v = str(self.value)
            return v[:1] + "*" * max(1, len(v) - 1)
        return self.value

    def as_rasa(self) -> dict[str, Any]:
        """The rasa-sdk ``latest_message['entities']`` shape."""
        return {
            "entity": self.type,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }

    def __repr__(self) -> str:  # never leak PII through logs or tracebacks
        if self.type in PII_TYPES:
            return (
                f"Entity(type={self.type!r}, value={self.masked_value!r}, start={self.start}, end={self.end})"
            )
        return (
            f"Entity(type={self.type!r}, value={self.value!r}, text={self.text!r}, "
            f"start={self.start}, end={self.end})"
        )


@dataclass(frozen=True)
class NluResult:
    """One parsed patient turn. ``ranking`` is (intent, score) best first; scores sum to about 1."""

    intent: str
    confidence: float
    entities: list[Entity] = field(default_factory=list)
    lang: str = "zh"
    ranking: list[tuple[str, float]] = field(default_factory=list)
    source: str = "classifier"  # "rule" | "classifier" | "empty"

    def entity(self, type_: str) -> Entity | None:
        """The first entity of a type, or None."""
        return next((e for e in self.entities if e.type == type_), None)

    def values(self, type_: str) -> list[Any]:
        return [e.value for e in self.entities if e.type == type_]

    def as_rasa(self, text: str) -> dict[str, Any]:
        """The ``tracker.latest_message`` fields this turn fills (text, intent, entities, ranking)."""
        return {
            "text": text,
            "intent": {"name": self.intent, "confidence": self.confidence},
            "intent_ranking": [{"name": n, "confidence": c} for n, c in self.ranking],
            "entities": [e.as_rasa() for e in self.entities],
        }
