"""ID and phone numbers: validated, normalized, typed as invalid when malformed, and masked when shown."""

from __future__ import annotations

import logging

import pytest

from assistant.nlu import Entity, extract_entities
from assistant.safety.pii import id_check_digit, mask_text

pytestmark = pytest.mark.unit

VALID_ID = "110101199003074514"
BAD_CHECK_ID = VALID_ID[:17] + ("5" if VALID_ID[17] != "5" else "6")


def _typed(text, hospital, now):
    return [
        (e.type, e.value)
        for e in extract_entities(text, hospital, now)
        if e.type.startswith(("id_number", "phone"))
    ]


def test_valid_id_number(hospital, now):
    assert id_check_digit(VALID_ID[:17]) == VALID_ID[17]
    assert _typed(f"身份证号{VALID_ID}", hospital, now) == [("id_number", VALID_ID)]


def test_id_with_x_check_digit_is_uppercased(hospital, now):
    first17 = "11010519491231002"
    assert id_check_digit(first17) == "X"
    assert _typed(f"身份证 {first17}x", hospital, now) == [("id_number", first17 + "X")]


@pytest.mark.parametrize(
    "raw",
    [
        BAD_CHECK_ID,
        VALID_ID[:17],
        VALID_ID + "1",
        "110101199013074514",
    ],  # check digit, 17, 19 digits, month 13
)
def test_invalid_id_numbers(hospital, now, raw):
    got = _typed(f"我的身份证是{raw}", hospital, now)
    assert got and got[0][0] == "id_number_invalid"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("手机13812345678", "13812345678"),
        ("电话 138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 13812345678", "13812345678"),
        ("座机0571-88881234", "0571-88881234"),
        ("010-12345678", "010-12345678"),
    ],
)
def test_valid_phones(hospital, now, text, value):
    assert _typed(text, hospital, now) == [("phone", value)]


@pytest.mark.parametrize(
    "raw", ["1381234567", "138123456789", "12812345678"]
)  # 10 digits, 12 digits, 12x prefix
def test_invalid_phones(hospital, now, raw):
    assert [t for t, _ in _typed(f"手机号{raw}", hospital, now)] == ["phone_invalid"]


def test_numbers_are_not_read_as_dates_or_ages(hospital, now):
    ents = extract_entities(f"{VALID_ID} 13812345678", hospital, now)
    assert {e.type for e in ents} == {"id_number", "phone"}


def test_ordinary_numbers_are_not_phones(hospital, now):
    assert _typed("WBC 12.5，总共262元，20261125", hospital, now) == []


def test_masked_values_and_repr_never_show_the_number(hospital, now):
    ents = extract_entities(f"身份证{VALID_ID}，手机13812345678，我叫王小明", hospital, now)
    by_type = {e.type: e for e in ents}
    assert by_type["id_number"].masked_value == "110***********4514"
    assert by_type["phone"].masked_value == "138****5678"
    assert by_type["person_name"].masked_value == "王**"
    for e in ents:
        assert str(e.value) not in repr(e)
    assert VALID_ID not in mask_text(f"身份证{VALID_ID}")
    assert "13812345678" not in mask_text("手机13812345678")


def test_entity_logged_through_repr_is_masked(caplog):
    e = Entity("phone", "13812345678", "13812345678", 0, 11)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").debug("entity %r", e)
    assert "13812345678" not in caplog.text
