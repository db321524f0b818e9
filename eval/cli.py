"""``patient-assistant eval``: run suites (in-process, or against --url), write the report, gate."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from pathlib import Path

from eval.harness import run_suites
from eval.llm_judge import LlmJudge
from eval.metrics import apply_gate, compute, load_thresholds
from eval.report import write_report
from eval.runners import HttpRunner, InProcessRunner, Runner, WebSocketRunner, wait_ready
from eval.suite import SuiteError, discover


async def evaluate(suite_names: list[str] | None, report_dir: Path, url: str | None = None, transport: str = "http",
                   data_dir: Path | None = None, progress: bool = True, suites_dir: Path | None = None,
                   judge_url: str | None = None, judge_model: str = "judge") -> dict:
    suites = discover(suite_names, suites_dir) if suites_dir else discover(suite_names)
    judge_llm = None
    if judge_url:
        from assistant.llm.client import LLMClient

        judge_llm = LLMClient(judge_url, judge_model, timeout_s=60.0)
    judge = LlmJudge(report_dir / "judge_cache.json", judge_llm)
    runner: Runner
    tmp = None
    if url:
        runner = WebSocketRunner(url) if transport == "ws" else HttpRunner(url)
        await wait_ready(runner.http)  # type: ignore[attr-defined]
    else:
        if data_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix="pa-eval-")
            data_dir = Path(tmp.name)
        runner = InProcessRunner(data_dir)
        await runner.start()
    try:
        results = await run_suites(runner, suites, progress=progress, judge=judge)
        voice_suites = [s for s in suites if s.path and has_voice_cases(s.path)]
        if voice_suites:
            from eval.voice import run_voice_suite

            async with _socket_url(runner, url) as base:
                for s in voice_suites:
                    results += await run_voice_suite(base, s.path)  # type: ignore[arg-type]
    finally:
        await runner.close()
        if judge_llm is not None:
            await judge_llm.close()
        if tmp is not None:
            tmp.cleanup()
    figs = compute(results)
    passed = apply_gate(figs, load_thresholds())
    return write_report(report_dir, figs, results, gate_passed=passed, runner=runner.kind, suites=[s.name for s in suites])


def has_voice_cases(path: Path) -> bool:
    import yaml

    return bool((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("voice_cases"))


@contextlib.asynccontextmanager
async def _socket_url(runner: Runner, url: str | None):  # type: ignore[no-untyped-def]
    if url:
        yield url
    else:
        async with runner.http_server() as base:  # type: ignore[attr-defined]
            yield base


def eval_main(args: argparse.Namespace) -> int:
    try:
        report = asyncio.run(
            evaluate(args.suite, Path(args.report), url=args.url, transport=getattr(args, "transport", "http"),
                     data_dir=Path(args.data_dir) if args.data_dir else None,
                     suites_dir=Path(args.suites_dir) if getattr(args, "suites_dir", None) else None,
                     judge_url=getattr(args, "judge_url", None), judge_model=getattr(args, "judge_model", "judge"))
        )
    except SuiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, f in report["figures"].items():
        if f["n"] == 0:
            continue
        value = f"{f['value']:.3f}" if f["unit"] == "ratio" else f"{f['value']:.0f} ms"
        ci = f" [{f['ci_low']:.3f}, {f['ci_high']:.3f}]" if f["unit"] == "ratio" else ""
        mark = {True: "pass", False: "FAIL", None: ""}[f["passed"]]
        print(f"{name:24s} {value:>9s}{ci}  n={f['n']:<4d} {mark}")
    print(f"report: {Path(args.report).resolve() / 'index.html'}  gate: {'PASSED' if report['gate_passed'] else 'FAILED'}")
    return 0 if (report["gate_passed"] or not args.gate) else 1
