"""The services an action may use, built once at start-up (see assistant/app.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.clock import Clock
from assistant.config import Settings
from assistant.hospital import HospitalData


@dataclass
class Services:
    settings: Settings
    hospital: HospitalData
    clock: Clock
    db: Any = None  # assistant.store.db.Database
    kb: Any = None  # rag.knowledge.KnowledgeBase
    llm: Any = None  # assistant.llm.client.LLMClient
    bus: Any = None  # assistant.session.bus.Bus
    booking: Any = None  # assistant.services.booking.BookingService
    settlement: Any = None  # assistant.services.settlement.SettlementEngine
    payments: Any = None  # assistant.services.payments.PaymentService
    reports: Any = None  # assistant.services.reports.ReportReader
    asr: Any = None  # asr.whisper.Recognizer
    tts: Any = None  # asr.tts.Synthesizer
