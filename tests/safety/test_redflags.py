"""The red-flag rule table: versioned, sourced, every rule tested positive and negative, fast, model-free."""

from __future__ import annotations

import statistics
import time

import pytest

from assistant.safety.redflags import LEVELS, check, load_rules, rule_table

pytestmark = pytest.mark.unit

RULES = rule_table().rules


def test_table_is_versioned_and_sourced():
    table = load_rules()
    assert table.version and table.updated
    ids = [r.id for r in table.rules]
    assert len(ids) == len(set(ids))
    for r in table.rules:
        assert r.level in LEVELS
        assert r.name_zh and r.name_en and r.advice_zh and r.advice_en
        assert len(r.source) > 20, f"{r.id} has no written source"
        assert r.alternatives, f"{r.id} can never fire"


def test_required_rules_exist():
    ids = {r.id for r in RULES}
    for rid in ("stroke", "chest_pain_acs", "anaphylaxis", "meningitis_signs", "sepsis_signs", "obstetric_warning",
                "infant_fever", "pediatric_danger", "suicidal_intent", "poisoning", "major_trauma", "gi_bleeding",
                "dka_hyperglycemia", "sudden_vision_loss", "testicular_torsion", "severe_dyspnea", "seizure",
                "fever_confusion", "severe_burn"):
        assert rid in ids


def test_every_rule_has_a_positive_and_a_negative_example():
    for r in RULES:
        assert r.examples_positive, f"{r.id}: no positive example"
        assert r.examples_negative, f"{r.id}: no negated or historical example"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_fires_on_positives_and_not_on_negatives(rule):
    for text in rule.examples_positive:
        assert rule.id in [h.rule_id for h in check(text)], f"{rule.id} missed: {text}"
    for text in rule.examples_negative:
        assert rule.id not in [h.rule_id for h in check(text)], f"{rule.id} fired on: {text}"


def test_combination_rules_need_both_findings():
    assert "meningitis_signs" not in [h.rule_id for h in check("发烧38度")]
    assert "meningitis_signs" not in [h.rule_id for h in check("脖子僵硬")]
    assert "meningitis_signs" in [h.rule_id for h in check("发烧38度，脖子僵硬")]
    # the two findings may come in different turns
    assert "meningitis_signs" in [h.rule_id for h in check("脖子也发硬", {"findings": ["fever"]})]
    assert "chest_pain_acs" in [h.rule_id for h in check("还出了一身冷汗", {"findings": ["chest_pain"]})]


def test_context_age_makes_infant_fever():
    assert "infant_fever" in [h.rule_id for h in check("发烧38度", {"age_years": 0.1})]
    assert "infant_fever" not in [h.rule_id for h in check("发烧38度", {"age_years": 3})]


def test_hits_carry_advice_and_emergencies_come_first():
    hits = check("我爸心梗了，还被狗咬了")
    assert hits[0].level == "emergency"
    assert all(h.advice_zh and h.advice_en and h.source for h in hits)


def test_fast_enough_for_the_turn_budget():
    texts = [t for r in RULES for t in r.examples_positive + r.examples_negative]
    check(texts[0])
    times = []
    for t in texts:
        start = time.perf_counter()
        check(t)
        times.append((time.perf_counter() - start) * 1000)
    median = statistics.median(times)
    p95 = sorted(times)[int(len(times) * 0.95)]
    print(f"\nred-flag check: median {median:.2f} ms, p95 {p95:.2f} ms over {len(texts)} texts")
    assert median < 2.0 and p95 < 10.0
