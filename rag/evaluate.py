"""Run a question set through a KnowledgeBase and score it: right document cited in the top 3 for
answerable questions, abstention for unanswerable ones. Used by tests, benchmarks and calibration."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUITE = Path(__file__).resolve().parent.parent / "eval" / "suites" / "knowledge.yaml"
CALIBRATION = Path(__file__).resolve().parent / "calibration.yaml"


@dataclass
class Question:
    id: str
    text: str
    lang: str
    doc_id: str | None  # None = the documents cannot answer it
    reply_must: list[str] = field(default_factory=list)


def load_suite(path: Path = SUITE) -> list[Question]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for case in data["cases"]:
        turn = case["turns"][0]
        exp = turn.get("expect", {})
        docs = exp.get("citations_include") or [None]
        out.append(Question(case["id"], turn["text"], turn.get("lang", "zh"), None if exp.get("abstain") else docs[0],
                            list(exp.get("reply_must", []))))
    return out


def load_calibration(path: Path = CALIBRATION) -> list[Question]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    qs = [Question(f"cal-a{i}", t, "en" if t.isascii() else "zh", d) for i, (d, t) in enumerate(data["answerable"])]
    qs += [Question(f"cal-u{i}", t, "en" if t.isascii() else "zh", None) for i, t in enumerate(data["unanswerable"])]
    return qs


@dataclass
class Score:
    answerable: int = 0
    cited: int = 0
    reply_ok: int = 0
    unanswerable: int = 0
    abstained: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def cited_rate(self) -> float:
        return self.cited / self.answerable if self.answerable else 0.0

    @property
    def abstain_rate(self) -> float:
        return self.abstained / self.unanswerable if self.unanswerable else 0.0

    def summary(self) -> str:
        return (f"answerable: right doc cited in top 3 {self.cited}/{self.answerable} = {self.cited_rate:.3f}, "
                f"reply_must met {self.reply_ok}/{self.answerable}; "
                f"unanswerable: abstained {self.abstained}/{self.unanswerable} = {self.abstain_rate:.3f}")


async def score(kb: Any, questions: list[Question], llm: Any = None) -> Score:
    s = Score()
    for q in questions:
        ans = await kb.answer(q.text, q.lang, llm=llm)
        cited = [c["doc_id"] for c in ans.citations[:3]]
        if q.doc_id is None:
            s.unanswerable += 1
            if ans.abstained and not ans.citations:
                s.abstained += 1
            else:
                s.failures.append(f"{q.id} SHOULD ABSTAIN {q.text!r} conf={ans.confidence:.2f} -> {ans.text[:80]!r}")
            continue
        s.answerable += 1
        if not ans.abstained and q.doc_id in cited:
            s.cited += 1
            if all(re.search(p, ans.text) for p in q.reply_must):
                s.reply_ok += 1
            else:
                s.failures.append(f"{q.id} reply_must {q.reply_must} {q.text!r} -> {ans.text[:120]!r}")
        else:
            s.failures.append(f"{q.id} WANT {q.doc_id} {q.text!r} abstained={ans.abstained} conf={ans.confidence:.2f} "
                              f"cited={cited} -> {ans.text[:80]!r}")
    return s
