"""Judges: check one reply against a turn's expectations; structured fields first, text second."""

from __future__ import annotations

import re
from typing import Any

ABSTAIN_RE = re.compile(
    r"不知道|无法回答|没有找到|未找到|暂无|不清楚|无法确定|没有相关|查不到|无法提供|人工|工作人员|"
    r"don't know|do not know|not sure|couldn't find|could not find|no information|not able to answer|a person|staff|human",
    re.I,
)


def _listify(v: Any) -> list[Any]:
    return list(v) if isinstance(v, list | tuple) else [v]


def abstained(reply: dict[str, Any]) -> bool:
    return not reply.get("citations") and bool(ABSTAIN_RE.search(reply.get("reply") or ""))


def judge_turn(expect: dict[str, Any], reply: dict[str, Any]) -> list[str]:
    """Return the reasons this reply fails its expectations (empty when it passes)."""
    fails: list[str] = []
    if "intent" in expect and reply.get("intent") not in _listify(expect["intent"]):
        fails.append(f"intent {reply.get('intent')!r}, expected {expect['intent']!r}")
    triage = reply.get("triage") or None
    if "triage" in expect:
        want = expect["triage"] or {}
        if triage is None:
            fails.append(f"no triage, expected {want}")
        else:
            if "level" in want and triage.get("level") not in _listify(want["level"]):
                fails.append(f"triage level {triage.get('level')!r}, expected {want['level']!r}")
            if "department" in want and triage.get("department") not in _listify(want["department"]):
                fails.append(f"department {triage.get('department')!r}, expected {want['department']!r}")
    if expect.get("no_triage") and triage and triage.get("level") == "emergency":
        fails.append("assessed as an emergency, expected not")
    if "red_flags_include" in expect:
        got = set((triage or {}).get("red_flags") or [])
        for flag in _listify(expect["red_flags_include"]):
            if not any(flag == g or str(g).startswith(str(flag)) or str(flag) in str(g) for g in got):
                fails.append(f"red flag {flag!r} missing (got {sorted(got)})")
    if "escalated" in expect and bool(reply.get("escalated")) != bool(expect["escalated"]):
        fails.append(f"escalated {reply.get('escalated')}, expected {expect['escalated']}")
    if "citations_include" in expect:
        docs = [c.get("doc_id") for c in (reply.get("citations") or [])][:3]
        for doc in _listify(expect["citations_include"]):
            if doc not in docs:
                fails.append(f"citation {doc!r} not in top 3 {docs}")
    if "abstain" in expect:
        did = abstained(reply)
        if bool(expect["abstain"]) != did:
            fails.append("did not abstain" if expect["abstain"] else "abstained unexpectedly")
    if "report_flags" in expect:
        items = {str(i.get("code")): i.get("flag") for i in ((reply.get("report") or {}).get("items") or [])}
        for code, flag in (expect["report_flags"] or {}).items():
            if items.get(str(code)) not in _listify(flag):
                fails.append(f"report item {code}: flag {items.get(str(code))!r}, expected {flag!r}")
    if "appointment_status" in expect:
        status = (reply.get("appointment") or {}).get("status")
        if status not in _listify(expect["appointment_status"]):
            fails.append(f"appointment status {status!r}, expected {expect['appointment_status']!r}")
    if "payment" in expect:
        pay = reply.get("payment") or {}
        for k, v in (expect["payment"] or {}).items():
            got = pay.get(k)
            if isinstance(v, int | float) and isinstance(got, int | float):
                if round(float(got), 2) != round(float(v), 2):
                    fails.append(f"payment {k} {got}, expected {v}")
            elif got != v:
                fails.append(f"payment {k} {got!r}, expected {v!r}")
    text = reply.get("reply") or ""
    for pattern in _listify(expect.get("reply_must") or []):
        if not re.search(str(pattern), text, re.I):
            fails.append(f"reply lacks /{pattern}/")
    for pattern in _listify(expect.get("reply_must_not") or []):
        if re.search(str(pattern), text, re.I):
            fails.append(f"reply has forbidden /{pattern}/")
    return fails


def judge_json(expect: dict[str, Any], body: Any, path: str = "") -> list[str]:
    """Compare an API response to expected values: numbers to the fen, nested dicts recursively."""
    fails: list[str] = []
    if not isinstance(body, dict):
        return [f"{path or 'body'} is not an object"]
    for k, v in expect.items():
        here = f"{path}.{k}" if path else k
        got = body.get(k)
        if isinstance(v, dict):
            fails += judge_json(v, got, here)
        elif isinstance(v, int | float) and not isinstance(v, bool):
            if not isinstance(got, int | float) or round(float(got), 2) != round(float(v), 2):
                fails.append(f"{here} {got!r}, expected {v}")
        elif got != v:
            fails.append(f"{here} {got!r}, expected {v!r}")
    return fails
