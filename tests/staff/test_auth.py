"""Staff accounts on the store: argon2 hashes, lock-out and its expiry on a moving clock, signed tokens
(forged, altered, expired), the first administrator, and the last-administrator rule."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from assistant.clock import FixedClock
from assistant.staff.auth import (
    MAX_FAILURES,
    AccountExists,
    LoginError,
    StaffAccounts,
    TokenError,
    TokenSigner,
    ensure_first_admin,
)
from assistant.store.db import Database
from assistant.store.models import AuditLog, StaffUser

pytestmark = pytest.mark.integration


@pytest.fixture
async def accounts(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}")
    await db.migrate()
    yield StaffAccounts(db, FixedClock(datetime(2026, 11, 23, 10, 0)))
    await db.close()


async def test_passwords_are_argon2_hashes_and_names_are_unique(accounts):
    await accounts.create("nurse.li", "long-enough-1", "nurse", "李护士")
    user = await accounts.get("nurse.li")
    assert user.password_hash.startswith("$argon2") and "long-enough-1" not in user.password_hash
    with pytest.raises(AccountExists):
        await accounts.create("nurse.li", "long-enough-2", "doctor")
    for bad in (("x", "long-enough-1", "nurse"), ("ok.name", "short", "nurse"), ("ok.name", "long-enough-1", "king")):
        with pytest.raises(ValueError):
            await accounts.create(*bad)


async def test_lock_out_after_repeated_failures_then_release(accounts):
    await accounts.create("doc.wang", "right-password", "doctor")
    for _ in range(MAX_FAILURES):
        with pytest.raises(LoginError) as e:
            await accounts.authenticate("doc.wang", "wrong")
        assert e.value.code == "invalid_credentials"
    with pytest.raises(LoginError) as e:
        await accounts.authenticate("doc.wang", "right-password")
    assert e.value.code == "account_locked"
    accounts.clock.advance(minutes=16)  # type: ignore[attr-defined]
    assert (await accounts.authenticate("doc.wang", "right-password")).username == "doc.wang"
    with pytest.raises(LoginError):
        await accounts.authenticate("nobody", "whatever")
    async with accounts.db.session() as s:
        actions = [a.action for a in await s.scalars(select(AuditLog).where(AuditLog.target_id == "doc.wang"))]
    assert actions.count("login_failed") == MAX_FAILURES and "login_refused_locked" in actions and actions[-1] == "login"


async def test_deactivated_accounts_cannot_log_in_and_the_last_admin_stays(accounts):
    await accounts.create("boss", "boss-password", "admin")
    await accounts.create("temp", "temp-password", "nurse")
    await accounts.set_active("temp", False, actor="staff:boss")
    with pytest.raises(LoginError):
        await accounts.authenticate("temp", "temp-password")
    with pytest.raises(ValueError, match="last active administrator"):
        await accounts.set_active("boss", False)
    with pytest.raises(LookupError):
        await accounts.set_active("ghost", False)


def test_tokens_expire_and_forgeries_fail():
    signer = TokenSigner(b"s" * 32, ttl_minutes=10)
    token, exp = signer.issue("nurse1", "nurse", now=1_000_000)
    assert exp == 1_000_600
    assert signer.verify(token, now=1_000_599).username == "nurse1"
    with pytest.raises(TokenError, match="expired"):
        signer.verify(token, now=1_000_601)
    with pytest.raises(TokenError):
        TokenSigner(b"t" * 32, 10).verify(token, now=1_000_001)
    claims, sig = token.split(".")
    with pytest.raises(TokenError):
        signer.verify(claims[:-2] + "xx." + sig, now=1_000_001)
    for junk in ("", "abc", "a.b.c", "..", "%%%.%%%"):
        with pytest.raises(TokenError):
            signer.verify(junk)


async def test_first_admin_from_settings_or_generated_once(accounts):
    assert await ensure_first_admin(accounts, "head", "head-password") is None
    assert (await accounts.get("head")).role == "admin"
    assert await ensure_first_admin(accounts, None, None) is None  # an admin exists already


async def test_first_admin_generated_when_none_configured(accounts):
    generated = await ensure_first_admin(accounts, None, None)
    assert generated and len(generated) >= 12
    assert (await accounts.authenticate("admin", generated)).role == "admin"
    assert await ensure_first_admin(accounts, None, None) is None
    async with accounts.db.session() as s:
        assert len(list(await s.scalars(select(StaffUser)))) == 1
