"""Property tests of the engine: the parts always add up to the total, no part is negative, and the
engine follows whatever policy year it is given."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.services.settlement import BillItem, SettlementEngine, SettlementError, SettlementRequest

CENTS = st.integers(min_value=0, max_value=5_000_000).map(lambda c: Decimal(c) / 100)
OPT_CENTS = st.none() | CENTS


@st.composite
def requests(draw):
    plan = draw(st.sampled_from(["employee", "resident"]))
    pc = draw(st.sampled_from(["active", "retired"])) if plan == "employee" else draw(st.sampled_from([None, "resident"]))
    items = draw(
        st.lists(
            st.builds(BillItem, name_zh=st.just("x"), amount_cny=CENTS, category=st.sampled_from(["甲", "乙", "丙"])),
            min_size=1,
            max_size=8,
        )
    )
    return SettlementRequest(
        plan=plan,
        personnel_category=pc,
        setting=draw(st.sampled_from(["outpatient", "inpatient", "chronic_outpatient", "special_outpatient"])),
        tier=draw(st.sampled_from(["tier1", "tier2", "tier3", None])),
        items=tuple(items),
        deductible_already_paid_cny=draw(CENTS),
        admission_index_in_year=draw(st.integers(min_value=1, max_value=6)),
        personal_account_balance_cny=draw(OPT_CENTS),
        fund_paid_this_year_in_setting_cny=draw(st.sampled_from([Decimal(0)]) | CENTS),
        fund_paid_this_year_total_cny=draw(st.sampled_from([Decimal(0)]) | CENTS),
        deposit_cny=draw(OPT_CENTS),
    )


@pytest.fixture(scope="module")
def engine(hospital):
    return SettlementEngine(hospital.insurance_policy)


@pytest.mark.unit
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(req=requests())
def test_parts_add_up_and_none_is_negative(engine, req):
    s = engine.settle(req)
    assert s.fund_pays + s.personal_account_pays + s.cash_pays == s.total
    assert s.total == sum((i.amount_cny for i in req.items), Decimal(0))
    assert s.class_a + s.class_b + s.class_c == s.total
    for name, value in s.breakdown().items():
        assert value >= 0, name
        assert value == value.quantize(Decimal("0.01")), name
    assert s.over_limit_self_pay >= 0
    # The personal account never pays 丙 items nor more than the policy-scope burden or the balance.
    assert s.personal_account_pays <= s.personal_policy_scope_burden
    if req.personal_account_balance_cny is not None:
        assert s.personal_account_pays <= req.personal_account_balance_cny
    if req.plan == "resident":
        assert s.personal_account_pays == 0
    assert s.cash_pays >= s.class_c
    assert s.fund_pays <= s.policy_scope - s.deductible_applied
    assert s.policy_scope == s.class_a + s.class_b - s.class_b_self_pay_first
    assert (
        s.personal_policy_scope_burden
        == s.class_b_self_pay_first + s.deductible_applied + s.ratio_self_pay + s.over_limit_self_pay
    )
    assert s.reasons and s.reasons[-1].zh


@pytest.mark.unit
def test_the_engine_uses_the_policy_year_it_is_given(hospital):
    """No hard-coded ratio: a 2027 policy with other numbers gives other figures; 2026 stays selectable."""
    p2027 = copy.deepcopy(hospital.insurance_policy)
    p2027["policy_year"] = 2027
    p2027["plans"]["employee"]["outpatient"]["reimbursement_ratio"]["tier3"]["active"] = 0.65
    p2027["item_categories"]["乙"]["self_pay_share_first"] = 0.2
    engine = SettlementEngine([hospital.insurance_policy, p2027])
    items = (
        BillItem("a", Decimal("100.00"), "甲"),
        BillItem("b", Decimal("50.00"), "乙"),
    )
    req = SettlementRequest(plan="employee", personnel_category="active", setting="outpatient", items=items,
                            deductible_already_paid_cny=Decimal(1000))
    latest = engine.settle(req)  # 2027: 乙 first 10.00, scope 140, fund 140×65% = 91.00
    assert (latest.policy_year, latest.class_b_self_pay_first, latest.fund_pays) == (2027, Decimal("10.00"), Decimal("91.00"))
    from dataclasses import replace

    old = engine.settle(replace(req, policy_year=2026))  # 2026: first 5.00, scope 145, fund 87.00
    assert (old.policy_year, old.class_b_self_pay_first, old.fund_pays) == (2026, Decimal("5.00"), Decimal("87.00"))
    with pytest.raises(SettlementError) as err:
        engine.settle(replace(req, policy_year=2030))
    assert err.value.code == "unknown_policy_year"


@pytest.mark.unit
def test_hospital_tier_is_the_default(engine):
    req = SettlementRequest(plan="resident", personnel_category=None, setting="outpatient",
                            items=(BillItem("a", Decimal("100"), "甲"),), deductible_already_paid_cny=Decimal(200))
    s = engine.settle(req)
    assert s.tier == "tier3" and s.fund_pays == Decimal("40.00")
