"""Triage (智能导诊): symptom understanding, red flags, the short interview, level and department."""

from assistant.services.triage.assess import MAX_QUESTIONS, TriageOutcome, assess
from assistant.services.triage.extract import Extraction, Finding, extract

__all__ = ["MAX_QUESTIONS", "Extraction", "Finding", "TriageOutcome", "assess", "extract"]
