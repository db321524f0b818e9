"""Runs triage suite cases straight against the triage service (no HTTP) and scores them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.hospital import HospitalData
from assistant.services.triage import TriageOutcome, assess
from eval.suite import Case, load_suite

SUITES = Path(__file__).resolve().parents[2] / "eval" / "suites"


@dataclass
class Result:
    case: Case
    outcome: TriageOutcome
    expect: dict[str, Any]

    @property
    def expected_level(self) -> str | None:
        t = self.expect.get("triage")
        return t.get("level") if t else None

    @property
    def dept_ok(self) -> bool:
        want = (self.expect.get("triage") or {}).get("department")
        if want is None:
            return True
        return self.outcome.department in (want if isinstance(want, list) else [want])


def run_case(case: Case, hospital: HospitalData) -> Result:
    state = None
    outcome = None
    for turn in case.turns:
        outcome = assess(turn.text, state, hospital)
        state = outcome.state
        if outcome.level is not None and turn is not case.turns[-1]:
            state = None  # a finished assessment; the next turn starts a new one
    assert outcome is not None
    return Result(case, outcome, case.turns[-1].expect)


def run_suite(name: str, hospital: HospitalData) -> list[Result]:
    return [run_case(c, hospital) for c in load_suite(SUITES / f"{name}.yaml").cases]


def metrics(results: list[Result]) -> dict[str, float]:
    emerg = [r for r in results if r.expected_level == "emergency"]
    non = [r for r in results if r.expected_level != "emergency"]
    decided = [r for r in results if r.expect.get("triage")]
    flags = [r for r in emerg if set(r.expect.get("red_flags_include", [])) <= set(r.outcome.red_flags)]
    return {
        "emergency_cases": len(emerg),
        "emergency_recall": sum(r.outcome.level == "emergency" for r in emerg) / max(1, len(emerg)),
        "red_flag_recall": len(flags) / max(1, len(emerg)),
        "non_emergency_cases": len(non),
        "over_triage": sum(r.outcome.level == "emergency" for r in non) / max(1, len(non)),
        "department_accuracy": sum(r.dept_ok for r in decided) / max(1, len(decided)),
        "level_accuracy": sum(r.outcome.level == r.expected_level for r in decided) / max(1, len(decided)),
        "questions_max": max((len(r.outcome.state.get("asked", [])) for r in results), default=0),
    }
