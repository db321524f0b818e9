"""Typed inputs and outputs of a settlement: the bill items, the patient's insurance situation, the breakdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

FEN = Decimal("0.01")

# Field names of the breakdown, exactly as in insurance_policy.json's worked examples.
BREAKDOWN_FIELDS = (
    "total",
    "class_a",
    "class_b",
    "class_b_self_pay_first",
    "class_c",
    "policy_scope",
    "deductible_applied",
    "fund_pays",
    "ratio_self_pay",
    "personal_policy_scope_burden",
    "personal_account_pays",
    "cash_pays",
)

SETTINGS = ("outpatient", "inpatient", "chronic_outpatient", "special_outpatient")


class SettlementError(ValueError):
    """A request the engine cannot settle; ``code`` is stable for API clients."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class BillItem:
    """One line of a bill, already priced: ``amount_cny`` is the line total in yuan."""

    name_zh: str
    amount_cny: Decimal
    category: str  # 甲 | 乙 | 丙
    fee_item_code: str | None = None
    quantity: Decimal = Decimal(1)


@dataclass(frozen=True)
class SettlementRequest:
    plan: str  # employee | resident
    personnel_category: str | None  # active | retired (employee); None or "resident" (resident)
    setting: str  # outpatient | inpatient | chronic_outpatient | special_outpatient
    items: tuple[BillItem, ...]
    tier: str | None = None  # tier1..tier3; None = the hospital's own tier from the policy
    # Outpatient: the annual deductible already reached this year. Special outpatient: the
    # once-a-year special-outpatient deductible already paid this year.
    deductible_already_paid_cny: Decimal = Decimal(0)
    admission_index_in_year: int = 1  # inpatient: 1 = first admission this calendar year
    personal_account_balance_cny: Decimal | None = None  # None = covers all it may
    # What the fund already paid this year, for the annual limits and the cap (0 if unknown).
    fund_paid_this_year_in_setting_cny: Decimal = Decimal(0)
    fund_paid_this_year_total_cny: Decimal = Decimal(0)
    deposit_cny: Decimal | None = None  # inpatient deposit, gives deposit_refund
    policy_year: int | None = None  # None = the newest policy loaded


@dataclass(frozen=True)
class Reason:
    """One line of explanation, in both languages, with the amount it explains."""

    code: str
    zh: str
    en: str
    amount: Decimal | None = None


@dataclass(frozen=True)
class Settlement:
    total: Decimal
    class_a: Decimal
    class_b: Decimal
    class_b_self_pay_first: Decimal
    class_c: Decimal
    policy_scope: Decimal
    deductible_applied: Decimal
    fund_pays: Decimal
    ratio_self_pay: Decimal
    personal_policy_scope_burden: Decimal
    personal_account_pays: Decimal
    cash_pays: Decimal
    over_limit_self_pay: Decimal = Decimal(0)
    deposit_refund: Decimal | None = None
    deposit_balance_due: Decimal | None = None
    ratio: Decimal = Decimal(0)
    deductible_standard: Decimal = Decimal(0)
    policy_year: int = 0
    plan: str = ""
    personnel_category: str | None = None
    setting: str = ""
    tier: str = ""
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    def breakdown(self) -> dict[str, Decimal]:
        """The worked-example fields (plus deposit_refund when a deposit was given)."""
        out = {name: getattr(self, name) for name in BREAKDOWN_FIELDS}
        if self.deposit_refund is not None:
            out["deposit_refund"] = self.deposit_refund
        return out

    def to_json(self) -> dict[str, object]:
        """JSON-ready: amounts as numbers in yuan rounded to the fen, plus the reason lines."""
        out: dict[str, object] = {k: float(v) for k, v in self.breakdown().items()}
        out["over_limit_self_pay"] = float(self.over_limit_self_pay)
        if self.deposit_balance_due is not None:
            out["deposit_balance_due"] = float(self.deposit_balance_due)
        out.update(
            policy_year=self.policy_year,
            plan=self.plan,
            personnel_category=self.personnel_category,
            setting=self.setting,
            tier=self.tier,
            reimbursement_ratio=float(self.ratio),
            deductible_standard=float(self.deductible_standard),
            explanation={
                "zh": [r.zh for r in self.reasons],
                "en": [r.en for r in self.reasons],
            },
            reasons=[
                {"code": r.code, "zh": r.zh, "en": r.en, "amount": None if r.amount is None else float(r.amount)}
                for r in self.reasons
            ],
        )
        return out

    @property
    def amounts_fen(self) -> dict[str, int]:
        return {k: int((v * 100).to_integral_value()) for k, v in self.breakdown().items()}
