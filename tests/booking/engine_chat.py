"""Drives the real engine in-process (build_services + build_engine, the app's own assembly) one
patient turn at a time, and reads the store it wrote, for the booking and payment conversation tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from assistant.api.schemas import ChatReply
from assistant.app import build_engine, build_services
from assistant.clock import FixedClock
from assistant.config import Settings
from assistant.engine import Engine
from assistant.events import UserText
from assistant.services.container import Services
from assistant.session.state import TrackerState
from assistant.store import repo
from assistant.store.booking_tables import AppointmentRow


async def start(data_dir: Path, clock: FixedClock, database_url: str | None = None, **settings: Any) -> tuple[Services, Engine]:
    cfg = Settings(data_dir=data_dir, environment="test", llm_enabled=False, database_url=database_url, **settings)
    services = await build_services(cfg, clock=clock)
    return services, build_engine(services)


async def stop(services: Services) -> None:
    await services.bus.close()
    await services.db.close()


class Chat:
    """One conversation: ``await chat("明天上午心内科还有号吗")`` returns the contract's reply."""

    def __init__(self, engine: Engine, lang: str | None = None, channel: str = "web") -> None:
        self.engine, self.lang, self.channel = engine, lang, channel
        self.session_id: str | None = None
        self.replies: list[ChatReply] = []

    async def __call__(self, text: str, lang: str | None = None) -> ChatReply:
        reply = await self.engine.handle(UserText(session_id=self.session_id, text=text, lang=lang or self.lang, channel=self.channel))
        self.session_id = reply.session_id
        self.replies.append(reply)
        return reply

    async def slots(self) -> dict[str, Any]:
        """The conversation's slots as the engine stored them."""
        conv = await repo.get_conversation(self.engine.services.db, self.session_id or "")
        return dict(TrackerState.from_json(conv.state or {}, conv.id).slots) if conv is not None else {}


async def appointments(services: Services, **where: Any) -> list[AppointmentRow]:
    async with services.db.session() as s:
        q = select(AppointmentRow)
        for k, v in where.items():
            q = q.where(getattr(AppointmentRow, k) == v)
        return list((await s.scalars(q.order_by(AppointmentRow.created_at))).all())


async def count(services: Services, **where: Any) -> int:
    async with services.db.session() as s:
        q = select(func.count()).select_from(AppointmentRow)
        for k, v in where.items():
            q = q.where(getattr(AppointmentRow, k) == v)
        return int(await s.scalar(q) or 0)
