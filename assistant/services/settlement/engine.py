"""The settlement engine: splits a bill into what the insurance fund, the personal account and the
patient's cash pay, following the policy's calculation order in exact decimal arithmetic.

Rounding: every share the fund pays is rounded to the fen (half-up, as the policy says) first and
the patient's share is the remainder, so the parts always add up to the total.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from assistant.services.settlement.explain import explain
from assistant.services.settlement.model import (
    FEN,
    SETTINGS,
    Settlement,
    SettlementError,
    SettlementRequest,
)
from assistant.services.settlement.policy import Policy, PolicyBook

ZERO = Decimal(0)


def _non_negative(value: Decimal | None, field: str) -> None:
    if value is not None and value < 0:
        raise SettlementError(f"negative_{field}", f"{field} must not be negative (got {value})")


class SettlementEngine:
    """Settles bills under the policy year in force. Pure: no clock, store or web."""

    def __init__(self, policies: PolicyBook | Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> None:
        self.book = policies if isinstance(policies, PolicyBook) else PolicyBook(policies)

    @property
    def policy(self) -> Policy:
        return self.book.latest

    # -- validation ------------------------------------------------------------------------
    def _personnel(self, policy: Policy, plan: str, pc: str | None) -> str:
        allowed = policy.personnel_categories(plan)
        if len(allowed) == 1:
            if pc is None or pc == allowed[0]:
                return allowed[0]
            raise SettlementError(
                "personnel_category_not_applicable",
                f"plan {plan!r} does not distinguish personnel categories; send personnel_category null",
            )
        if pc is None:
            raise SettlementError(
                "personnel_category_required", f"plan {plan!r} needs personnel_category: {' | '.join(allowed)}"
            )
        if pc not in allowed:
            raise SettlementError(
                "unknown_personnel_category", f"personnel_category for {plan!r} must be {' | '.join(allowed)}; got {pc!r}"
            )
        return pc

    def _validate(self, policy: Policy, req: SettlementRequest) -> tuple[str, str]:
        policy.plan(req.plan)
        pc = self._personnel(policy, req.plan, req.personnel_category)
        tier = req.tier or policy.hospital_tier
        if tier not in policy.tiers:
            raise SettlementError("unknown_tier", f"tier must be one of {', '.join(policy.tiers)}; got {tier!r}")
        if req.setting not in SETTINGS:
            raise SettlementError("unknown_setting", f"setting must be one of {', '.join(SETTINGS)}; got {req.setting!r}")
        if not req.items:
            raise SettlementError("empty_bill", "items must list at least one bill line")
        for i, item in enumerate(req.items):
            policy.category(item.category)
            if item.amount_cny < 0:
                raise SettlementError("negative_amount", f"items[{i}].amount_cny must not be negative")
            if item.quantity <= 0:
                raise SettlementError(
                    "negative_quantity" if item.quantity < 0 else "invalid_quantity",
                    f"items[{i}].quantity must be greater than 0",
                )
            if item.amount_cny != item.amount_cny.quantize(FEN):
                raise SettlementError("amount_precision", f"items[{i}].amount_cny has more than two decimals")
        _non_negative(req.deductible_already_paid_cny, "deductible_already_paid_cny")
        _non_negative(req.personal_account_balance_cny, "personal_account_balance_cny")
        _non_negative(req.fund_paid_this_year_in_setting_cny, "fund_paid_this_year_in_setting_cny")
        _non_negative(req.fund_paid_this_year_total_cny, "fund_paid_this_year_total_cny")
        _non_negative(req.deposit_cny, "deposit_cny")
        if req.admission_index_in_year < 1:
            raise SettlementError("invalid_admission_index", "admission_index_in_year must be 1 or more")
        return pc, tier

    # -- settlement ------------------------------------------------------------------------
    def settle(self, req: SettlementRequest) -> Settlement:
        policy = self.book.for_year(req.policy_year)
        pc, tier = self._validate(policy, req)
        r = policy.round

        # 1-3: category sums; covered categories with a self-pay-first share; policy scope.
        sums: dict[str, Decimal] = {}
        for item in req.items:
            sums[item.category] = sums.get(item.category, ZERO) + item.amount_cny
        class_a = class_b = class_c = self_pay_first = ZERO
        for name, amount in sums.items():
            cat = policy.category(name)
            if not cat.get("covered", False):
                class_c += amount
                continue
            share = Decimal(str(cat.get("self_pay_share_first", 0)))
            if share > 0:
                class_b += amount
                self_pay_first += r(amount * share)
            else:
                class_a += amount
        total = class_a + class_b + class_c
        policy_scope = class_a + class_b - self_pay_first

        # 4: the deductible still open for this setting.
        limit: Decimal | None = None
        if req.setting == "outpatient":
            standard, ratio, limit = policy.outpatient(req.plan, pc, tier)
            open_deductible = max(ZERO, standard - req.deductible_already_paid_cny)
        elif req.setting == "inpatient":
            first, ratio, factor = policy.inpatient(req.plan, pc, tier)
            standard = r(first * factor) if req.admission_index_in_year >= 2 else first
            open_deductible = standard
        elif req.setting == "chronic_outpatient":
            standard, ratio, limit = policy.chronic(req.plan, pc)
            open_deductible = max(ZERO, standard - req.deductible_already_paid_cny)
        else:  # special_outpatient: settled as inpatient, one deductible per calendar year
            standard, ratio = policy.special(req.plan, pc, tier)
            open_deductible = max(ZERO, standard - req.deductible_already_paid_cny)
        deductible_applied = min(policy_scope, open_deductible)

        # 5: the fund pays its ratio of the rest (rounded first), capped by the annual limits.
        above = policy_scope - deductible_applied
        fund_by_ratio = r(above * ratio)
        ratio_self_pay = above - fund_by_ratio
        fund_pays = fund_by_ratio
        if limit is not None:
            fund_pays = min(fund_pays, max(ZERO, limit - req.fund_paid_this_year_in_setting_cny))
        cap = policy.annual_fund_cap(req.plan)
        if cap is not None:
            paid_total = max(req.fund_paid_this_year_total_cny, req.fund_paid_this_year_in_setting_cny)
            fund_pays = min(fund_pays, max(ZERO, cap - paid_total))
        over_limit = fund_by_ratio - fund_pays

        # Personal account: only the policy-scope burden, never class C.
        burden = self_pay_first + deductible_applied + ratio_self_pay + over_limit
        has_account = policy.has_personal_account(req.plan)
        if has_account:
            balance = req.personal_account_balance_cny
            account = burden if balance is None else min(burden, balance)
        else:
            account = ZERO
        cash = total - fund_pays - account

        deposit_refund = deposit_due = None
        if req.deposit_cny is not None:
            deposit_refund = max(ZERO, req.deposit_cny - cash)
            deposit_due = max(ZERO, cash - req.deposit_cny)

        s = Settlement(
            total=total,
            class_a=class_a,
            class_b=class_b,
            class_b_self_pay_first=self_pay_first,
            class_c=class_c,
            policy_scope=policy_scope,
            deductible_applied=deductible_applied,
            fund_pays=fund_pays,
            ratio_self_pay=ratio_self_pay,
            personal_policy_scope_burden=burden,
            personal_account_pays=account,
            cash_pays=cash,
            over_limit_self_pay=over_limit,
            deposit_refund=deposit_refund,
            deposit_balance_due=deposit_due,
            ratio=ratio,
            deductible_standard=standard,
            policy_year=policy.year,
            plan=req.plan,
            personnel_category=pc,
            setting=req.setting,
            tier=tier,
        )
        assert s.fund_pays + s.personal_account_pays + s.cash_pays == s.total
        return _with_reasons(s, req, policy, has_account, open_deductible)


def _with_reasons(
    s: Settlement, req: SettlementRequest, policy: Policy, has_account: bool, open_deductible: Decimal
) -> Settlement:
    from dataclasses import replace

    return replace(s, reasons=tuple(explain(s, req, policy, has_account, open_deductible)))
