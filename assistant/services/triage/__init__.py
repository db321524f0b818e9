"""Triage (智能导诊): symptom understanding, red flags, the short interview, level and department.

Names are loaded lazily so that ``assistant.safety.redflags`` can import the extractor without a cycle.
"""

from typing import Any

__all__ = ["MAX_QUESTIONS", "Extraction", "Finding", "TriageOutcome", "assess", "extract", "sources"]


def __getattr__(name: str) -> Any:
    if name in ("MAX_QUESTIONS", "TriageOutcome", "assess"):
        from assistant.services.triage import assessment as _assess

        return getattr(_assess, name)
    if name in ("Extraction", "Finding", "extract"):
        from assistant.services.triage import extract as _extract

        return getattr(_extract, name)
    if name == "sources":
        from assistant.services.triage import sources as _sources

        return _sources
    raise AttributeError(name)
