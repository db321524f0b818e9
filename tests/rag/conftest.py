"""Knowledge-base fixtures: one ingested sample hospital per test session (embedding it takes ~30 s)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from assistant.config import Settings
from rag.knowledge import KnowledgeBase


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("kb") / "data", environment="test", llm_enabled=False)


@pytest.fixture(scope="session")
def loaded_kb(kb_settings: Settings) -> KnowledgeBase:
    """The sample hospital, ingested once. Tests only read it (they use fresh bases to write)."""
    kb = KnowledgeBase(kb_settings)
    asyncio.run(kb.ensure_loaded())
    return kb


@pytest.fixture
def fresh_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", environment="test", llm_enabled=False)
