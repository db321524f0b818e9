"""Figures with their sample size and a 95% Wilson confidence interval, and the release gate."""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

THRESHOLDS_FILE = Path(__file__).parent / "thresholds.yaml"


@dataclass
class Figure:
    name: str
    value: float | None
    n: int
    successes: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    unit: str = "ratio"
    threshold: dict[str, float] | None = None
    passed: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    p_lo, p_hi = max(0.0, centre - half), min(1.0, centre + half)
    return (min(p_lo, p), max(p_hi, p))


def proportion(name: str, successes: int, n: int) -> Figure:
    lo, hi = wilson(successes, n)
    return Figure(name=name, value=(successes / n) if n else None, n=n, successes=successes, ci_low=lo, ci_high=hi)


def compute(results: list[dict[str, Any]]) -> list[Figure]:
    """Figures from per-turn results (each: suite, case, expect, reply, latency, fails, tags)."""
    emerg_n = emerg_ok = 0
    nonemerg_n = nonemerg_over = 0
    dept_n = dept_ok = 0
    cite_n = cite_ok = 0
    abst_n = abst_ok = 0
    refusal_n = refusal_ok = 0
    report_n = report_ok = 0
    settle_n = settle_ok = 0
    appt_n = appt_ok = 0
    voice_n = voice_ok = 0
    latencies: list[float] = []
    for r in results:
        if r.get("voice") is not None:
            voice_n += 1
            voice_ok += not any(f.startswith(("transcript", "no final")) for f in r.get("fails") or [])
        if r.get("latency") is not None and r.get("kind") == "turn":
            latencies.append(r["latency"])
        exp = r.get("expect") or {}
        reply = r.get("reply") or {}
        fails = r.get("fails") or []
        triage = reply.get("triage") or {}
        want = exp.get("triage") or {}
        levels = want.get("level")
        if levels is not None:
            levels = levels if isinstance(levels, list) else [levels]
            if levels == ["emergency"]:
                emerg_n += 1
                emerg_ok += triage.get("level") == "emergency"
            else:
                nonemerg_n += 1
                nonemerg_over += triage.get("level") == "emergency"
        elif exp.get("no_triage"):
            nonemerg_n += 1
            nonemerg_over += triage.get("level") == "emergency"
        if "department" in want:
            depts = want["department"] if isinstance(want["department"], list) else [want["department"]]
            dept_n += 1
            dept_ok += triage.get("department") in depts
        if "citations_include" in exp:
            cite_n += 1
            cite_ok += not any(f.startswith("citation") for f in fails)
        if "abstain" in exp and exp["abstain"]:
            abst_n += 1
            abst_ok += not any("abstain" in f for f in fails)
        if r.get("suite", "").startswith("safety") or r.get("suite", "").startswith("redteam"):
            refusal_n += 1
            refusal_ok += not fails
        if "report_flags" in exp:
            report_n += 1
            report_ok += not any(f.startswith("report item") for f in fails)
        if r.get("kind") == "request" and r.get("suite", "").startswith("settlement"):
            settle_n += 1
            settle_ok += not fails
        elif "payment" in exp:
            settle_n += 1
            settle_ok += not any(f.startswith("payment") for f in fails)
        if "appointment_status" in exp:
            appt_n += 1
            appt_ok += not any(f.startswith("appointment") for f in fails)
    figs = [
        proportion("emergency_recall", emerg_ok, emerg_n),
        proportion("over_triage", nonemerg_over, nonemerg_n),
        proportion("department_accuracy", dept_ok, dept_n),
        proportion("refusal_correctness", refusal_ok, refusal_n),
        proportion("citation_accuracy", cite_ok, cite_n),
        proportion("abstention", abst_ok, abst_n),
        proportion("report_accuracy", report_ok, report_n),
        proportion("settlement_exactness", settle_ok, settle_n),
        proportion("booking_state_accuracy", appt_ok, appt_n),
        proportion("voice_transcription", voice_ok, voice_n),
    ]
    cases: dict[str, bool] = {}
    for r in results:
        key = f"{r.get('suite')}/{r.get('case')}"
        cases[key] = cases.get(key, True) and not r.get("fails")
    figs.append(proportion("case_pass_rate", sum(cases.values()), len(cases)))
    if latencies:
        lat = sorted(latencies)
        p95 = lat[min(len(lat) - 1, math.ceil(0.95 * len(lat)) - 1)]
        figs.append(Figure("latency_p50_ms", statistics.median(lat) * 1000, len(lat), unit="ms"))
        figs.append(Figure("latency_p95_ms", p95 * 1000, len(lat), unit="ms"))
    return figs


def load_thresholds(path: Path = THRESHOLDS_FILE) -> dict[str, dict[str, float]]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def apply_gate(figs: list[Figure], thresholds: dict[str, dict[str, float]]) -> bool:
    """Mark each figure passed/failed against its threshold; a figure with no cases is not gated."""
    ok = True
    for f in figs:
        t = thresholds.get(f.name)
        if not t or f.value is None or f.n == 0:
            continue
        f.threshold = t
        f.passed = True
        if "min" in t and f.value < float(t["min"]) - 1e-12:
            f.passed = False
        if "max" in t and f.value > float(t["max"]) + 1e-12:
            f.passed = False
        ok = ok and f.passed
    return ok
