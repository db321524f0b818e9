"""Suites as data: the YAML schema, loading and validation.

A suite is ``{suite, description, clock?, cases: [{id, tags?, turns: [{text, lang?, expect?}]} |
{id, tags?, request: {method, path, json}, expect_status?, expect_json?}]}``. Expectations on the
contract's structured fields come first; reply patterns second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUITES_DIR = Path(__file__).parent / "suites"
EXPECT_KEYS = {
    "intent", "triage", "red_flags_include", "escalated", "citations_include", "abstain", "report_flags",
    "appointment_status", "payment", "reply_must", "reply_must_not", "no_triage", "judge",
}


class SuiteError(ValueError):
    pass


@dataclass
class Turn:
    text: str
    lang: str | None = None
    expect: dict[str, Any] = field(default_factory=dict)


@dataclass
class Case:
    id: str
    suite: str
    tags: list[str] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    request: dict[str, Any] | None = None
    expect_status: int = 200
    expect_json: dict[str, Any] = field(default_factory=dict)


@dataclass
class Suite:
    name: str
    description: str
    cases: list[Case]
    clock: str | None = None
    path: Path | None = None


def load_suite(path: Path) -> Suite:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "cases" not in data:
        raise SuiteError(f"{path}: a suite needs a 'cases' list")
    name = str(data.get("suite") or path.stem)
    cases: list[Case] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["cases"] or []):
        cid = str(raw.get("id") or f"{name}-{i + 1:03d}")
        if cid in seen:
            raise SuiteError(f"{path}: duplicate case id {cid}")
        seen.add(cid)
        case = Case(id=cid, suite=name, tags=[str(t) for t in raw.get("tags") or []])
        if raw.get("request"):
            case.request = dict(raw["request"])
            case.expect_status = int(raw.get("expect_status", 200))
            case.expect_json = dict(raw.get("expect_json") or {})
        else:
            turns = raw.get("turns")
            if turns is None and raw.get("text"):
                turns = [{"text": raw["text"], "lang": raw.get("lang"), "expect": raw.get("expect") or {}}]
            if not turns:
                raise SuiteError(f"{path}: case {cid} has neither turns nor request")
            for t in turns:
                expect = dict(t.get("expect") or {})
                unknown = set(expect) - EXPECT_KEYS
                if unknown:
                    raise SuiteError(f"{path}: case {cid} has unknown expectations {sorted(unknown)}")
                case.turns.append(Turn(text=str(t["text"]), lang=t.get("lang"), expect=expect))
        cases.append(case)
    return Suite(name=name, description=str(data.get("description", "")), cases=cases, clock=data.get("clock"), path=path)


def discover(names: list[str] | None = None, directory: Path = SUITES_DIR) -> list[Suite]:
    """All suites in the directory, or those whose name or file stem starts with a given name."""
    suites = [load_suite(p) for p in sorted(directory.glob("*.yaml"))]
    if not names:
        return suites
    chosen = [s for s in suites if any(s.name == n or s.name.startswith(n) or (s.path and s.path.stem.startswith(n)) for n in names)]
    missing = [n for n in names if not any(s.name == n or s.name.startswith(n) or (s.path and s.path.stem.startswith(n)) for s in chosen)]
    if missing:
        raise SuiteError(f"no suite named {', '.join(missing)}; have: {', '.join(s.name for s in suites)}")
    return chosen
