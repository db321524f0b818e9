"""The embedded llama.cpp server (real process, packaged Qwen2.5 0.5B GGUF) behind the one
OpenAI-compatible client: streaming, JSON, the verifier rejecting an ungrounded answer, and a clean
fallback to the extractive answer when the server is down or too slow."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.llm.client import LLMClient, LLMUnavailable
from assistant.llm.embedded import EmbeddedLLMServer, free_port
from rag.answer import verify
from rag.knowledge import KnowledgeBase

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARKING = ("---\nid: parking_rules\ntitle: 停车收费\n---\n# 停车收费\n\n## 收费标准\n\n"
           "停车30分钟以内免费。30分钟至2小时收5元。超过2小时后每小时加收3元。连续24小时内最高收费40元。\n")


@pytest.fixture(scope="module")
def llm_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("llm") / "data", environment="test", llm_timeout_s=60)


@pytest.fixture(scope="module")
def server(llm_settings: Settings) -> Iterator[EmbeddedLLMServer]:
    srv = EmbeddedLLMServer(llm_settings)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
        assert srv.proc is None


@pytest.fixture(scope="module")
def kb(llm_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    import asyncio

    doc = tmp_path_factory.mktemp("docs") / "parking.md"
    doc.write_text(PARKING, encoding="utf-8")
    kb = KnowledgeBase(llm_settings)
    asyncio.run(kb.ingest([doc], progress=False))
    return kb


async def test_streams_tokens_and_returns_json(server: EmbeddedLLMServer, llm_settings: Settings) -> None:
    client = LLMClient(server.base_url, llm_settings.llm_model, timeout_s=60)
    assert await client.health()
    pieces = [p async for p in client.stream([{"role": "user", "content": "请用一句话说：你好。"}], max_tokens=24)]
    assert len(pieces) > 1 and "".join(pieces).strip()
    value = await client.chat_json([{"role": "user", "content": 'Reply with the JSON object {"ok": true}.'}], max_tokens=20)
    assert isinstance(value, dict)
    await client.close()


class LyingClient(LLMClient):
    """The real server, but told to state a fee the documents never give: the verifier must catch it."""

    raw: str = ""

    async def chat(self, messages: list[dict[str, str]], **kwargs: Any) -> str:
        self.raw = await super().chat(
            [{"role": "user", "content": "请原样输出这句话，不要输出其他内容：停车每小时收费99元，详询0571-1234-5678。"}],
            max_tokens=40, temperature=0.0)
        return self.raw


async def test_verifier_rejects_an_ungrounded_answer(server: EmbeddedLLMServer, kb: KnowledgeBase,
                                                     llm_settings: Settings) -> None:
    liar = LyingClient(server.base_url, llm_settings.llm_model, timeout_s=60)
    answer = await kb.answer("停车怎么收费", "zh", llm=liar)
    assert liar.raw  # the model did answer ...
    assert not verify(liar.raw, [PARKING]).ok  # ... with facts the document does not contain
    assert answer.source == "extractive" and not answer.abstained  # so the extractive answer was sent
    assert "99" not in answer.text and "30分钟以内免费" in answer.text
    assert answer.citations[0]["doc_id"] == "parking_rules"


async def test_grounded_llm_answer_is_verified(server: EmbeddedLLMServer, kb: KnowledgeBase,
                                               llm_settings: Settings) -> None:
    client = LLMClient(server.base_url, llm_settings.llm_model, timeout_s=60)
    answer = await kb.answer("停车两个小时以内收多少钱", "zh", llm=client)
    print("\nsource:", answer.source, "|", answer.text)
    assert not answer.abstained and answer.citations[0]["doc_id"] == "parking_rules"
    assert verify(answer.text, [PARKING]).ok  # whichever path produced it, every fact is grounded


async def test_fallback_when_the_server_is_down(kb: KnowledgeBase, llm_settings: Settings) -> None:
    down = LLMClient(f"http://127.0.0.1:{free_port()}/v1", llm_settings.llm_model, timeout_s=2, max_retries=0)
    assert not await down.health()
    with pytest.raises(LLMUnavailable):
        await down.chat([{"role": "user", "content": "hi"}])
    with pytest.raises(LLMUnavailable):
        async for _ in down.stream([{"role": "user", "content": "hi"}]):
            pass
    started = time.monotonic()
    answer = await kb.answer("停车怎么收费", "zh", llm=down)
    assert time.monotonic() - started < 5
    assert answer.source == "extractive" and not answer.abstained and "30分钟以内免费" in answer.text


async def test_fallback_when_the_server_is_slow(server: EmbeddedLLMServer, kb: KnowledgeBase,
                                                llm_settings: Settings) -> None:
    slow = LLMClient(server.base_url, llm_settings.llm_model, timeout_s=0.3, max_retries=0)
    started = time.monotonic()
    answer = await kb.answer("停车怎么收费", "zh", llm=slow)
    assert time.monotonic() - started < 5
    assert answer.source == "extractive" and "30分钟以内免费" in answer.text


def test_model_is_assembled_once_and_checked(llm_settings: Settings, server: EmbeddedLLMServer) -> None:
    from assistant.llm.embedded import GGUF_NAME, GGUF_SIZE, ensure_model

    path = ensure_model(llm_settings)
    assert path == llm_settings.model_cache_dir / GGUF_NAME and path.stat().st_size == GGUF_SIZE
    assert not list(Path(llm_settings.model_cache_dir).glob("*.part-*"))  # no half-written leftovers
