"""Booking fixtures: a migrated store (SQLite, or the real PostgreSQL), a fixed hospital clock, the service."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.clock import TZ, FixedClock
from assistant.services.booking import build_booking_service
from assistant.store.db import Database

# Monday 2026-11-23 10:00 in the hospital: 11-24 is a Tuesday; 11-30 was released at 08:00 today.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


async def _db(url: str) -> Database:
    database = Database(url)
    await database.migrate()
    return database


@pytest.fixture
async def sqlite_db(tmp_path):
    database = await _db(f"sqlite+aiosqlite:///{tmp_path / 'booking.db'}")
    yield database
    await database.close()


@pytest.fixture
async def pg_db(pg_url):
    database = await _db(pg_url)
    yield database
    await database.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'booking.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    database = await _db(url)
    yield database
    await database.close()


@pytest.fixture
def service(db, hospital, clock):
    return build_booking_service(db, hospital, clock)


def make_id(birth: str, seq: str = "123", area: str = "330106") -> str:
    """A valid GB 11643 ID number for a birth date YYYYMMDD (fictional area and sequence)."""
    from assistant.safety.pii import id_check_digit

    first17 = f"{area}{birth}{seq}"
    return first17 + id_check_digit(first17)


@pytest.fixture
def services(db, hospital, clock, settings):
    from assistant.services.container import Services

    return Services(settings=settings, hospital=hospital, clock=clock, db=db, booking=build_booking_service(db, hospital, clock))
