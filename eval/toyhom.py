"""Department-routing report on real patient questions (Toyhom 内科 dev set) mapped to our department ids.

Reads ``../shared/fixtures/toyhom_neike/dev.csv`` (id, text, title, label, ...): each question was
filed on a public Q&A site under an internal-medicine board. The board is mapped to the dept_ids
that would see the question here (肝病科 → Infectious Diseases or Gastroenterology; 血液科, 风湿免疫科
and 普通内科 have no board of their own here → General Practice). The prediction is the triage
service's department for title + text; children go to Pediatrics by the hospital's rule, which the
report counts as correct when the question is about a child under 14. Usage:
``python -m eval.toyhom [--csv PATH] [--show N]``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

from assistant.config import Settings
from assistant.hospital import HospitalData, cached_hospital
from assistant.services.triage import assess

LABEL_TO_DEPTS: dict[str, tuple[str, ...]] = {
    "神经科": ("neurology", "neurosurgery"),
    "肝病科": ("infectious_diseases", "gastroenterology"),
    "消化科": ("gastroenterology",),
    "内分泌科": ("endocrinology",),
    "心血管科": ("cardiology",),
    "呼吸科": ("respiratory",),
    "肾内科": ("nephrology",),
    "感染科": ("infectious_diseases",),
    "血液科": ("general_practice",),
    "普通内科": ("general_practice",),
    "风湿免疫科": ("general_practice",),
}
# The interview is skipped: one pass, as if every question had already been asked.
NO_QUESTIONS = {"asked": ["complaint", "age", "temp", "duration", "danger"]}


def default_csv(settings: Settings | None = None) -> Path:
    hospital_dir = (settings or Settings()).hospital_dir
    return Path(hospital_dir).parent / "fixtures" / "toyhom_neike" / "dev.csv"


def predict(text: str, hospital: HospitalData) -> tuple[str | None, bool]:
    """The department for one question and whether the patient is a child."""
    outcome = assess(text, dict(NO_QUESTIONS), hospital)
    st = outcome.state
    age = st.get("age_years")
    child = age < 14 if age is not None else st.get("subject") == "child"
    return outcome.department, child


def evaluate(csv_path: Path, hospital: HospitalData) -> dict[str, object]:
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    per_label: dict[str, list[bool]] = defaultdict(list)
    confusion: Counter[tuple[str, str]] = Counter()
    misses = []
    for r in rows:
        want = LABEL_TO_DEPTS[r["label"]]
        text = f"{r['title']}。{r['text']}"
        got, child = predict(text, hospital)
        ok = got in want or (child and got == "pediatrics")
        per_label[r["label"]].append(ok)
        confusion[(r["label"], str(got))] += 1
        if not ok:
            misses.append((r["id"], r["label"], got, r["title"]))
    total = sum(len(v) for v in per_label.values())
    correct = sum(sum(v) for v in per_label.values())
    return {
        "n": total,
        "accuracy": correct / total if total else 0.0,
        "per_label": {k: (sum(v) / len(v), len(v)) for k, v in sorted(per_label.items())},
        "confusion": confusion,
        "misses": misses,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", type=Path, default=None)
    ap.add_argument("--show", type=int, default=0, help="print this many misses")
    args = ap.parse_args(argv)
    settings = Settings()
    hospital = cached_hospital(str(settings.hospital_dir))
    report = evaluate(args.csv or default_csv(settings), hospital)
    print(f"toyhom_neike dev: n={report['n']} department accuracy={report['accuracy']:.3f}")
    for label, (acc, n) in report["per_label"].items():  # type: ignore[union-attr]
        print(f"  {label:<6} n={n:<4} acc={acc:.2f}")
    for miss in report["misses"][: args.show]:  # type: ignore[index]
        print("  miss", *miss)
    return 0


if __name__ == "__main__":
    sys.exit(main())
