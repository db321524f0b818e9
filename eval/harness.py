"""Runs suites through a runner and collects per-turn results."""

from __future__ import annotations

import sys
from typing import Any

from eval.judges import judge_json, judge_turn
from eval.runners import Runner
from eval.suite import Case, Suite


async def run_case(runner: Runner, case: Case) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    if case.request is not None:
        status, body, dt = await runner.request(case.request.get("method", "POST"), case.request["path"], case.request.get("json"))
        fails = [] if status == case.expect_status else [f"status {status}, expected {case.expect_status}"]
        if status == case.expect_status and case.expect_json:
            fails += judge_json(case.expect_json, body)
        results.append(
            {"suite": case.suite, "case": case.id, "tags": case.tags, "kind": "request", "request": case.request,
             "expect": case.expect_json, "reply": body, "latency": dt, "fails": fails}
        )
        return results
    session_id = None
    for i, turn in enumerate(case.turns):
        status, reply, dt = await runner.turn(session_id, turn.text, turn.lang)
        fails = [] if status == 200 else [f"HTTP {status}: {str(reply)[:200]}"]
        if status == 200:
            session_id = reply.get("session_id", session_id)
            fails += judge_turn(turn.expect, reply)
            if reply.get("_stream_mismatch"):
                fails.append("streamed deltas differ from the final reply")
        results.append(
            {"suite": case.suite, "case": case.id, "tags": case.tags, "kind": "turn", "turn": i, "text": turn.text,
             "expect": turn.expect, "reply": reply, "latency": dt, "fails": fails}
        )
    return results


async def run_suites(runner: Runner, suites: list[Suite], progress: bool = True) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for suite in suites:
        if runner.can_set_clock:
            runner.set_clock(suite.clock)
        failed = 0
        for n, case in enumerate(suite.cases, 1):
            case_results = await run_case(runner, case)
            failed += any(r["fails"] for r in case_results)
            results.extend(case_results)
            if progress:
                print(f"\r  {suite.name}: {n}/{len(suite.cases)} cases, {failed} failed", end="", file=sys.stderr, flush=True)
        if progress:
            print(file=sys.stderr)
    return results
