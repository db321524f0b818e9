"""Runs suites through a runner and collects per-turn results."""

from __future__ import annotations

import sys
from typing import Any

from eval.judges import judge_json, judge_turn
from eval.llm_judge import LlmJudge
from eval.runners import Runner
from eval.suite import Case, Suite


async def _judge(judge: LlmJudge | None, expect: dict[str, Any], reply: dict[str, Any]) -> tuple[list[str], dict[str, Any] | None]:
    rubric = expect.get("judge")
    if not rubric:
        return [], None
    verdict = await judge.verdict(str(rubric), str(reply.get("reply") or "")) if judge else None
    if verdict is None or verdict.get("pass") is None:
        return [], {"rubric": rubric, "judged": False, **(verdict or {})}
    fails = [] if verdict["pass"] else [f"judge: {verdict.get('reason') or rubric}"]
    return fails, {"rubric": rubric, "judged": True, **verdict}


async def run_case(runner: Runner, case: Case, judge: LlmJudge | None = None) -> list[dict[str, Any]]:
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
        verdict = None
        if status == 200:
            session_id = reply.get("session_id", session_id)
            fails += judge_turn(turn.expect, reply)
            judged, verdict = await _judge(judge, turn.expect, reply)
            fails += judged
            if reply.get("_stream_mismatch"):
                fails.append("streamed deltas differ from the final reply")
        results.append(
            {"suite": case.suite, "case": case.id, "tags": case.tags, "kind": "turn", "turn": i, "text": turn.text,
             "expect": turn.expect, "reply": reply, "latency": dt, "fails": fails, "judge": verdict}
        )
    return results


async def run_suites(runner: Runner, suites: list[Suite], progress: bool = True, judge: LlmJudge | None = None) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for suite in suites:
        if runner.can_set_clock:
            runner.set_clock(suite.clock)
        failed = 0
        for n, case in enumerate(suite.cases, 1):
            case_results = await run_case(runner, case, judge)
            failed += any(r["fails"] for r in case_results)
            results.extend(case_results)
            if progress:
                print(f"\r  {suite.name}: {n}/{len(suite.cases)} cases, {failed} failed", end="", file=sys.stderr, flush=True)
        if progress:
            print(file=sys.stderr)
    return results
