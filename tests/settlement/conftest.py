"""Fixtures for the settlement tests: a tiny app with the insurance router and real hospital data."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI

from assistant.api.insurance import router
from assistant.clock import FixedClock
from assistant.services.container import Services
from assistant.services.settlement import build_settlement_engine


@pytest.fixture
def insurance_app(settings, hospital) -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    app.state.services = Services(
        settings=settings,
        hospital=hospital,
        clock=FixedClock(datetime(2026, 11, 23, 10, 0)),
        settlement=build_settlement_engine(hospital.insurance_policy),
    )
    return app


@pytest.fixture
async def client(insurance_app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=insurance_app), base_url="http://test") as c:
        yield c
