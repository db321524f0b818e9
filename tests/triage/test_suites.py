"""The triage case sets run straight against the triage service: recall, over-triage, department accuracy."""

from __future__ import annotations

import pytest

from assistant.services.triage import MAX_QUESTIONS
from tests.triage.suite_runner import metrics, run_suite

pytestmark = pytest.mark.eval


@pytest.fixture(scope="module")
def triage_results(hospital):
    return run_suite("triage", hospital)


@pytest.fixture(scope="module")
def tricky_results(hospital):
    return run_suite("triage_tricky", hospital)


def test_suite_sizes(triage_results, tricky_results):
    emergencies = [r for r in triage_results if r.expected_level == "emergency"]
    assert len(triage_results) >= 200
    # the reviewer's under-triage findings (2026-11) added mostly emergencies; contrast cases keep the balance
    assert 0.2 <= len(emergencies) / len(triage_results) <= 0.4
    assert len(tricky_results) >= 60


def test_every_emergency_is_caught(triage_results):
    m = metrics(triage_results)
    print("\ntriage suite:", m)
    missed = [(r.case.id, [t.text for t in r.case.turns], r.outcome.level) for r in triage_results
              if r.expected_level == "emergency" and r.outcome.level != "emergency"]
    assert not missed, f"missed emergencies: {missed}"
    wrong_flags = [(r.case.id, r.expect["red_flags_include"], r.outcome.red_flags) for r in triage_results
                   if r.expected_level == "emergency" and not set(r.expect.get("red_flags_include", [])) <= set(r.outcome.red_flags)]
    assert not wrong_flags


def test_over_triage_and_department_accuracy(triage_results, tricky_results):
    everything = triage_results + tricky_results
    m = metrics(everything)
    print("\ntriage + tricky:", m)
    assert m["over_triage"] <= 0.1
    assert m["department_accuracy"] >= 0.85
    assert m["questions_max"] <= MAX_QUESTIONS


def test_tricky_cases_are_never_emergencies(tricky_results):
    m = metrics(tricky_results)
    print("\ntricky suite:", m)
    over = [(r.case.id, r.case.turns[-1].text, r.outcome.red_flags) for r in tricky_results if r.outcome.level == "emergency"]
    assert not over
    no_triage = [r for r in tricky_results if r.expect.get("no_triage")]
    assert all(r.outcome.level is None for r in no_triage)
