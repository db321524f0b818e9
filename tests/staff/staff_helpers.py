"""Helpers the staff tests share: the real app under uvicorn with an administrator, a nurse and a
doctor (created through the admin API), logging in, and reading the audit log."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from server import running_server  # tests/ is on sys.path (rootdir conftest)
from sqlalchemy import select

from assistant.config import Settings
from assistant.store.db import Database
from assistant.store.models import AuditLog

ADMIN = ("chief", "chief-password-1")
NURSE = ("nurse1", "nurse-password-1")
DOCTOR = ("doctor1", "doctor-password-1")


@dataclass
class StaffServer:
    base: str
    settings: Settings
    _tokens: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    def login(self, user: tuple[str, str]) -> dict[str, str]:
        """Bearer headers for ``user`` (cached per module: argon2 is deliberately slow)."""
        cached = self._tokens.get(user)
        if cached is not None:
            return cached
        r = httpx.post(self.base + "/api/v1/staff/login", json={"username": user[0], "password": user[1]}, timeout=30)
        assert r.status_code == 200, r.text
        self._tokens[user] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self._tokens[user]

    def token(self, user: tuple[str, str]) -> str:
        return self.login(user)["Authorization"].split(" ", 1)[1]

    @property
    def ws(self) -> str:
        return self.base.replace("http://", "ws://")


def staff_settings(data_dir: Path, database_url: str | None = None) -> Settings:
    return Settings(
        data_dir=data_dir, environment="test", llm_enabled=False, admin_user=ADMIN[0], admin_password=ADMIN[1],
        database_url=database_url,
    )


@contextlib.contextmanager
def start_staff_server(data_dir: Path, database_url: str | None = None) -> Iterator[StaffServer]:
    settings = staff_settings(data_dir, database_url)
    with running_server(settings) as base:
        srv = StaffServer(base, settings)
        admin = srv.login(ADMIN)
        for user, role in ((NURSE, "nurse"), (DOCTOR, "doctor")):
            r = httpx.post(base + "/api/v1/staff/users", headers=admin, timeout=30,
                           json={"username": user[0], "password": user[1], "role": role, "display_name": role})
            assert r.status_code == 201, r.text
        yield srv


async def audit_rows(settings: Settings, **where: str) -> list[AuditLog]:
    db = Database(settings.resolved_database_url)
    try:
        async with db.session() as s:
            q = select(AuditLog).order_by(AuditLog.id)
            for k, v in where.items():
                q = q.where(getattr(AuditLog, k) == v)
            return list(await s.scalars(q))
    finally:
        await db.close()
