"""Red-flag check: the versioned rule table (safety/data/red_flags.yaml) applied to a patient's words.

``check(text, context)`` is pure and fast (regexes only, no model); it runs before any model in the
turn and its hits cannot be overridden by one. ``context`` carries what earlier turns established
(findings, age, pregnancy, temperature) so that two findings said in different turns still combine.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from assistant.services.triage.extract import Extraction, extract
from assistant.services.triage.lexicon import RED_FLAGS_PATH, get_lexicon

LEVELS = ("emergency", "urgent")


@dataclass(frozen=True)
class RedFlagHit:
    rule_id: str
    name_zh: str
    name_en: str
    level: str  # "emergency" | "urgent"
    source: str
    advice_zh: str
    advice_en: str
    department: str = "emergency"


@dataclass(frozen=True)
class Term:
    concept: str
    anytime: bool = False
    need: str | None = None  # "severe" | "notmild"


@dataclass(frozen=True)
class Slot:
    terms: tuple[Term, ...]

    @property
    def concepts(self) -> tuple[str, ...]:
        return tuple(t.concept for t in self.terms)


@dataclass(frozen=True)
class Alternative:
    slots: tuple[Slot, ...]
    when: tuple[tuple[str, Any], ...]
    unless: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    name_zh: str
    name_en: str
    level: str
    department: str
    source: str
    advice_zh: str
    advice_en: str
    alternatives: tuple[Alternative, ...]
    unless: tuple[str, ...]
    examples_positive: tuple[str, ...]
    examples_negative: tuple[str, ...]

    def hit(self) -> RedFlagHit:
        return RedFlagHit(self.id, self.name_zh, self.name_en, self.level, self.source, self.advice_zh,
                          self.advice_en, self.department)


@dataclass(frozen=True)
class RuleTable:
    version: str
    updated: str
    rules: tuple[Rule, ...]


def _slot(raw: str) -> Slot:
    parts = []
    for alt in str(raw).split("|"):
        need, anytime = None, False
        if alt.endswith("!severe"):
            need, alt = "severe", alt[: -len("!severe")]
        elif alt.endswith("!notmild"):
            need, alt = "notmild", alt[: -len("!notmild")]
        if alt.endswith("@any"):
            anytime, alt = True, alt[: -len("@any")]
        parts.append(Term(alt, anytime, need))
    return Slot(tuple(parts))


def load_rules(path: Path = RED_FLAGS_PATH) -> RuleTable:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules = []
    known = set(get_lexicon().concepts)
    for r in data["rules"]:
        if r["level"] not in LEVELS:
            raise ValueError(f"rule {r['id']}: level must be one of {LEVELS}")
        alts = []
        for a in r.get("match") or []:
            slots = tuple(_slot(s) for s in a.get("all") or [])
            for s in slots:
                missing = set(s.concepts) - known
                if missing:
                    raise ValueError(f"rule {r['id']}: unknown concepts {sorted(missing)}")
            alts.append(Alternative(slots, tuple(sorted((a.get("when") or {}).items())), tuple(a.get("unless") or ())))
        ex = r.get("examples") or {}
        rules.append(Rule(
            id=r["id"], name_zh=r["name_zh"], name_en=r["name_en"], level=r["level"],
            department=r.get("department", "emergency"), source=r["source"], advice_zh=r["advice_zh"],
            advice_en=r["advice_en"], alternatives=tuple(alts), unless=tuple(r.get("unless") or ()),
            examples_positive=tuple(ex.get("positive") or ()), examples_negative=tuple(ex.get("negative") or ()),
        ))
    return RuleTable(version=str(data["version"]), updated=str(data.get("updated", "")), rules=tuple(rules))


@lru_cache(maxsize=1)
def rule_table() -> RuleTable:
    return load_rules()


class _Facts:
    """Findings of this text merged with what earlier turns established."""

    def __init__(self, ex: Extraction, context: dict[str, Any] | None) -> None:
        ctx = context or {}
        self.current: dict[str, list[str | None]] = {}
        for f in ex.findings:
            if f.current:
                self.current.setdefault(f.concept, []).append(f.severity)
        mild, severe = set(ctx.get("mild") or ()), set(ctx.get("severe") or ())
        for cid in ctx.get("findings") or ():
            self.current.setdefault(cid, []).append("severe" if cid in severe else "mild" if cid in mild else None)
        self.anytime = set(ex.anytime()) | set(self.current) | set(ctx.get("conditions") or ())
        self.negated_now = ex.negated()
        age = ex.age_years if ex.age_years is not None else ctx.get("age_years")
        self.age_years: float | None = age
        subject = ex.subject if ex.subject != "self" else ctx.get("subject", "self")
        self.child = (age < 14) if age is not None else subject == "child"
        self.pregnant = ex.pregnant if ex.pregnant is not None else ctx.get("pregnant")
        self.gest_weeks = ex.gest_weeks if ex.gest_weeks is not None else ctx.get("gest_weeks")
        temps = [t for t in (ex.temp_c, ctx.get("temp_c")) if t is not None]
        self.temp_c = max(temps) if temps else None
        self.duration_h = ex.duration_h if ex.duration_h is not None else ctx.get("duration_h")
        self.pain_score = ex.pain_score if ex.pain_score is not None else ctx.get("pain_score")
        self.sex = ex.sex or ctx.get("sex")
        if self.pregnant:
            self.current.setdefault("pregnancy", []).append(None)
        if self.temp_c is not None and self.temp_c >= 37.3 and "fever" not in self.negated_now:
            self.current.setdefault("fever", []).append("severe" if self.temp_c >= 39 else None)

    def slot(self, s: Slot) -> bool:
        for t in s.terms:
            if t.anytime and t.need is None and t.concept in self.anytime:
                return True
            sev = self.current.get(t.concept)
            if sev is None:
                continue
            if t.need is None:
                return True
            if t.need == "severe" and "severe" in sev:
                return True
            if t.need == "notmild" and any(x != "mild" for x in sev):
                return True
        return False

    def when(self, key: str, value: Any) -> bool:
        age_m = self.age_years * 12 if self.age_years is not None else None
        if key == "adult":
            return (not self.child) == bool(value)
        if key == "child":
            return self.child == bool(value)
        if key == "age_months_lt":
            return age_m is not None and age_m < value
        if key == "age_months_gte":
            return age_m is not None and age_m >= value
        if key == "age_years_gte":
            return self.age_years is not None and self.age_years >= value
        if key == "pregnant":
            return bool(self.pregnant) == bool(value)
        if key == "gest_weeks_gte":
            return self.gest_weeks is not None and self.gest_weeks >= value
        if key == "temp_gte":
            return self.temp_c is not None and self.temp_c >= value
        if key == "pain_score_gte":
            return self.pain_score is not None and self.pain_score >= value
        if key == "duration_min_gte":
            return self.duration_h is not None and self.duration_h * 60 >= value
        if key == "duration_h_lt":
            return self.duration_h is not None and self.duration_h < value
        if key == "recent_h":  # new: no duration given, or shorter than this
            return self.duration_h is None or self.duration_h < value
        if key == "sex":
            return self.sex == value
        raise ValueError(f"unknown condition {key}")


def _fires(rule: Rule, facts: _Facts, present: set[str]) -> bool:
    if any(u in facts.current for u in rule.unless):
        return False
    for alt in rule.alternatives:
        if not all(present.intersection(s.concepts) for s in alt.slots):
            continue
        if any(u in facts.current for u in alt.unless):
            continue
        if all(facts.slot(s) for s in alt.slots) and all(facts.when(k, v) for k, v in alt.when):
            return True
    return False


def check_extraction(ex: Extraction, context: dict[str, Any] | None = None) -> list[RedFlagHit]:
    facts = _Facts(ex, context)
    present = set(facts.current) | facts.anytime
    hits = [r.hit() for r in rule_table().rules if _fires(r, facts, present)]
    hits.sort(key=lambda h: LEVELS.index(h.level))
    return hits


def check(text: str, context: dict[str, Any] | None = None) -> list[RedFlagHit]:
    """Every red-flag rule the text (plus earlier-turn ``context``) fires, emergencies first.

    ``context`` keys (all optional): findings (concept ids current from earlier turns), conditions
    (chronic ones), age_years, subject, pregnant, gest_weeks, temp_c, duration_h, pain_score, sex.
    """
    return check_extraction(extract(text), context)
