"""Reading what the real app stored: a WeChat user's conversation and its turns."""

from __future__ import annotations

from sqlalchemy import func, select

from assistant.config import Settings
from assistant.store.db import Database
from assistant.store.models import Conversation, Turn


async def stored_turns(settings: Settings, openid: str) -> list[Turn]:
    db = Database(settings.resolved_database_url)
    try:
        async with db.session() as s:
            conv_ids = list(await s.scalars(select(Conversation.id).where(Conversation.external_user == f"wechat:{openid}")))
            if not conv_ids:
                return []
            rows = await s.scalars(select(Turn).where(Turn.conversation_id.in_(conv_ids)).order_by(Turn.id))
            return list(rows)
    finally:
        await db.close()


async def conversations_of(settings: Settings, openid: str) -> list[Conversation]:
    db = Database(settings.resolved_database_url)
    try:
        async with db.session() as s:
            return list(await s.scalars(select(Conversation).where(Conversation.external_user == f"wechat:{openid}")))
    finally:
        await db.close()


async def count_turns(settings: Settings) -> int:
    db = Database(settings.resolved_database_url)
    try:
        async with db.session() as s:
            return int(await s.scalar(select(func.count()).select_from(Turn)) or 0)
    finally:
        await db.close()
