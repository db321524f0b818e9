"""Insurance settlement: the policy-driven engine that splits a bill into fund, personal account and cash."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from assistant.services.settlement.bill import price_item, price_items
from assistant.services.settlement.engine import SettlementEngine
from assistant.services.settlement.model import (
    BREAKDOWN_FIELDS,
    SETTINGS,
    BillItem,
    Reason,
    Settlement,
    SettlementError,
    SettlementRequest,
)
from assistant.services.settlement.policy import Policy, PolicyBook


def build_settlement_engine(policies: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> SettlementEngine:
    """What the app factory calls: ``build_settlement_engine(hospital.insurance_policy)``."""
    return SettlementEngine(policies)


__all__ = [
    "BREAKDOWN_FIELDS",
    "SETTINGS",
    "BillItem",
    "Policy",
    "PolicyBook",
    "Reason",
    "Settlement",
    "SettlementEngine",
    "SettlementError",
    "SettlementRequest",
    "build_settlement_engine",
    "price_item",
    "price_items",
]
