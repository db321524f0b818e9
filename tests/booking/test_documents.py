"""Real-name booking with a passport or a Mainland Travel Permit (outpatient_guide.md §四, 可用证件), through
the real engine: the document named or unmistakable by its format is taken, its number is masked in every
reply, the birth date (and sex) is asked only where the department needs it, bad numbers are refused with
what is accepted, and the one-per-department-per-day rule holds for the (document type, number)."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest
from sqlalchemy import select, text

from assistant.logging import JsonFormatter
from assistant.safety.pii import (
    HK_MACAU_PERMIT,
    PASSPORT,
    TAIWAN_PERMIT,
    is_valid_id_number,
    mask_text,
    parse_document,
)
from assistant.services.booking import PatientInfo, build_booking_service
from assistant.staff.masking import find_numbers
from assistant.store.booking_tables import PatientRow
from assistant.store.db import Database, alembic_config

from .conftest import NOW, make_id
from .engine_chat import Chat, appointments, start, stop

pytestmark = pytest.mark.integration

# NOW is Monday 2026-11-23 10:00; "tomorrow" is Tuesday 11-24.


@pytest.fixture
async def app(tmp_path):
    from assistant.clock import FixedClock

    services, eng = await start(tmp_path / "data", FixedClock(NOW))
    yield services, eng
    await stop(services)


async def patient_rows(services) -> list[PatientRow]:
    async with services.db.session() as s:
        return list((await s.scalars(select(PatientRow))).all())


async def up_to_the_id_question(chat: Chat, ask: str, me: str, name: str) -> None:
    """A booking asked for, the first slot taken, for the patient themself, the name given: the form
    now wants the identity document."""
    await chat(ask)
    await chat("1")
    await chat(me)
    await chat(name)


async def test_english_passport_booking_end_to_end(app):
    services, engine = app
    chat = Chat(engine, lang="en")
    await chat("I want to see a cardiologist tomorrow morning")
    await chat("the first one")
    await chat("for myself")
    r = await chat("John Smith")
    assert "passport or travel permit number" in r.reply, r.reply
    r = await chat("passport E12345678")
    assert "date of birth" in r.reply, r.reply  # Cardiology sees ages 14 and over: a passport doesn't say
    r = await chat("13 March 1985")
    assert "mobile" in r.reply, r.reply
    r = await chat("13812345678")
    assert r.appointment["status"] == "held"
    assert "passport E*****678" in r.reply and "E12345678" not in r.reply, r.reply
    r = await chat("yes")
    assert r.appointment["status"] == "confirmed", r.reply
    assert "Bring the passport" in r.reply
    [row] = await patient_rows(services)
    assert (row.id_type, row.id_number, row.birth_date, row.sex) == (PASSPORT, "E12345678", date(1985, 3, 13), None)
    assert all("E12345678" not in x.reply for x in chat.replies)


async def test_hong_kong_permit_booking_in_chinese(app):
    services, engine = app
    chat = Chat(engine)
    await chat("明天上午心内科")
    await chat("第一个")
    await chat("我自己")
    r = await chat("陈大文")
    assert "证件号码（身份证、护照或通行证）" in r.reply, r.reply
    r = await chat("回乡证H12345678")
    assert "出生日期" in r.reply, r.reply
    r = await chat("1980年1月2日")
    assert "手机" in r.reply, r.reply
    r = await chat("13912345678")
    assert "证件号码（港澳居民来往内地通行证）H*****678" in r.reply and "H12345678" not in r.reply, r.reply
    r = await chat("对")
    assert r.appointment["status"] == "confirmed", r.reply
    assert "通行证原件" in r.reply
    [row] = await patient_rows(services)
    assert (row.id_type, row.id_number, row.birth_date) == (HK_MACAU_PERMIT, "H12345678", date(1980, 1, 2))


async def test_unlabelled_permit_number_is_taken_by_its_format(app):
    _, engine = app
    chat = Chat(engine)
    await chat("明天上午心内科")
    await chat("第一个")
    await chat("我自己")
    await chat("何家欣")
    r = await chat("M12345678")
    assert "出生日期" in r.reply, r.reply
    slots = await chat.slots()
    assert (slots["id_type"], slots["id_number"]) == (HK_MACAU_PERMIT, "M12345678")


async def test_childs_passport_in_pediatrics_asks_the_birth_date(app):
    services, engine = app
    chat = Chat(engine, lang="en")
    await up_to_the_id_question(chat, "I want to book pediatrics tomorrow morning", "for my son", "Tom Smith")
    r = await chat("passport C01234567")
    assert "date of birth" in r.reply, r.reply
    r = await chat("3 May 2019")
    assert "mobile" in r.reply, r.reply
    r = await chat("13812345678")
    assert "passport C*****567" in r.reply, r.reply
    r = await chat("yes")
    assert r.appointment["status"] == "confirmed", r.reply
    [row] = await patient_rows(services)
    assert row.birth_date == date(2019, 5, 3) and row.id_type == PASSPORT


async def test_adult_passport_in_pediatrics_is_refused_by_the_birth_date(app):
    services, engine = app
    chat = Chat(engine, lang="en")
    await up_to_the_id_question(chat, "I want to book pediatrics tomorrow morning", "for myself", "Anna Berg")
    await chat("passport P7654321")
    r = await chat("1990-06-01")
    assert "only sees patients ages 0-13" in r.reply, r.reply
    assert (await chat.slots()).get("department") is None
    assert await appointments(services) == []


async def test_no_birth_date_asked_where_no_department_needs_it(app):
    _, engine = app
    chat = Chat(engine, lang="en")
    await up_to_the_id_question(chat, "I want to book ophthalmology tomorrow morning", "for myself", "Lena Koch")
    r = await chat("passport C76543210")
    assert "mobile" in r.reply and "birth" not in r.reply, r.reply


async def test_passport_in_gynecology_asks_the_sex_and_refuses_a_man(app):
    _, engine = app
    chat = Chat(engine, lang="en")
    await up_to_the_id_question(chat, "I want to book gynecology tomorrow afternoon", "for myself", "Sam Lee")
    await chat("passport X1234567")
    r = await chat("1988-02-01")
    assert "female or male" in r.reply, r.reply
    r = await chat("male")
    assert "can't be booked for a man" in r.reply and "Urology" in r.reply, r.reply


@pytest.mark.parametrize("lang,answer,expect", [
    ("en", "passport ABCDEFG", "5 to 17 letters and digits, with at least one digit"),
    ("en", "passport E1", "5 to 17 letters and digits"),
    ("zh", "护照号码是E12345678901234567890", "5到17位字母或数字"),
    ("zh", "回乡证H1234", "H（香港）或M（澳门）加8位数字"),
    ("zh", "台胞证1234567", "8位数字"),
])
async def test_invalid_document_number_is_refused_with_what_is_accepted(app, lang, answer, expect):
    services, engine = app
    chat = Chat(engine, lang=lang)
    zh = lang == "zh"
    await up_to_the_id_question(chat, "明天上午心内科" if zh else "I want to see a cardiologist tomorrow morning",
                                "我自己" if zh else "for myself", "王芳" if zh else "John Smith")
    r = await chat(answer)
    assert expect in r.reply, r.reply
    assert (await chat.slots()).get("id_number") is None
    assert await patient_rows(services) == []


async def test_only_a_passport_named_asks_for_its_number(app):
    _, engine = app
    chat = Chat(engine, lang="en")
    await up_to_the_id_question(chat, "I want to see a cardiologist tomorrow morning", "for myself", "John Smith")
    r = await chat("I don't have a Chinese ID, only a passport")
    assert "passport number" in r.reply, r.reply
    r = await chat("E12345678")
    assert "date of birth" in r.reply, r.reply


async def book_passport(engine, session: str) -> Chat:
    chat = Chat(engine, lang="en")
    await up_to_the_id_question(chat, f"I want to see a cardiologist tomorrow {session}", "for myself", "John Smith")
    return chat


async def test_same_passport_same_department_same_day_is_refused(app):
    services, engine = app
    first = await book_passport(engine, "morning")
    await first("passport E12345678")
    await first("1985-03-13")
    await first("13812345678")
    assert (await first("yes")).appointment["status"] == "confirmed"
    second = await book_passport(engine, "afternoon")
    r = await second("passport E12345678")  # known patient: the birth date said last time holds
    assert "already has an appointment in this department that day" in r.reply, r.reply
    assert len(await appointments(services)) == 1
    # the same digits as another document are another patient
    third = Chat(engine)
    await third("明天下午心内科")
    await third("1")
    await third("我自己")
    await third("林志明")
    r = await third("台胞证12345678")
    assert "出生日期" in r.reply, r.reply


async def test_service_rules_hold_by_document_type_and_number(db, hospital, clock):
    """On SQLite and the real PostgreSQL: the patient is stored with the document type, the same number
    under another document is another patient, and the daily rules apply per document."""
    svc = build_booking_service(db, hospital, clock)
    day = date(2026, 11, 24)
    am = await svc.available(dept_id="cardiology", dates=[day], session="AM")
    pm = await svc.available(dept_id="cardiology", dates=[day], session="PM")
    pp = PatientInfo("John Smith", "12345678", "13812345678", PASSPORT, date(1985, 3, 13))
    tw = PatientInfo("林志明", "12345678", "13912345678", TAIWAN_PERMIT, date(1979, 7, 1))
    assert (await svc.book(am[0].key, pp, owner="u1")).ok
    assert (await svc.book(am[1].key, tw, owner="u2")).ok  # same digits, another document: another patient
    again = await svc.book(pm[0].key, pp, owner="u1")
    assert not again.ok and again.reason == "duplicate_patient_day"
    found = await svc.find_patient("12345678", PASSPORT)
    assert found is not None and (found.id_type, found.name, found.birth_date) == (PASSPORT, "John Smith", date(1985, 3, 13))
    assert (await svc.find_patient("12345678", TAIWAN_PERMIT)).name == "林志明"
    assert await svc.find_patient("12345678") is None  # not a resident ID
    child = PatientInfo("Tom Smith", "C01234567", "13812345678", PASSPORT, date(2019, 5, 3))
    refused = await svc.book(am[2].key, child, owner="u1")
    assert not refused.ok and refused.reason == "too_young"
    async with db.session() as s:
        with pytest.raises(Exception):  # noqa: B017 - the database's own unique (id_type, id_number)
            async with s.begin():
                await s.execute(text("INSERT INTO patients (id, name, id_type, id_number, phone, created_at, updated_at) "
                                     "VALUES ('pt-x', 'X', 'passport', '12345678', '1', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))


async def test_migration_keeps_existing_patients_as_resident_ids(tmp_path, request):
    """0004 on a store that already holds patients (SQLite and PostgreSQL)."""
    from alembic import command

    for url in (f"sqlite+aiosqlite:///{tmp_path / 'old.db'}", request.getfixturevalue("pg_url")):
        import asyncio

        await asyncio.to_thread(command.upgrade, alembic_config(url), "0002_booking")
        database = Database(url)
        try:
            async with database.session() as s, s.begin():
                await s.execute(text("INSERT INTO patients (id, name, id_number, phone, created_at, updated_at) "
                                     f"VALUES ('pt-old', '张三', '{make_id('19800101')}', '13800000000', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            await database.migrate()
            async with database.session() as s:
                row = await s.get(PatientRow, "pt-old")
                assert row.id_type == "resident_id" and row.id_number == make_id("19800101")
        finally:
            await database.close()


def test_eighteen_character_residence_permits_are_resident_ids():
    # 港澳台居民居住证 (810000 / 820000 / 830000) and the 2023 外国人永久居留身份证 (9 + province + country code)
    for area in ("810000", "820000", "830000", "931156"):
        assert is_valid_id_number(make_id("19900101", "123", area))
    assert not is_valid_id_number(make_id("19900101", "123", "931156")[:-1] + "0" if make_id("19900101", "123", "931156")[-1] != "0"
                                  else make_id("19900101", "123", "931156")[:-1] + "1")


def test_document_numbers_are_masked_in_text_logs_and_the_staff_console():
    said = "passport E12345678, 回乡证H1234567890, 台胞证 12345678, phone 13812345678"
    masked = mask_text(said)
    for raw in ("E12345678", "H1234567890", "12345678,"):
        assert raw not in masked
    assert "E*****678" in masked and "H*******890" in masked and "1****678" in masked
    assert mask_text(masked) == masked
    assert mask_text("apt-3f9a12345678 RF20261123100000a1b2c3 DR002") == "apt-3f9a12345678 RF20261123100000a1b2c3 DR002"
    text_out, found = find_numbers(said, 7)
    assert [n.kind for n in found] == ["document_number", "document_number", "document_number", "mobile"]
    assert found[0].value == "E12345678" and "E12345678" not in text_out
    record = logging.LogRecord("booking", logging.INFO, __file__, 1, "patient said %s", (said,), None)
    record.pii = {"id_number": "E12345678"}
    line = json.loads(JsonFormatter().format(record))
    assert "E12345678" not in json.dumps(line, ensure_ascii=False)


@pytest.mark.parametrize("said,expect", [
    ("passport E12345678", (PASSPORT, "E12345678")),
    ("My passport number is X 1234 567", (PASSPORT, "X1234567")),
    ("护照号：EA1234567", (PASSPORT, "EA1234567")),
    ("通行证 H12345678", (HK_MACAU_PERMIT, "H12345678")),
    ("港澳通行证M1234567890", (HK_MACAU_PERMIT, "M1234567890")),
    ("台胞证12345678", (TAIWAN_PERMIT, "12345678")),
    ("h12345678", (HK_MACAU_PERMIT, "H12345678")),
    ("E12345678", (None, None)),  # passport-shaped, unlabelled: only when the form has just asked
    ("passport 12345678 13812345678", (PASSPORT, "12345678")),
])
def test_parse_document(said, expect):
    assert parse_document(said)[:2] == expect
