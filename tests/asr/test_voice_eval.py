"""The voice evaluation suite (eval/voice.py) run against the real app over a real socket: spoken and
recorded Mandarin through ``WS /ws/voice``, results in the harness's per-turn shape."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from eval.suite import SUITES_DIR, load_suite
from eval.voice import VOICE_KEYS, load_voice_cases, run_voice_suite

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from server import free_port, running_server  # noqa: E402

SUITE = SUITES_DIR / "voice.yaml"
HARNESS_KEYS = {"suite", "case", "tags", "kind", "turn", "text", "expect", "reply", "latency", "fails"}


def wait_ready(base: str, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if httpx.get(base + "/readyz", timeout=5).status_code == 200:
            return
        time.sleep(0.5)
    raise RuntimeError("the app did not become ready")


@pytest.mark.unit
def test_voice_suite_file_has_text_cases_for_the_harness_and_voice_cases_for_the_socket():
    assert load_suite(SUITE).cases  # the text harness still loads it
    name, cases = load_voice_cases(SUITE)
    assert name == "voice" and len(cases) >= 8
    turns = [t for c in cases for t in c["turns"]]
    assert all(bool(t.get("audio")) != bool(t.get("speak")) for t in turns)
    assert any(t.get("phone") for t in turns) and any(t.get("audio") for t in turns)


@pytest.mark.unit
async def test_unreachable_server_and_missing_audio_fail_turns_without_crashing(tmp_path):
    suite = tmp_path / "v.yaml"
    suite.write_text(
        "suite: v\ncases: []\nvoice_cases:\n"
        "  - id: a\n    turns:\n      - audio: nowhere.wav\n        expect: {intent: faq}\n"
        "      - speak: 你好\n", encoding="utf-8")
    results = await run_voice_suite(f"http://127.0.0.1:{free_port()}", suite)
    assert [r["turn"] for r in results] == [0, 1]
    assert all(r["fails"] and HARNESS_KEYS <= set(r) for r in results)
    assert "voice socket" in results[0]["fails"][0]


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.eval
def test_voice_suite_against_the_real_app(tmp_path, whisper_dir):
    settings = Settings(data_dir=tmp_path / "data", environment="test", llm_enabled=False,
                        whisper_model_dir=whisper_dir)
    with running_server(settings, timeout=120) as base:
        wait_ready(base)
        results = asyncio.run(run_voice_suite(base, SUITE))

    _, cases = load_voice_cases(SUITE)
    assert len(results) == sum(len(c["turns"]) for c in cases)
    by_case = {(r["case"], r["turn"]): r for r in results}
    for r in results:
        assert HARNESS_KEYS <= set(r) and r["kind"] == "turn" and r["suite"] == "voice"
        assert not VOICE_KEYS & set(r["expect"])  # voice-only keys are judged here, not passed on
        assert r["reply"] and r["reply"]["session_id"], r
        assert r["latency"] is not None and 0 <= r["latency"] < 60, r
    for key in [("spoken-001", 0), ("spoken-002", 0), ("spoken-003", 0), ("spoken-005", 0), ("spoken-010", 1)]:
        assert by_case[key]["fails"] == [], by_case[key]  # booking, phone booking, 转人工, phone stroke
    # the recording with a 0.6 s pause mid-sentence, streamed in real time, stays one final
    paused = by_case[("spoken-008", 0)]
    assert len(paused["voice"]["finals"]) == 1 and paused["voice"]["cer"] <= 0.2, paused["voice"]
    # a later turn continues the session
    assert by_case[("spoken-010", 1)]["reply"]["session_id"] == by_case[("spoken-010", 0)]["reply"]["session_id"]
    cers = [r["voice"]["cer"] for r in results if r.get("voice") and r["voice"]["cer"] is not None]
    assert len(cers) == len(results) and sum(cers) / len(cers) < 0.15, cers
    passed = sum(not r["fails"] for r in results)
    assert passed >= len(results) - 2, [(r["case"], r["text"], r["fails"]) for r in results if r["fails"]]
