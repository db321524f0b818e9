"""The optional LLM judge: verdicts from the real embedded llama.cpp server, cached by rubric and reply."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.llm.client import LLMClient
from assistant.llm.embedded import EmbeddedLLMServer
from eval.harness import run_case
from eval.llm_judge import LlmJudge
from eval.runners import InProcessRunner
from eval.suite import Case, Turn

RUBRIC = "The reply tells the patient to call 120 or go to the emergency department."


@pytest.mark.integration
@pytest.mark.slow
async def test_verdicts_come_from_the_llm_once_then_from_the_cache(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "d", environment="test")
    settings.ensure_dirs()
    server = EmbeddedLLMServer(settings)
    base_url = server.start()
    llm = LLMClient.from_settings(settings, base_url=base_url)
    cache = tmp_path / "judge_cache.json"
    try:
        judge = LlmJudge(cache, llm)
        first = await judge.verdict(RUBRIC, "请立即拨打120，或马上到急诊科。")
        assert first is not None and isinstance(first["pass"], bool) and first["cached"] is False
        again = await judge.verdict(RUBRIC, "请立即拨打120，或马上到急诊科。")
        assert again["cached"] is True and again["pass"] == first["pass"] and judge.calls == 1
    finally:
        await llm.close()
        server.stop()
    # with the server gone, the cached verdict still answers; an unseen reply is left unjudged
    offline = LlmJudge(cache, llm=None)
    assert (await offline.verdict(RUBRIC, "请立即拨打120，或马上到急诊科。"))["pass"] == first["pass"]
    assert await offline.verdict(RUBRIC, "周六上午有门诊。") is None


@pytest.mark.integration
async def test_a_rubric_without_an_llm_neither_passes_nor_fails_the_case(tmp_path: Path):
    runner = InProcessRunner(tmp_path / "d")
    await runner.start()
    try:
        case = Case(id="j1", suite="t", turns=[Turn(text="你好", expect={"intent": "greeting", "judge": RUBRIC})])
        [result] = await run_case(runner, case, LlmJudge(tmp_path / "cache.json", llm=None))
    finally:
        await runner.close()
    assert result["fails"] == []
    assert result["judge"]["judged"] is False and result["judge"]["rubric"] == RUBRIC
