"""The app factory: builds the store, bus, knowledge base, models and engine once, at start-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from assistant.actions.registry import build_actions, feature_actions
from assistant.api import chat, errors, health, staff
from assistant.clock import Clock
from assistant.config import Settings, get_settings
from assistant.dialogue.manager import DialogueManager
from assistant.engine import Engine
from assistant.hospital import load_hospital
from assistant.logging import setup_logging
from assistant.nlu import IntentRouter
from assistant.readiness import Readiness
from assistant.safety.hooks import SafetyHooks
from assistant.services.container import Services
from assistant.session.bus import make_bus
from assistant.staff.auth import StaffAccounts, TokenSigner, ensure_first_admin, load_or_create_secret
from assistant.store import repo
from assistant.store.db import Database

log = logging.getLogger(__name__)


async def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    settings.ensure_dirs()
    hospital = load_hospital(settings.hospital_dir)
    db = Database(settings.resolved_database_url)
    await db.migrate()
    if await repo.seed_hospital(db, hospital):
        log.info("loaded the hospital's departments, doctors and schedules", extra={"hospital": str(hospital.root)})
    return Services(settings=settings, hospital=hospital, clock=clock or Clock(), db=db, bus=make_bus(settings.redis_url))


def build_engine(services: Services) -> Engine:
    nlu = IntentRouter.load(services.hospital)
    extra, forms, responses = feature_actions(services)
    actions = build_actions(services, extra)
    safety = SafetyHooks()
    manager = DialogueManager(nlu=nlu, actions=actions, safety=safety, forms=forms, form_responses=responses)
    return Engine(services, manager, guard=safety.guard)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    readiness = Readiness()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        setup_logging(settings.log_level, settings.log_json)
        services = await build_services(settings, clock)
        app.state.services = services
        app.state.engine = build_engine(services)
        secret = load_or_create_secret(settings.secret_key, settings.data_dir)
        app.state.token_signer = TokenSigner(secret, settings.token_ttl_minutes)
        generated = await ensure_first_admin(
            StaffAccounts(services.db, services.clock), settings.admin_user, settings.admin_password
        )
        if generated:
            # Printed once, to the operator's terminal; never logged.
            print(
                f"Created the first staff administrator: user {settings.admin_user or 'admin'} "
                f"password {generated} (shown once; change it in the console).",
                flush=True,
            )
        readiness.add("store", services.db.ping)
        readiness.add("bus", services.bus.ping)
        background: list[asyncio.Task[None]] = []
        app.state.background = background
        try:
            yield
        finally:
            for task in background:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            await services.bus.close()
            await services.db.close()

    app = FastAPI(
        title="Patient Assistant",
        description="A hospital's patient assistant: triage, booking, reports, insurance and questions.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.readiness = readiness
    errors.install(app)
    app.include_router(health.router)
    app.include_router(chat.router)
    app.include_router(staff.router)
    return app
