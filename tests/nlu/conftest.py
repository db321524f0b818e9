"""Fixtures for the NLU tests: a fixed hospital time and trained routers (full and held-out)."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.clock import TZ, FixedClock
from assistant.hospital import HospitalData
from assistant.nlu import IntentRouter

# Monday 23 November 2026, 10:00 hospital time
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)


@pytest.fixture(scope="session")
def now() -> datetime:
    return NOW


@pytest.fixture(scope="session")
def router(hospital: HospitalData) -> IntentRouter:
    return IntentRouter.load(hospital, clock=FixedClock(NOW))


@pytest.fixture(scope="session")
def heldout_router(hospital: HospitalData) -> IntentRouter:
    return IntentRouter.load(hospital, clock=FixedClock(NOW), holdout=True)
