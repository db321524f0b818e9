"""Booking load benchmark: confirmed bookings per second under concurrent clients and the p95 latency
of one booking operation (hold + confirm), on PostgreSQL when PA_DATABASE_URL is set, else SQLite.

    .venv/bin/python benchmarks/booking.py [--clients 20] [--bookings 400]

Point PA_DATABASE_URL at a scratch database: the benchmark migrates it and writes appointments.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.clock import TZ, FixedClock  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.hospital import cached_hospital  # noqa: E402
from assistant.safety.pii import id_check_digit  # noqa: E402
from assistant.services.booking import PatientInfo, build_booking_service  # noqa: E402
from assistant.store.db import Database  # noqa: E402


def patient(i: int) -> PatientInfo:
    first17 = f"330106{1950 + i % 50}0101{i % 1000:03d}"
    # Vary the birth month/day too so every patient is distinct.
    first17 = first17[:10] + f"{1 + i // 1000 % 12:02d}{1 + i // 12000 % 28:02d}" + first17[14:]
    return PatientInfo(f"压测{i}", first17 + id_check_digit(first17), f"139{i:08d}")


async def main(clients: int, bookings: int) -> None:
    url = os.environ.get("PA_DATABASE_URL")
    tmp = None
    if not url:
        tmp = tempfile.mkdtemp(prefix="pa-bench-")
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
    db = Database(url)
    await db.migrate()
    hospital = cached_hospital(str(Settings().hospital_dir))
    svc = build_booking_service(db, hospital, FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=TZ)))
    free = []
    for dept in hospital.departments:  # adult patients: skip the children-only clinic
        if dept == "pediatrics":
            continue
        free += await svc.available(dept_id=dept)
    random.seed(7)
    random.shuffle(free)
    queue = free[:bookings]
    latencies: list[float] = []
    outcomes = {"confirmed": 0, "refused": 0}
    reasons: dict[str, int] = {}
    lock = asyncio.Lock()
    counter = iter(range(10**9))

    async def client() -> None:
        while True:
            async with lock:
                if not queue:
                    return
                slot = queue.pop()
                i = next(counter)
            t0 = time.perf_counter()
            res = await svc.book(slot.key, patient(i), owner=f"bench-{i}")
            latencies.append(time.perf_counter() - t0)
            outcomes["confirmed" if res.ok else "refused"] += 1
            if not res.ok:
                reasons[res.reason] = reasons.get(res.reason, 0) + 1

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - t0
    await db.close()
    lat = sorted(latencies)
    p95 = lat[int(0.95 * (len(lat) - 1))] * 1000
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(f"backend={backend} clients={clients} operations={len(lat)} free_slots_in_window={len(free)}")
    print(f"confirmed={outcomes['confirmed']} refused={outcomes['refused']} {reasons} wall_s={wall:.2f}")
    print(f"confirmed_bookings_per_s={outcomes['confirmed'] / wall:.1f}")
    print(f"booking_latency_ms p50={statistics.median(lat) * 1000:.1f} p95={p95:.1f} max={lat[-1] * 1000:.1f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--bookings", type=int, default=400)
    a = ap.parse_args()
    asyncio.run(main(a.clients, a.bookings))
