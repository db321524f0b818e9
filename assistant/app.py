"""The app factory: builds the store, bus, knowledge base, models and engine once, at start-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from asr.runtime import get_runtime
from assistant.actions.registry import build_actions, feature_actions
from assistant.api import (
    chat,
    errors,
    health,
    insurance,
    knowledge,
    payments,
    reports,
    staff,
    voice,
    web,
    wechat,
)
from assistant.clock import Clock
from assistant.config import Settings, get_settings
from assistant.dialogue.manager import DialogueManager
from assistant.engine import Engine
from assistant.hospital import load_hospital
from assistant.llm.client import LLMClient
from assistant.llm.embedded import EmbeddedLLMServer
from assistant.logging import setup_logging
from assistant.nlu import IntentRouter
from assistant.readiness import Readiness
from assistant.safety.hooks import SafetyHooks
from assistant.services.booking import build_booking_service
from assistant.services.container import Services
from assistant.services.payments import build_payment_service
from assistant.services.reports import ReportReader
from assistant.services.settlement import build_settlement_engine
from assistant.services.settlement.intake import wants_an_estimate
from assistant.services.triage.extract import describes_patient, has_current_symptom, mentions_condition
from assistant.services.triage.followup import adds_to_complaint
from assistant.session.bus import make_bus, session_topic
from assistant.staff.auth import StaffAccounts, TokenSigner, ensure_first_admin, load_or_create_secret
from assistant.store import repo
from assistant.store.db import Database
from integrations.phone import media_stream
from integrations.phone.lifespan import phone_lifespan
from rag.knowledge import KnowledgeBase

log = logging.getLogger(__name__)


async def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    settings.ensure_dirs()
    hospital = load_hospital(settings.hospital_dir)
    db = Database(settings.resolved_database_url)
    await db.migrate()
    if await repo.seed_hospital(db, hospital):
        log.info("loaded the hospital's departments, doctors and schedules", extra={"hospital": str(hospital.root)})
    clock = clock or Clock()
    services = Services(settings=settings, hospital=hospital, clock=clock, db=db, bus=make_bus(settings.redis_url))
    services.settlement = build_settlement_engine(hospital.insurance_policy)
    services.payments = build_payment_service(settings, db, clock)
    services.booking = build_booking_service(db, hospital, clock)
    services.reports = ReportReader(hospital)
    services.kb = KnowledgeBase(settings, hospital)
    return services


async def _every(seconds: float, job: Callable[[], Awaitable[object]], name: str) -> None:
    """Run a periodic housekeeping job until cancelled; a failing run is logged, never fatal."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await job()
        except Exception:
            log.exception("periodic job failed", extra={"job": name})


def build_engine(services: Services) -> Engine:
    nlu = IntentRouter.load(services.hospital)
    extra, forms, responses, slots = feature_actions(services)
    actions = build_actions(services, extra)
    safety = SafetyHooks()
    manager = DialogueManager(
        nlu=nlu, actions=actions, safety=safety, report_detector=services.reports.looks_like_report,
        symptom_detector=mentions_condition,
        faq_probe=_faq_probe(services),
        current_symptom=has_current_symptom,
        patient_detail=describes_patient,
        followup_detail=adds_to_complaint,
        estimate_question=wants_an_estimate,
        forms=forms, form_responses=responses, slots=slots,
    )
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
        background: list[asyncio.Task[None]] = [
            asyncio.create_task(_every(60, services.payments.close_expired, "close_expired_orders")),
            asyncio.create_task(_load_knowledge(services)),
        ]
        readiness.add("index", _async(services.kb.ready))
        readiness.add("llm", lambda: _llm_ready(services))
        readiness.add("speech", lambda: _speech_ready(app))
        llm_server = None
        if settings.llm_base_url and settings.llm_enabled:
            services.llm = LLMClient.from_settings(settings)
        elif settings.llm_enabled and settings.should_warm_up:
            llm_server = EmbeddedLLMServer(settings)
            background.append(asyncio.create_task(_start_embedded_llm(services, llm_server)))
        if settings.should_warm_up:
            background.append(asyncio.create_task(get_runtime(app.state).warm_up()))
        app.state.background = background
        app.state.channel_senders = {"wechat": _wechat_sender(app)}

        async def tell_patient(event: str, order: object) -> None:
            session_id = getattr(order, "session_id", None) or _session_of(order)
            if session_id:
                await services.bus.publish(
                    session_topic(session_id),
                    {"type": "payment", "event": event, "payment": order.payment_json()},  # type: ignore[attr-defined]
                )

        services.payments.subscribe(tell_patient)
        try:
            async with phone_lifespan(app):
                yield
        finally:
            await wechat.shutdown(app)
            if services.llm is not None:
                await services.llm.close()
            if llm_server is not None:
                await asyncio.to_thread(llm_server.stop)
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
    app.include_router(insurance.router)
    app.include_router(payments.router)
    app.include_router(reports.router)
    app.include_router(voice.router)
    app.include_router(media_stream.router)
    app.include_router(wechat.router)
    app.include_router(knowledge.router)
    app.include_router(web.router)
    return app


def _faq_probe(services: Services) -> Callable[[str, str], Awaitable[object | None]]:
    """A grounded extractive answer from the documents, or None (index not ready, or no answer)."""

    async def probe(text: str, lang: str) -> object | None:
        kb = services.kb
        if kb is None or not kb.ready():
            return None
        answer = await kb.answer(text, lang, llm=None)
        return None if answer.abstained else answer

    return probe


def _async(fn: Callable[[], object]) -> Callable[[], Awaitable[object]]:
    async def check() -> object:
        return fn()

    return check


async def _load_knowledge(services: Services) -> None:
    """Open the index; on first start with an empty index this ingests the sample hospital."""
    try:
        await services.kb.ensure_loaded()
        log.info("knowledge base ready", extra={"documents": len(await services.kb.list_documents())})
    except Exception:
        log.exception("knowledge base failed to load")


async def _start_embedded_llm(services: Services, server: EmbeddedLLMServer) -> None:
    """Start the packaged llama.cpp server; until it answers, FAQ answers stay extractive."""
    try:
        base_url = await asyncio.to_thread(server.start)
        services.llm = LLMClient.from_settings(services.settings, base_url=base_url)
        log.info("embedded LLM ready", extra={"base_url": base_url})
    except Exception:
        log.exception("embedded LLM did not start; answers stay extractive")


async def _llm_ready(services: Services) -> bool | str:
    if not services.settings.llm_enabled:
        return "disabled"
    if services.llm is None:
        return False if services.settings.should_warm_up or services.settings.llm_base_url else "disabled"
    return bool(await services.llm.health())


async def _speech_ready(app: FastAPI) -> bool | str:
    runtime = getattr(app.state, "voice", None)
    if runtime is not None and getattr(runtime, "_recognizer", None) is not None and getattr(runtime, "_speaker", None) is not None:
        return True  # both the recogniser and the voice are loaded (the voice loads TensorFlow: seconds of CPU)
    return False if app.state.settings.should_warm_up else "on first use"


def _session_of(order: object) -> str | None:
    """Orders made in a conversation carry ``session:<id>`` in their reference."""
    ref = str(getattr(order, "reference_id", "") or "")
    for part in ref.split("|"):
        if part.startswith("session:"):
            return part.split(":", 1)[1]
    return None


def _wechat_sender(app: FastAPI) -> Callable[[str, str], Awaitable[bool]]:
    """Staff replies to a WeChat conversation go out as customer-service messages."""

    async def send(session_id: str, text: str) -> bool:
        conv = await repo.get_conversation(app.state.services.db, session_id)
        user = (conv.external_user or "") if conv else ""
        if not user.startswith("wechat:"):
            return False
        adapter = await wechat.get_adapter(app)
        return bool(await adapter.push_text(user.split(":", 1)[1], text))

    return send
