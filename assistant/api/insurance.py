"""``POST /api/v1/insurance/estimate``: the settlement estimate for a bill (kiosks, the HIS).

A thin router: it parses the request (numbers as exact decimals), prices the items from the
hospital's fee list and hands them to the settlement engine on ``app.state.services``.
Every refusal is ``{"error": {"code", "message"}}`` with a 4xx status.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.services.settlement import (
    SettlementEngine,
    SettlementError,
    SettlementRequest,
    price_items,
)

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/insurance", tags=["insurance"])


class EstimateItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    fee_item_code: str | None = None
    quantity: Decimal | None = None
    name_zh: str | None = None
    amount_cny: Decimal | None = None
    category: str | None = None


class EstimateRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    plan: str
    personnel_category: str | None = None
    setting: str = "outpatient"
    tier: str | None = None
    deductible_already_paid_cny: Decimal = Decimal(0)
    admission_index_in_year: int = 1
    personal_account_balance_cny: Decimal | None = None
    items: list[EstimateItem] = Field(default_factory=list)
    # Extensions beyond the contract, all optional.
    fund_paid_this_year_cny: Decimal = Decimal(0)  # the fund's payments this year in this setting
    fund_paid_this_year_total_cny: Decimal = Decimal(0)  # all settings, for the annual cap
    deposit_cny: Decimal | None = None
    policy_year: int | None = None


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _engine(request: Request) -> tuple[SettlementEngine, Any]:
    services = request.app.state.services
    hospital = services.hospital
    engine = getattr(services, "settlement", None)
    if engine is None:
        engine = SettlementEngine(hospital.insurance_policy)
        services.settlement = engine
    return engine, hospital


def to_settlement_request(body: EstimateRequest, fee_items: Any) -> SettlementRequest:
    items = price_items([i.model_dump() for i in body.items], fee_items)
    return SettlementRequest(
        plan=body.plan,
        personnel_category=body.personnel_category,
        setting=body.setting,
        tier=body.tier,
        items=items,
        deductible_already_paid_cny=body.deductible_already_paid_cny,
        admission_index_in_year=body.admission_index_in_year,
        personal_account_balance_cny=body.personal_account_balance_cny,
        fund_paid_this_year_in_setting_cny=body.fund_paid_this_year_cny,
        fund_paid_this_year_total_cny=body.fund_paid_this_year_total_cny,
        deposit_cny=body.deposit_cny,
        policy_year=body.policy_year,
    )


@router.post("/estimate")
async def estimate(request: Request) -> JSONResponse:
    raw = await request.body()
    try:
        data = json.loads(raw or b"null", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        return error(400, "invalid_json", "the request body must be JSON")
    if not isinstance(data, dict):
        return error(400, "invalid_request", "the request body must be a JSON object")
    try:
        body = EstimateRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error(422, "invalid_request", f"{where}: {first.get('msg', 'invalid value')}")
    engine, hospital = _engine(request)
    try:
        req = to_settlement_request(body, hospital.fee_items)
        settlement = engine.settle(req)
    except SettlementError as exc:
        log.info("estimate refused: %s", exc.code)
        return error(422, exc.code, exc.message)
    out = settlement.to_json()
    out["items"] = [
        {
            "fee_item_code": it.fee_item_code,
            "name_zh": it.name_zh,
            "quantity": float(it.quantity),
            "amount_cny": float(it.amount_cny),
            "category": it.category,
        }
        for it in req.items
    ]
    return JSONResponse(out)
