"""Turns bill lines as clients send them (a fee item code and a quantity, or a name, amount and
category) into priced ``BillItem``s, checked against the hospital's fee list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol

from assistant.services.settlement.model import FEN, BillItem, SettlementError


class FeeItemLike(Protocol):
    item_code: str
    name_zh: str
    category: str
    unit_price_cny: Decimal


def _number(value: Any, field: str, index: int) -> Decimal:
    if isinstance(value, bool):
        raise SettlementError("invalid_number", f"items[{index}].{field} must be a number")
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise SettlementError("invalid_number", f"items[{index}].{field} must be a number") from None
    if not d.is_finite():
        raise SettlementError("invalid_number", f"items[{index}].{field} must be a finite number")
    return d


def price_item(raw: Mapping[str, Any], fee_items: Mapping[str, FeeItemLike], index: int = 0) -> BillItem:
    code = raw.get("fee_item_code")
    qty_raw = raw.get("quantity")
    quantity = Decimal(1) if qty_raw is None else _number(qty_raw, "quantity", index)
    if quantity < 0:
        raise SettlementError("negative_quantity", f"items[{index}].quantity must not be negative (got {quantity})")
    if quantity == 0:
        raise SettlementError("invalid_quantity", f"items[{index}].quantity must be greater than 0")
    amount_raw = raw.get("amount_cny")
    amount = None if amount_raw is None else _number(amount_raw, "amount_cny", index)
    if amount is not None and amount < 0:
        raise SettlementError("negative_amount", f"items[{index}].amount_cny must not be negative (got {amount})")
    category = raw.get("category")
    if code:
        fee = fee_items.get(str(code))
        if fee is None:
            raise SettlementError("unknown_fee_item", f"items[{index}]: no fee item with code {code!r}")
        priced = (fee.unit_price_cny * quantity).quantize(FEN, rounding=ROUND_HALF_UP)
        if amount is not None and amount != priced:
            raise SettlementError(
                "amount_mismatch",
                f"items[{index}]: {code} × {quantity} costs {priced:.2f} CNY by the fee list, not {amount}",
            )
        if category is not None and category != fee.category:
            raise SettlementError(
                "category_mismatch", f"items[{index}]: {code} is category {fee.category}, not {category}"
            )
        return BillItem(
            name_zh=raw.get("name_zh") or fee.name_zh,
            amount_cny=priced,
            category=fee.category,
            fee_item_code=fee.item_code,
            quantity=quantity,
        )
    if amount is None or category is None:
        raise SettlementError(
            "incomplete_item",
            f"items[{index}] needs either fee_item_code (and quantity) or amount_cny and category",
        )
    if amount != amount.quantize(FEN):
        raise SettlementError("amount_precision", f"items[{index}].amount_cny has more than two decimals")
    return BillItem(
        name_zh=str(raw.get("name_zh") or f"项目{index + 1}"),
        amount_cny=amount,
        category=str(category),
        fee_item_code=None,
        quantity=quantity,
    )


def price_items(raw_items: Iterable[Mapping[str, Any]], fee_items: Mapping[str, FeeItemLike]) -> tuple[BillItem, ...]:
    items = tuple(price_item(raw, fee_items, i) for i, raw in enumerate(raw_items))
    if not items:
        raise SettlementError("empty_bill", "items must list at least one bill line")
    return items
