"""Read access to one year's machine-readable insurance policy (insurance_policy.json).

Every ratio, deductible and limit the engine uses comes through here, converted to Decimal; nothing
is hard-coded. ``PolicyBook`` holds several years and picks the one in force.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from assistant.services.settlement.model import FEN, SettlementError

_ROUNDING = {"half_up": ROUND_HALF_UP}


def dec(value: Any) -> Decimal:
    """A JSON number as an exact Decimal (floats go through their shortest repr: 0.1 -> 0.1)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None:
        raise TypeError(f"not a number: {value!r}")
    return Decimal(str(value))


class Policy:
    """One policy year."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.year = int(data["policy_year"])
        self.hospital_tier: str = data.get("hospital_tier", "tier3")
        rounding = data.get("rounding", {})
        self.unit = dec(rounding.get("unit", "0.01"))
        method = rounding.get("method", "half_up")
        if method not in _ROUNDING:
            raise ValueError(f"unsupported rounding method {method!r}")
        self.rounding = _ROUNDING[method]

    def round(self, amount: Decimal) -> Decimal:
        return amount.quantize(self.unit if self.unit else FEN, rounding=self.rounding)

    # -- catalogue ---------------------------------------------------------------------------
    @property
    def categories(self) -> Mapping[str, Any]:
        return self.data["item_categories"]

    def category(self, name: str) -> Mapping[str, Any]:
        try:
            return self.categories[name]
        except KeyError:
            raise SettlementError(
                "unknown_category", f"category must be one of {', '.join(self.categories)}; got {name!r}"
            ) from None

    @property
    def tiers(self) -> tuple[str, ...]:
        return tuple(self.data["tiers"])

    # -- plans -------------------------------------------------------------------------------
    def plan(self, name: str) -> Mapping[str, Any]:
        try:
            return self.data["plans"][name]
        except KeyError:
            raise SettlementError(
                "unknown_plan", f"plan must be one of {', '.join(self.data['plans'])}; got {name!r}"
            ) from None

    def personnel_categories(self, plan: str) -> tuple[str, ...]:
        return tuple(self.plan(plan)["personnel_categories"])

    def has_personal_account(self, plan: str) -> bool:
        return bool(self.plan(plan).get("has_personal_account")) and plan in self.data.get(
            "personal_account", {}
        ).get("available_in_plans", [plan])

    def annual_fund_cap(self, plan: str) -> Decimal | None:
        cap = self.plan(plan).get("annual_fund_cap_cny")
        return None if cap is None else dec(cap)

    def section(self, plan: str, setting: str) -> Mapping[str, Any]:
        try:
            return self.plan(plan)[setting]
        except KeyError:
            raise SettlementError("unknown_setting", f"plan {plan!r} has no {setting!r} rules") from None

    @staticmethod
    def _pick(table: Any, *keys: str) -> Decimal:
        node = table
        for key in keys:
            if isinstance(node, Mapping):
                if key not in node:
                    raise SettlementError("policy_gap", f"the policy has no value for {'/'.join(keys)}")
                node = node[key]
        return dec(node)

    def outpatient(self, plan: str, pc: str, tier: str) -> tuple[Decimal, Decimal, Decimal | None]:
        """(annual deductible, ratio, annual fund limit) for ordinary outpatient care."""
        s = self.section(plan, "outpatient")
        limit = s.get("annual_fund_limit_cny")
        return (
            self._pick(s["deductible_cny"], pc),
            self._pick(s["reimbursement_ratio"], tier, pc),
            None if limit is None else self._pick(limit, pc),
        )

    def inpatient(self, plan: str, pc: str, tier: str) -> tuple[Decimal, Decimal, Decimal]:
        """(first-admission deductible, ratio, factor for later admissions) for inpatient care."""
        s = self.section(plan, "inpatient")
        return (
            self._pick(s["deductible_cny"], tier, pc),
            self._pick(s["reimbursement_ratio"], tier, pc),
            dec(s.get("subsequent_admission_deductible_factor", 1)),
        )

    def chronic(self, plan: str, pc: str) -> tuple[Decimal, Decimal, Decimal | None]:
        """(deductible, ratio, annual fund limit) for chronic-disease outpatient care."""
        s = self.section(plan, "chronic_outpatient")
        limit = s.get("annual_fund_limit_cny")
        return (
            self._pick(s.get("deductible_cny", 0), pc),
            self._pick(s["reimbursement_ratio_all_tiers"], pc),
            None if limit is None else self._pick(limit, pc),
        )

    def special(self, plan: str, pc: str, tier: str) -> tuple[Decimal, Decimal]:
        """(once-a-year deductible, ratio) for special-disease outpatient care, settled as inpatient."""
        s = self.section(plan, "special_outpatient")
        if s.get("settled_as", "inpatient") != "inpatient":
            raise SettlementError("policy_gap", f"special outpatient settled as {s.get('settled_as')!r} is not supported")
        deductible, ratio, _ = self.inpatient(plan, pc, tier)
        return deductible, ratio

    @property
    def chronic_conditions(self) -> tuple[str, ...]:
        return tuple(self.data.get("chronic_conditions_zh", ()))

    @property
    def special_conditions(self) -> tuple[str, ...]:
        return tuple(self.data.get("special_conditions_zh", ()))


class PolicyBook:
    """The policies of several years, by ``policy_year``."""

    def __init__(self, policies: Iterable[Mapping[str, Any]] | Mapping[str, Any]) -> None:
        if isinstance(policies, Mapping):
            policies = [policies]
        self.by_year = {p.year: p for p in (Policy(d) for d in policies)}
        if not self.by_year:
            raise ValueError("no insurance policy loaded")

    @property
    def latest(self) -> Policy:
        return self.by_year[max(self.by_year)]

    def for_year(self, year: int | None) -> Policy:
        if year is None:
            return self.latest
        try:
            return self.by_year[year]
        except KeyError:
            raise SettlementError(
                "unknown_policy_year",
                f"no insurance policy for {year}; loaded: {', '.join(map(str, sorted(self.by_year)))}",
            ) from None
