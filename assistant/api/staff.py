"""Staff endpoints of the contract: login and the escalation queue."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from assistant.api.deps import ServicesDep, StaffDep
from assistant.errors import AppError
from assistant.safety.pii import mask_text
from assistant.staff.auth import LoginError, StaffAccounts
from assistant.store import repo

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: int
    role: str
    username: str


@router.post("/login", response_model=LoginResponse)
async def login(body: LoginRequest, request: Request, services: ServicesDep) -> LoginResponse:
    accounts = StaffAccounts(services.db, services.clock)
    try:
        user = await accounts.authenticate(body.username, body.password)
    except LoginError as exc:
        raise AppError(exc.code, exc.message, 423 if exc.code == "account_locked" else 401) from exc
    token, exp = request.app.state.token_signer.issue(user.username, user.role)
    return LoginResponse(access_token=token, expires_at=exp, role=user.role, username=user.username)


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@router.get("/escalations")
async def escalations(services: ServicesDep, staff: StaffDep, status: str | None = None) -> dict[str, object]:
    rows = await repo.list_escalations(services.db, status=status)
    now = datetime.now(UTC)
    items = []
    for e in rows:
        created = _aware(e.created_at)
        target = _aware(e.target_at)
        items.append(
            {
                "escalation_id": e.id,
                "session_id": e.conversation_id,
                "reason": e.reason,
                "priority": e.priority,
                "status": e.status,
                "channel": e.channel,
                "summary": mask_text(e.summary),
                "assigned_to": e.assigned_to,
                "disposition": e.disposition,
                "created_at": created.isoformat() if created else None,
                "target_at": target.isoformat() if target else None,
                "waited_seconds": int((now - created).total_seconds()) if created else None,
                "overdue": bool(target and now > target and e.status != "closed"),
            }
        )
    return {"escalations": items}
