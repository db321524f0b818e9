"""The reason lines (Chinese and English) that say why a settlement came out as it did."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from assistant.services.settlement.model import Reason, Settlement, SettlementRequest
from assistant.services.settlement.policy import Policy

ZERO = Decimal(0)

_SETTING_ZH = {
    "outpatient": "普通门诊",
    "inpatient": "住院",
    "chronic_outpatient": "门诊慢性病",
    "special_outpatient": "门诊特殊病",
}
_SETTING_EN = {
    "outpatient": "ordinary outpatient care",
    "inpatient": "an inpatient stay",
    "chronic_outpatient": "chronic-disease outpatient care",
    "special_outpatient": "special-disease outpatient care (settled as inpatient)",
}


def _y(d: Decimal) -> str:
    return f"{d:,.2f}"


def _pct(d: Decimal) -> str:
    return f"{(d * 100).normalize():f}%"


def explain(
    s: Settlement, req: SettlementRequest, policy: Policy, has_account: bool, open_deductible: Decimal
) -> Iterator[Reason]:
    plan_zh = policy.plan(s.plan).get("short_name_zh", s.plan)
    pc_zh = policy.plan(s.plan)["personnel_categories"].get(s.personnel_category, "")
    who_zh = plan_zh + (f"{pc_zh}" if len(policy.personnel_categories(s.plan)) > 1 else "")
    yield Reason(
        "basis",
        f"按{policy.year}年度规则,{who_zh}{_SETTING_ZH[s.setting]}结算,报销比例{_pct(s.ratio)}。",
        f"Settled under the {policy.year} rules for {s.plan} insurance"
        f"{' (' + (s.personnel_category or '') + ')' if len(policy.personnel_categories(s.plan)) > 1 else ''}, "
        f"{_SETTING_EN[s.setting]}, reimbursement ratio {_pct(s.ratio)}.",
    )
    if s.class_c > 0:
        yield Reason(
            "class_c_not_covered",
            f"丙类(自费)费用{_y(s.class_c)}元医保不支付,全部由个人负担,也不能用个人账户支付。",
            f"Class C (self-pay) items of {_y(s.class_c)} CNY are not covered: you pay them in full, "
            "and not from the personal account.",
            s.class_c,
        )
    if s.class_b > 0:
        yield Reason(
            "class_b_self_pay_first",
            f"乙类费用{_y(s.class_b)}元需个人先行自付{_y(s.class_b_self_pay_first)}元,"
            f"其余{_y(s.class_b - s.class_b_self_pay_first)}元纳入政策范围。",
            f"Class B items of {_y(s.class_b)} CNY: you first pay {_y(s.class_b_self_pay_first)} CNY yourself; "
            f"the other {_y(s.class_b - s.class_b_self_pay_first)} CNY is within policy scope.",
            s.class_b_self_pay_first,
        )
    yield Reason(
        "policy_scope",
        f"政策范围内费用 = 甲类{_y(s.class_a)} + 乙类纳入部分{_y(s.class_b - s.class_b_self_pay_first)}"
        f" = {_y(s.policy_scope)}元。",
        f"Within policy scope: class A {_y(s.class_a)} + covered class B {_y(s.class_b - s.class_b_self_pay_first)}"
        f" = {_y(s.policy_scope)} CNY.",
        s.policy_scope,
    )
    yield from _deductible(s, req, policy, open_deductible)
    above = s.policy_scope - s.deductible_applied
    if above > 0:
        yield Reason(
            "ratio",
            f"超过起付线的{_y(above)}元由统筹基金按{_pct(s.ratio)}支付{_y(s.fund_pays + s.over_limit_self_pay)}元,"
            f"个人按比例自付{_y(s.ratio_self_pay)}元。",
            f"Of the {_y(above)} CNY above the deductible the fund pays {_pct(s.ratio)}, "
            f"{_y(s.fund_pays + s.over_limit_self_pay)} CNY; your share is {_y(s.ratio_self_pay)} CNY.",
            s.fund_pays,
        )
    if s.over_limit_self_pay > 0:
        yield Reason(
            "over_limit",
            f"统筹基金本年度支付已达年度支付限额或封顶线,超出的{_y(s.over_limit_self_pay)}元由个人负担。",
            f"The fund's annual limit or cap is reached: {_y(s.over_limit_self_pay)} CNY above it is yours to pay.",
            s.over_limit_self_pay,
        )
    if has_account:
        if s.personal_account_pays < s.personal_policy_scope_burden:
            zh = (
                f"个人政策范围内负担{_y(s.personal_policy_scope_burden)}元,个人账户余额只够支付"
                f"{_y(s.personal_account_pays)}元,其余{_y(s.personal_policy_scope_burden - s.personal_account_pays)}元需自付。"
            )
            en = (
                f"Your in-scope share is {_y(s.personal_policy_scope_burden)} CNY; the personal account balance "
                f"covers {_y(s.personal_account_pays)} CNY of it."
            )
        else:
            zh = f"个人政策范围内负担{_y(s.personal_policy_scope_burden)}元,可以用职工医保个人账户支付。"
            en = f"Your in-scope share of {_y(s.personal_policy_scope_burden)} CNY can be paid from the personal account."
        yield Reason("personal_account", zh, en, s.personal_account_pays)
    else:
        yield Reason(
            "no_personal_account",
            f"{policy.plan(s.plan).get('short_name_zh', s.plan)}没有个人账户,个人负担部分用微信、银行卡或现金支付。",
            "This plan has no personal account: your share is paid by WeChat Pay, bank card or cash.",
        )
    yield Reason(
        "check",
        f"统筹支付{_y(s.fund_pays)} + 个人账户{_y(s.personal_account_pays)} + 现金/微信{_y(s.cash_pays)}"
        f" = 合计{_y(s.total)}元。",
        f"Fund {_y(s.fund_pays)} + personal account {_y(s.personal_account_pays)} + cash {_y(s.cash_pays)}"
        f" = total {_y(s.total)} CNY.",
        s.total,
    )
    if s.deposit_refund is not None and req.deposit_cny is not None:
        if s.deposit_balance_due:
            yield Reason(
                "deposit",
                f"押金{_y(req.deposit_cny)}元不足,出院结算时还需补交{_y(s.deposit_balance_due)}元。",
                f"The deposit of {_y(req.deposit_cny)} CNY is short by {_y(s.deposit_balance_due)} CNY.",
                s.deposit_balance_due,
            )
        else:
            yield Reason(
                "deposit",
                f"现金部分从押金中扣除,退还押金{_y(req.deposit_cny)} − {_y(s.cash_pays)} = {_y(s.deposit_refund)}元。",
                f"The cash part comes out of the deposit; {_y(s.deposit_refund)} CNY of it is refunded.",
                s.deposit_refund,
            )
    yield Reason(
        "estimate",
        "以上为估算,以医保部门最终结算结果为准。",
        "This is an estimate; the insurance office's final settlement prevails.",
    )


def _deductible(s: Settlement, req: SettlementRequest, policy: Policy, open_deductible: Decimal) -> Iterator[Reason]:
    std = s.deductible_standard
    if s.setting == "inpatient":
        later = req.admission_index_in_year >= 2
        factor = policy.inpatient(s.plan, s.personnel_category or "", s.tier)[2]
        zh = (
            f"本次住院起付线{_y(std)}元"
            + (f"(本年度第{req.admission_index_in_year}次住院,按标准的{_pct(factor)}计算)" if later else "")
            + f",由个人负担{_y(s.deductible_applied)}元。"
        )
        en = (
            f"The deductible for this admission is {_y(std)} CNY"
            + (f" (admission no. {req.admission_index_in_year} this year, reduced)" if later else "")
            + f"; you bear {_y(s.deductible_applied)} CNY of it."
        )
        yield Reason("deductible", zh, en, s.deductible_applied)
        return
    if std == 0:
        yield Reason(
            "deductible",
            f"{_SETTING_ZH[s.setting]}不设起付线。",
            f"There is no deductible for {_SETTING_EN[s.setting]}.",
            ZERO,
        )
        return
    label_zh = "本年度门诊特殊病起付线" if s.setting == "special_outpatient" else "本年度门诊起付线"
    label_en = "this year's special-outpatient deductible" if s.setting == "special_outpatient" else "this year's outpatient deductible"
    if open_deductible == 0:
        yield Reason(
            "deductible",
            f"{label_zh}{_y(std)}元已经达到,本次不再扣起付线。",
            f"{label_en.capitalize()} of {_y(std)} CNY is already met; none is applied now.",
            ZERO,
        )
    else:
        yield Reason(
            "deductible",
            f"{label_zh}{_y(std)}元还差{_y(open_deductible)}元,政策范围内费用中先有{_y(s.deductible_applied)}元"
            "计入起付线,由个人负担。",
            f"{label_en.capitalize()} of {_y(std)} CNY still has {_y(open_deductible)} CNY open: "
            f"{_y(s.deductible_applied)} CNY of this bill counts toward it and is yours to pay.",
            s.deductible_applied,
        )
