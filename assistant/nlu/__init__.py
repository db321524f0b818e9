"""Natural-language understanding for the patient assistant: intent routing (rules + a classifier
trained at load time), entity extraction (dates, departments, doctors, ID/phone numbers, choices,
names, relationships, ages) and language detection."""

from assistant.nlu.entities import extract_entities
from assistant.nlu.intents import IntentRouter
from assistant.nlu.lang import detect_lang
from assistant.nlu.types import Entity, NluResult

__all__ = ["Entity", "IntentRouter", "NluResult", "detect_lang", "extract_entities"]
