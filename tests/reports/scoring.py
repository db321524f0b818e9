"""Item-extraction scoring for the report tests and benchmark: precision/recall/F1 on (code, value),
and flag accuracy on the matched items."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CASES = Path(__file__).parent / "cases"


def load_yaml(name: str) -> list[dict[str, Any]]:
    return yaml.safe_load((CASES / name).read_text(encoding="utf-8"))


def _same_value(truth: Any, got: Any) -> bool:
    if isinstance(truth, (int, float)) and isinstance(got, (int, float)):
        return abs(float(truth) - float(got)) <= 1e-6 * max(1.0, abs(float(truth)))
    return str(truth).strip().lower() == str(got).strip().lower()


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    flag_ok: int = 0
    flag_total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, case_id: str, truth: list[list[Any]], items: list[dict[str, Any]]) -> None:
        remaining = list(items)
        for code, value, flag in truth:
            hit = next((i for i in remaining if i["code"] == code and _same_value(value, i["value"])), None)
            if hit is None:
                self.fn += 1
                self.misses.append(f"{case_id}: missed {code}={value}")
                continue
            remaining.remove(hit)
            self.tp += 1
            self.flag_total += 1
            if hit["flag"] == flag:
                self.flag_ok += 1
            else:
                self.misses.append(f"{case_id}: {code}={value} flag {hit['flag']} != {flag}")
        for extra in remaining:
            self.fp += 1
            self.misses.append(f"{case_id}: extra {extra['code']}={extra['value']}")

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def flag_accuracy(self) -> float:
        return self.flag_ok / self.flag_total if self.flag_total else 1.0

    def summary(self, label: str) -> str:
        return (f"{label}: P={self.precision:.3f} R={self.recall:.3f} F1={self.f1:.3f} "
                f"flag-accuracy={self.flag_accuracy:.3f} (tp={self.tp} fp={self.fp} fn={self.fn})")
