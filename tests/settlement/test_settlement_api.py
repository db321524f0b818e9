"""The estimate endpoint: every worked example of insurance_policy.json to the fen, our hand-worked
cases, and the refusals of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.services.settlement import BREAKDOWN_FIELDS

# The hand-worked cases are an evaluation suite too (the release gate runs them through the harness).
_SUITE = Path(__file__).resolve().parents[2] / "eval" / "suites" / "settlement_hand.yaml"
HAND_CASES = [
    {"id": c["id"], "request": c["request"]["json"], "expected": c["expect_json"]}
    for c in yaml.safe_load(_SUITE.read_text(encoding="utf-8"))["cases"]
]


def _examples(hospital):
    examples = {e["id"]: e for e in hospital.insurance_policy["worked_examples"]}
    for e in examples.values():
        items = e["items"]
        if isinstance(items, str) and items.startswith("same_as:"):
            items = examples[items.split(":", 1)[1]]["items"]
        yield e, items


def _request_from_example(e, items):
    req = {
        "plan": e["plan"],
        "personnel_category": e["personnel_category"] if e["plan"] != "resident" else None,
        "setting": e["setting"],
        "tier": e["tier"],
        "deductible_already_paid_cny": e.get("outpatient_deductible_already_paid_cny", 0),
        "admission_index_in_year": e.get("admission_index_in_year", 1),
        "personal_account_balance_cny": e.get("personal_account_balance_cny"),
        "items": [],
    }
    if e.get("deposit_cny") is not None:
        req["deposit_cny"] = e["deposit_cny"]
    for it in items:
        if it.get("fee_item_code"):
            req["items"].append({"fee_item_code": it["fee_item_code"], "quantity": it["quantity"]})
        else:
            req["items"].append({"name_zh": it["name_zh"], "amount_cny": it["amount_cny"], "category": it["category"]})
    return req


@pytest.mark.unit
async def test_every_worked_example_matches_to_the_fen(client, hospital):
    seen = 0
    for e, items in _examples(hospital):
        r = await client.post("/api/v1/insurance/estimate", json=_request_from_example(e, items))
        assert r.status_code == 200, r.text
        body = r.json()
        for field, want in e["expected"].items():
            assert round(body[field] * 100) == round(want * 100), (e["id"], field, body[field], want)
        assert set(BREAKDOWN_FIELDS) <= set(body)
        seen += 1
    assert seen == len(hospital.insurance_policy["worked_examples"]) >= 4


@pytest.mark.unit
async def test_worked_examples_with_code_amount_and_category_together(client, hospital):
    """Clients may send the full line (code, quantity, amount, category) as the examples list it."""
    for e, items in _examples(hospital):
        req = _request_from_example(e, items)
        req["items"] = [dict(it) for it in items]
        r = await client.post("/api/v1/insurance/estimate", json=req)
        assert r.status_code == 200, r.text
        assert r.json()["fund_pays"] == e["expected"]["fund_pays"]


@pytest.mark.unit
@pytest.mark.parametrize("case", HAND_CASES, ids=[c["id"] for c in HAND_CASES])
async def test_hand_worked_case(client, case):
    r = await client.post("/api/v1/insurance/estimate", json=case["request"])
    assert r.status_code == 200, r.text
    body = r.json()
    for field, want in case["expected"].items():
        assert round(body[field] * 100) == round(want * 100), (field, body[field], want)
    fen = {f: round(body[f] * 100) for f in BREAKDOWN_FIELDS}
    assert fen["fund_pays"] + fen["personal_account_pays"] + fen["cash_pays"] == fen["total"]


@pytest.mark.unit
def test_at_least_thirty_hand_cases():
    assert len(HAND_CASES) >= 30
    assert len({c["id"] for c in HAND_CASES}) == len(HAND_CASES)


@pytest.mark.unit
async def test_reason_lines_say_why(client, hospital):
    e, items = next((e, i) for e, i in _examples(hospital) if e["id"] == "ex1b")
    body = (await client.post("/api/v1/insurance/estimate", json=_request_from_example(e, items))).json()
    zh = "\n".join(body["explanation"]["zh"])
    en = "\n".join(body["explanation"]["en"])
    assert "起付线" in zh and "100.00" in zh
    assert "乙类" in zh and "1.80" in zh
    assert "丙类" in zh and "不能用个人账户" in zh
    assert "deductible" in en and "Class B" in en and "Class C" in en
    codes = [r["code"] for r in body["reasons"]]
    assert {"deductible", "class_b_self_pay_first", "class_c_not_covered"} <= set(codes)


BAD = [
    ({"items": [{"fee_item_code": "NOPE-1", "quantity": 1}]}, "unknown_fee_item"),
    ({"items": [{"fee_item_code": "LAB-CBC", "quantity": -2}]}, "negative_quantity"),
    ({"items": [{"fee_item_code": "LAB-CBC", "quantity": 0}]}, "invalid_quantity"),
    ({"items": [{"name_zh": "x", "amount_cny": -5, "category": "甲"}]}, "negative_amount"),
    ({"items": [{"name_zh": "x", "amount_cny": 5, "category": "丁"}]}, "unknown_category"),
    ({"items": [{"name_zh": "x", "amount_cny": 5.001, "category": "甲"}]}, "amount_precision"),
    ({"items": [{"name_zh": "x"}]}, "incomplete_item"),
    ({"items": []}, "empty_bill"),
    ({"items": [{"fee_item_code": "LAB-CBC", "quantity": 1, "amount_cny": 25}]}, "amount_mismatch"),
    ({"items": [{"fee_item_code": "LAB-CBC", "quantity": 1, "category": "丙"}]}, "category_mismatch"),
    ({"plan": "gold"}, "unknown_plan"),
    ({"tier": "tier9"}, "unknown_tier"),
    ({"setting": "dental"}, "unknown_setting"),
    ({"personnel_category": None}, "personnel_category_required"),
    ({"personnel_category": "student"}, "unknown_personnel_category"),
    ({"plan": "resident", "personnel_category": "active"}, "personnel_category_not_applicable"),
    ({"deductible_already_paid_cny": -1}, "negative_deductible_already_paid_cny"),
    ({"personal_account_balance_cny": -1}, "negative_personal_account_balance_cny"),
    ({"admission_index_in_year": 0, "setting": "inpatient"}, "invalid_admission_index"),
    ({"policy_year": 1999}, "unknown_policy_year"),
    ({"items": "LAB-CBC"}, "invalid_request"),
    ({"admission_index_in_year": "second"}, "invalid_request"),
]


@pytest.mark.unit
@pytest.mark.parametrize("patch,code", BAD, ids=[c for _, c in BAD])
async def test_bad_input_is_refused_with_a_clear_json_error(client, patch, code):
    req = {
        "plan": "employee",
        "personnel_category": "active",
        "setting": "outpatient",
        "tier": "tier3",
        "items": [{"fee_item_code": "LAB-CBC", "quantity": 1}],
    }
    req.update(patch)
    r = await client.post("/api/v1/insurance/estimate", json=req)
    assert 400 <= r.status_code < 500
    err = r.json()["error"]
    assert err["code"] == code, err
    assert err["message"]


@pytest.mark.unit
async def test_malformed_json_is_a_json_error(client):
    r = await client.post("/api/v1/insurance/estimate", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_json"
    r = await client.post("/api/v1/insurance/estimate", json=[1, 2])
    assert r.status_code == 400
