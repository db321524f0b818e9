"""50 clients race for the last free slot on the real PostgreSQL: exactly one gets it, the others are
told and offered the next free slots, and the database holds one appointment for that slot."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select

from assistant.services.booking import PatientInfo, build_booking_service
from assistant.store.booking_tables import AppointmentRow

from .conftest import make_id

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_fifty_clients_race_for_the_last_slot(pg_db, hospital, clock):
    svc = build_booking_service(pg_db, hospital, clock)
    day = date(2026, 11, 24)
    free = await svc.available(doctor_id="DR002", dates=[day], session="AM")
    for i, s in enumerate(free[:-1]):  # fill all but the last online slot of the session
        assert (await svc.book(s.key, PatientInfo(f"先到{i}", make_id("19700101", f"{100 + i}"), "13900000000"), owner=f"early-{i}")).ok
    last = free[-1]
    assert [s.key for s in await svc.available(doctor_id="DR002", dates=[day], session="AM")] == [last.key]

    async def client(i: int):
        return await svc.book(last.key, PatientInfo(f"客户{i}", make_id("19900101", f"{200 + i}"), f"139{i:08d}"), owner=f"racer-{i}")

    results = await asyncio.gather(*(client(i) for i in range(50)))
    winners = [r for r in results if r.ok]
    losers = [r for r in results if not r.ok]
    assert len(winners) == 1 and winners[0].appointment.status == "confirmed"
    assert len(losers) == 49
    assert all(r.reason == "slot_taken" for r in losers)
    assert all(r.alternatives and last.key not in {a.key for a in r.alternatives} for r in losers)
    async with pg_db.session() as s:
        n = await s.scalar(
            select(func.count()).select_from(AppointmentRow).where(
                AppointmentRow.doctor_id == "DR002", AppointmentRow.date == day, AppointmentRow.session == "AM",
                AppointmentRow.slot_index == last.ref.index,
            )
        )
    assert n == 1
