"""Triage (智能导诊): symptom understanding, red flags, the short interview, level and department.

Names are loaded lazily so that ``assistant.safety.redflags`` can import the extractor without a cycle.
Submodules: lexicon, extract, numbers, routing, sources, assessment.
"""

import importlib
from typing import Any

__all__ = ["MAX_QUESTIONS", "Extraction", "Finding", "TriageOutcome", "assess"]  # extract(): assistant.services.triage.extract

_LAZY = {"MAX_QUESTIONS": "assessment", "TriageOutcome": "assessment", "assess": "assessment",
         "Extraction": "extract", "Finding": "extract"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(name)
