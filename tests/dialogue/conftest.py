"""One engine per test over the sample hospital at a fixed time (Monday 23 November 2026, 10:00):
``engine`` without the documents loaded, ``kb_engine`` with them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from assistant.app import build_engine, build_services
from assistant.clock import FixedClock

NOW = datetime(2026, 11, 23, 10, 0)


@contextlib.asynccontextmanager
async def _engine(settings, load_documents: bool) -> AsyncIterator:  # type: ignore[no-untyped-def]
    services = await build_services(settings, clock=FixedClock(NOW))
    try:
        if load_documents:
            await services.kb.ensure_loaded()
        yield build_engine(services)
    finally:
        await services.bus.close()
        await services.db.close()


@pytest.fixture
async def engine(settings):
    async with _engine(settings, load_documents=False) as eng:
        yield eng


@pytest.fixture
async def kb_engine(settings):
    async with _engine(settings, load_documents=True) as eng:
        yield eng
