"""Staff dispositions as evaluation cases: every wrong or missed escalation becomes a case in a YAML
suite (the schema of ``eval/suite.py``), so the evaluation set learns from what staff decided.

- ``wrong_escalation`` → the same patient turns must not escalate;
- ``referred_to_emergency`` → the last turn must be triaged ``emergency`` and escalated (tagged
  ``missed_red_flag`` when the assistant had not seen a red flag);
- ``booked`` after ``low_confidence``/``repeated_misunderstanding`` → the turn should be understood
  as ``booking``;
- a confirmed escalation (handled, booked, no action after a red flag, critical value, crisis or a
  patient's request) → a regression case that it still escalates.

Patient texts are masked (ID and phone numbers) before they leave the store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no stubs installed here
from sqlalchemy import select

from assistant.safety.pii import mask_text
from assistant.store.db import Database
from assistant.store.models import Escalation, Turn

SUITE_NAME = "staff_dispositions"
MAX_CONTEXT_TURNS = 6
CONFIRMING = {"handled", "booked", "no_action", "referred_to_emergency"}
SERIOUS = {"red_flag", "critical_value", "crisis", "patient_request"}
MISUNDERSTOOD = {"low_confidence", "repeated_misunderstanding"}


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def expectation(reason: str, disposition: str, triage: dict[str, Any] | None, include_confirmed: bool = True) -> tuple[dict[str, Any], list[str]] | None:
    """What the last patient turn should produce, and the case's tags; None when nothing is learnt."""
    tags = ["staff_export", disposition, reason]
    if disposition == "wrong_escalation":
        return {"escalated": False}, tags
    if disposition == "referred_to_emergency":
        expect: dict[str, Any] = {"escalated": True, "triage": {"level": "emergency"}}
        if reason != "red_flag":
            tags.append("missed_red_flag")
        elif triage and triage.get("red_flags"):
            expect["red_flags_include"] = list(triage["red_flags"])[:3]
        if reason == "red_flag" and not include_confirmed:
            return None
        return expect, tags
    if disposition == "booked" and reason in MISUNDERSTOOD:
        tags.append("missed_intent")
        return {"intent": "booking"}, tags
    if include_confirmed and disposition in CONFIRMING and reason in SERIOUS:
        expect = {"escalated": True}
        if reason == "red_flag" and triage and triage.get("red_flags"):
            expect["red_flags_include"] = list(triage["red_flags"])[:3]
        tags.append("confirmed")
        return expect, tags
    return None


def escalating_turn(turns: list[Turn], opened: datetime | None) -> Turn | None:
    """The patient turn that opened the escalation: stored in the same transaction, so the one
    closest in time to the escalation (the turn's timestamp is set at flush, just after)."""
    patient = [t for t in turns if t.role == "patient"]
    if not patient:
        return None
    if opened is None:
        return patient[-1]
    return min(patient, key=lambda t: abs(((_aware(t.created_at) or opened) - opened).total_seconds()))


async def collect_cases(db: Database, *, include_confirmed: bool = True, limit: int = 1000) -> list[dict[str, Any]]:
    """One case per closed escalation whose disposition teaches something, oldest first."""
    async with db.session() as s:
        escs = list(
            await s.scalars(
                select(Escalation)
                .where(Escalation.status == "closed", Escalation.disposition.is_not(None))
                .order_by(Escalation.closed_at, Escalation.id)
                .limit(limit)
            )
        )
        cases: list[dict[str, Any]] = []
        for e in escs:
            turns = list(
                await s.scalars(select(Turn).where(Turn.conversation_id == e.conversation_id).order_by(Turn.seq))
            )
            last = escalating_turn(turns, _aware(e.created_at))
            if last is None:
                continue
            before = [t for t in turns if t.seq <= last.seq + 1]
            patient = [t for t in before if t.role == "patient"]
            answer = next((t for t in before if t.role == "assistant" and t.seq > last.seq), None)
            triage = (answer.data or {}).get("triage") if answer is not None else None
            found = expectation(e.reason, e.disposition or "", triage, include_confirmed)
            if found is None:
                continue
            expect, tags = found
            context = patient[-MAX_CONTEXT_TURNS:]
            case_turns: list[dict[str, Any]] = [{"text": mask_text(t.text)} for t in context[:-1]]
            case_turns.append({"text": mask_text(last.text), "expect": expect})
            cases.append({"id": f"staff-{e.id.removeprefix('esc-')}", "tags": tags, "turns": case_turns})
    return cases


def to_suite(cases: list[dict[str, Any]], name: str = SUITE_NAME) -> dict[str, Any]:
    return {
        "suite": name,
        "description": "Cases learnt from staff dispositions of escalations (exported; patient numbers masked).",
        "cases": cases,
    }


def dump_yaml(suite: dict[str, Any]) -> str:
    return yaml.safe_dump(suite, allow_unicode=True, sort_keys=False, width=120)


async def export_suite(db: Database, *, include_confirmed: bool = True, name: str = SUITE_NAME) -> str:
    """The YAML text of the suite."""
    return dump_yaml(to_suite(await collect_cases(db, include_confirmed=include_confirmed), name))


async def write_suite(db: Database, path: Path, *, include_confirmed: bool = True) -> int:
    """Write the suite to ``path`` (e.g. ``eval/suites/staff_dispositions.yaml``); returns the case count."""
    cases = await collect_cases(db, include_confirmed=include_confirmed)
    path.write_text(dump_yaml(to_suite(cases, path.stem)), encoding="utf-8")
    return len(cases)
