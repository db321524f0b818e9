"""Password hashing (argon2), lock-out after repeated failures, and signed bearer tokens with expiry.

Tokens are ``base64url(json claims).base64url(HMAC-SHA256)`` over a server secret: a forged or
altered token fails the signature check, an old one fails the expiry check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from assistant.clock import Clock
from assistant.store.db import Database
from assistant.store.models import StaffUser
from assistant.store.repo import audit

ROLES = ("nurse", "doctor", "admin")
MAX_FAILURES = 5
LOCK_MINUTES = 15
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def load_or_create_secret(secret: str | None, data_dir: Path) -> bytes:
    """The configured secret, or one generated once and kept (mode 0600) in the data directory."""
    if secret:
        return secret.encode()
    path = data_dir / ".secret_key"
    if path.exists():
        return path.read_bytes().strip()
    value = secrets.token_urlsafe(48).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(value)
    return value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


@dataclass(frozen=True)
class StaffIdentity:
    username: str
    role: str
    expires_at: int


class TokenError(Exception):
    pass


class LoginError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class TokenSigner:
    def __init__(self, secret: bytes, ttl_minutes: int) -> None:
        self.secret = secret
        self.ttl = ttl_minutes * 60

    def issue(self, username: str, role: str, now: float | None = None) -> tuple[str, int]:
        exp = int((now or time.time()) + self.ttl)
        claims = _b64(json.dumps({"sub": username, "role": role, "exp": exp, "jti": secrets.token_hex(8)}).encode())
        sig = _b64(hmac.new(self.secret, claims.encode(), hashlib.sha256).digest())
        return f"{claims}.{sig}", exp

    def verify(self, token: str, now: float | None = None) -> StaffIdentity:
        try:
            claims_b64, sig_b64 = token.split(".")
            expected = hmac.new(self.secret, claims_b64.encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(sig_b64)):
                raise TokenError("bad signature")
            claims = json.loads(_unb64(claims_b64))
        except (ValueError, TypeError) as exc:
            raise TokenError("malformed token") from exc
        if int(claims.get("exp", 0)) < (now or time.time()):
            raise TokenError("token expired")
        if claims.get("role") not in ROLES:
            raise TokenError("bad role")
        return StaffIdentity(username=str(claims["sub"]), role=str(claims["role"]), expires_at=int(claims["exp"]))


class AccountExists(Exception):
    pass


USERNAME_RE = re.compile(r"[A-Za-z0-9._@\-]{2,64}")


def check_password_rules(password: str) -> None:
    if len(password) < 8:
        raise ValueError("password must have at least 8 characters")
    if len(password) > 256:
        raise ValueError("password must have at most 256 characters")


class StaffAccounts:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def create(self, username: str, password: str, role: str, display_name: str = "", actor: str = "system") -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        check_password_rules(password)
        if not USERNAME_RE.fullmatch(username):
            raise ValueError("username must be 2-64 letters, digits, '.', '_', '@' or '-'")
        if await self.exists(username):
            raise AccountExists(username)
        async with self.db.session() as s:
            s.add(StaffUser(username=username, password_hash=hash_password(password), role=role, display_name=display_name))
            audit(s, actor=actor, action="staff_created", target_type="staff", target_id=username, details={"role": role})
            await s.commit()

    async def exists(self, username: str) -> bool:
        async with self.db.session() as s:
            return await s.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None

    async def any_admin(self) -> bool:
        async with self.db.session() as s:
            return await s.scalar(select(StaffUser.id).where(StaffUser.role == "admin").limit(1)) is not None

    async def get(self, username: str) -> StaffUser | None:
        async with self.db.session() as s:
            return await s.scalar(select(StaffUser).where(StaffUser.username == username))

    async def list_all(self) -> list[StaffUser]:
        async with self.db.session() as s:
            return list(await s.scalars(select(StaffUser).order_by(StaffUser.username)))

    async def set_active(self, username: str, active: bool, actor: str = "system") -> None:
        """Deactivate (or reactivate) an account; a deactivated account's tokens stop working at once."""
        async with self.db.session() as s:
            user = await s.scalar(select(StaffUser).where(StaffUser.username == username))
            if user is None:
                raise LookupError(username)
            if not active and user.role == "admin" and user.active:
                others = await s.scalar(
                    select(func.count()).select_from(StaffUser).where(
                        StaffUser.role == "admin", StaffUser.active.is_(True), StaffUser.username != username
                    )
                )
                if not others:
                    raise ValueError("the last active administrator cannot be deactivated")
            user.active = active
            if active:
                user.failed_attempts = 0
                user.locked_until = None
            audit(s, actor=actor, action="staff_activated" if active else "staff_deactivated",
                  target_type="staff", target_id=username)
            await s.commit()

    async def change_own_password(self, username: str, old: str, new: str) -> None:
        async with self.db.session() as s:
            user = await s.scalar(select(StaffUser).where(StaffUser.username == username))
            if user is None or not verify_password(user.password_hash, old):
                raise LoginError("invalid_credentials", "the current password is wrong")
        check_password_rules(new)
        await self.set_password(username, new, actor=f"staff:{username}")

    async def set_password(self, username: str, password: str, actor: str = "system") -> None:
        check_password_rules(password)
        async with self.db.session() as s:
            user = await s.scalar(select(StaffUser).where(StaffUser.username == username))
            if user is None:
                raise LookupError(username)
            user.password_hash = hash_password(password)
            user.failed_attempts = 0
            user.locked_until = None
            audit(s, actor=actor, action="staff_password_set", target_type="staff", target_id=username)
            await s.commit()

    async def authenticate(self, username: str, password: str) -> StaffUser:
        now = self.clock.now()
        async with self.db.session() as s:
            user = await s.scalar(select(StaffUser).where(StaffUser.username == username))
            if user is None or not user.active:
                verify_password(_DUMMY_HASH, password)  # same cost whether or not the user exists
                audit(s, actor=f"anonymous:{username[:32]}", action="login_failed", target_type="staff", target_id=username[:64])
                await s.commit()
                raise LoginError("invalid_credentials", "wrong username or password")
            locked_until = user.locked_until
            if locked_until is not None and locked_until.tzinfo is None:
                locked_until = locked_until.replace(tzinfo=now.tzinfo)
            if locked_until is not None and locked_until > now:
                audit(s, actor=f"staff:{username}", action="login_refused_locked", target_type="staff", target_id=username)
                await s.commit()
                raise LoginError("account_locked", f"too many failed attempts; try again after {LOCK_MINUTES} minutes")
            if not verify_password(user.password_hash, password):
                user.failed_attempts += 1
                if user.failed_attempts >= MAX_FAILURES:
                    user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                    user.failed_attempts = 0
                audit(s, actor=f"staff:{username}", action="login_failed", target_type="staff", target_id=username)
                await s.commit()
                raise LoginError("invalid_credentials", "wrong username or password")
            user.failed_attempts = 0
            user.locked_until = None
            audit(s, actor=f"staff:{username}", action="login", target_type="staff", target_id=username)
            await s.commit()
            return user


_DUMMY_HASH = hash_password("not-a-real-password-" + secrets.token_hex(4))


async def ensure_first_admin(accounts: StaffAccounts, username: str | None, password: str | None) -> str | None:
    """Create the first administrator. Returns a generated password to print once, else None."""
    if username and password:
        if not await accounts.exists(username):
            await accounts.create(username, password, "admin", display_name="Administrator")
        return None
    if await accounts.any_admin():
        return None
    generated = secrets.token_urlsafe(12)
    await accounts.create(username or "admin", generated, "admin", display_name="Administrator")
    return generated
