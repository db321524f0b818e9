"""Staff endpoints: login, the escalation queue and its actions, staff accounts (admin), the
evaluation-case export (admin), and the console page at ``/console``.

``router`` carries everything (the API under ``/api/v1/staff``, the live WebSocket and the page), so
the app factory wires it with one ``include_router``. Every token is checked against the account
too: a deactivated account is refused at once, whatever its token says.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from assistant.api import console_ws
from assistant.api.deps import ServicesDep, current_staff
from assistant.errors import AppError
from assistant.staff.auth import ROLES, AccountExists, LoginError, StaffAccounts, StaffIdentity
from assistant.staff.desk import StaffDesk
from assistant.staff.queue import ACTIVE_STATUSES, DISPOSITIONS, ORDERS, Queue
from assistant.store import repo

api = APIRouter(prefix="/api/v1/staff", tags=["staff"])


# -- identity ------------------------------------------------------------------------------------
def _forbidden(roles: tuple[str, ...]) -> HTTPException:
    return HTTPException(403, detail={"error": {"code": "forbidden", "message": f"this needs the role {' or '.join(roles)}"}})


def active_staff(*roles: str) -> Callable[[Request], Coroutine[Any, Any, StaffIdentity]]:
    """A valid token of an active account with one of ``roles`` (401 / 403 otherwise)."""

    async def dep(request: Request) -> StaffIdentity:
        ident = current_staff(request)
        user = await StaffAccounts(request.app.state.services.db, request.app.state.services.clock).get(ident.username)
        if user is None or not user.active:
            raise HTTPException(
                401, detail={"error": {"code": "unauthorized", "message": "this staff account is deactivated"}},
                headers={"WWW-Authenticate": "Bearer"},
            )
        if roles and user.role not in roles:
            raise _forbidden(roles)
        return StaffIdentity(username=user.username, role=user.role, expires_at=ident.expires_at)

    return dep


Clinical = Annotated[StaffIdentity, Depends(active_staff("nurse", "doctor", "admin"))]
Admin = Annotated[StaffIdentity, Depends(active_staff("admin"))]


def _desk(request: Request) -> StaffDesk:
    services = request.app.state.services
    senders = getattr(request.app.state, "channel_senders", None) or {}
    return StaffDesk(services.db, services.bus, services.clock, senders)


def _queue(request: Request) -> Queue:
    services = request.app.state.services
    return Queue(services.db, services.clock)


# -- login ---------------------------------------------------------------------------------------
class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: int
    role: str
    username: str
    display_name: str = ""


@api.post("/login", response_model=LoginResponse)
async def login(body: LoginRequest, request: Request, services: ServicesDep) -> LoginResponse:
    accounts = StaffAccounts(services.db, services.clock)
    try:
        user = await accounts.authenticate(body.username, body.password)
    except LoginError as exc:
        raise AppError(exc.code, exc.message, 423 if exc.code == "account_locked" else 401) from exc
    token, exp = request.app.state.token_signer.issue(user.username, user.role)
    return LoginResponse(access_token=token, expires_at=exp, role=user.role, username=user.username,
                         display_name=user.display_name or "")


@api.get("/me")
async def me(staff: Clinical, services: ServicesDep) -> dict[str, Any]:
    user = await StaffAccounts(services.db, services.clock).get(staff.username)
    return {"username": staff.username, "role": staff.role, "display_name": user.display_name if user else "",
            "expires_at": staff.expires_at}


class ChangePassword(BaseModel):
    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


@api.post("/me/password")
async def change_my_password(body: ChangePassword, staff: Clinical, services: ServicesDep) -> dict[str, bool]:
    try:
        await StaffAccounts(services.db, services.clock).change_own_password(staff.username, body.old_password, body.new_password)
    except LoginError as exc:
        raise AppError(exc.code, exc.message, 403) from exc
    except ValueError as exc:
        raise AppError("invalid_password", str(exc), 422) from exc
    return {"ok": True}


# -- the queue -----------------------------------------------------------------------------------
@api.get("/escalations")
async def escalations(
    request: Request,
    staff: Clinical,
    status: str | None = None,
    order: str = "newest",
    limit: int = Query(200, ge=1, le=1000),
) -> dict[str, object]:
    """The queue. Newest first (the contract) or ``order=urgency``; ``status`` may list several
    (``open,assigned,taken_over``) or be ``active`` for those three."""
    if order not in ORDERS:
        raise AppError("invalid_request", f"order must be one of {', '.join(ORDERS)}", 422)
    statuses = None
    if status:
        statuses = list(ACTIVE_STATUSES) if status == "active" else [x.strip() for x in status.split(",") if x.strip()]
    return {"escalations": await _queue(request).list(statuses=statuses, order=order, limit=limit)}


@api.get("/escalations/{escalation_id}")
async def escalation(escalation_id: str, request: Request, staff: Clinical) -> dict[str, Any]:
    item = await _queue(request).get(escalation_id)
    if item is None:
        raise AppError("not_found", f"no escalation {escalation_id!r}", 404)
    return item


@api.get("/conversations/{session_id}")
async def conversation(session_id: str, request: Request, staff: Clinical, reason: str | None = None) -> dict[str, Any]:
    """The masked transcript with sources. ``reason`` (why you open it) is required and audited."""
    await _desk(request).record_open(staff, session_id, reason)
    view = await _queue(request).transcript(session_id)
    if view is None:
        raise AppError("not_found", f"no conversation {session_id!r}", 404)
    return view


class RevealRequest(BaseModel):
    ref: str = Field(min_length=3, max_length=32)
    reason: str = Field(default="", max_length=500)


@api.post("/conversations/{session_id}/reveal")
async def reveal(session_id: str, body: RevealRequest, request: Request, staff: Clinical) -> dict[str, str]:
    return await _desk(request).reveal(staff, session_id, body.ref, body.reason)


class AssignRequest(BaseModel):
    username: str | None = Field(default=None, max_length=64)


@api.post("/escalations/{escalation_id}/assign")
async def assign(escalation_id: str, request: Request, staff: Clinical, body: AssignRequest | None = None) -> dict[str, Any]:
    await _desk(request).assign(staff, escalation_id, body.username if body else None)
    return await escalation(escalation_id, request, staff)


@api.post("/escalations/{escalation_id}/takeover")
async def takeover(escalation_id: str, request: Request, staff: Clinical) -> dict[str, Any]:
    result = await _desk(request).takeover(staff, escalation_id)
    return {**(await escalation(escalation_id, request, staff)), "already_owner": result["already"]}


class MessageRequest(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


@api.post("/escalations/{escalation_id}/message")
async def message(escalation_id: str, body: MessageRequest, request: Request, staff: Clinical, services: ServicesDep) -> dict[str, Any]:
    user = await StaffAccounts(services.db, services.clock).get(staff.username)
    return await _desk(request).message(staff, escalation_id, body.text, user.display_name if user else "")


@api.post("/escalations/{escalation_id}/handback")
async def handback(escalation_id: str, request: Request, staff: Clinical) -> dict[str, Any]:
    await _desk(request).handback(staff, escalation_id)
    return await escalation(escalation_id, request, staff)


class CloseRequest(BaseModel):
    disposition: Literal["handled", "referred_to_emergency", "booked", "no_action", "wrong_escalation"]
    note: str | None = Field(default=None, max_length=500)


@api.post("/escalations/{escalation_id}/close")
async def close(escalation_id: str, body: CloseRequest, request: Request, staff: Clinical) -> dict[str, Any]:
    await _desk(request).close(staff, escalation_id, body.disposition, body.note)
    return await escalation(escalation_id, request, staff)


@api.get("/dispositions")
async def dispositions(staff: Clinical) -> dict[str, list[str]]:
    return {"dispositions": list(DISPOSITIONS)}


# -- staff accounts (admin) ------------------------------------------------------------------------
def _user_view(u: Any) -> dict[str, Any]:
    return {"username": u.username, "role": u.role, "display_name": u.display_name, "active": bool(u.active),
            "locked": bool(u.locked_until is not None), "created_at": u.created_at.isoformat() if u.created_at else None}


class CreateStaff(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    role: Literal["nurse", "doctor", "admin"]
    display_name: str = Field(default="", max_length=64)


class ResetPassword(BaseModel):
    password: str = Field(min_length=1, max_length=256)


@api.get("/users")
async def list_users(admin: Admin, services: ServicesDep) -> dict[str, Any]:
    users = await StaffAccounts(services.db, services.clock).list_all()
    return {"users": [_user_view(u) for u in users], "roles": list(ROLES)}


@api.post("/users", status_code=201)
async def create_user(body: CreateStaff, admin: Admin, services: ServicesDep) -> dict[str, Any]:
    accounts = StaffAccounts(services.db, services.clock)
    try:
        await accounts.create(body.username, body.password, body.role, body.display_name, actor=f"staff:{admin.username}")
    except AccountExists as exc:
        raise AppError("already_exists", f"a staff account {body.username!r} already exists", 409) from exc
    except ValueError as exc:
        raise AppError("invalid_request", str(exc), 422) from exc
    return _user_view(await accounts.get(body.username))


async def _set_active(username: str, active: bool, admin: StaffIdentity, services: Any) -> dict[str, Any]:
    accounts = StaffAccounts(services.db, services.clock)
    if not active and username == admin.username:
        raise AppError("conflict", "you cannot deactivate your own account", 409)
    try:
        await accounts.set_active(username, active, actor=f"staff:{admin.username}")
    except LookupError as exc:
        raise AppError("not_found", f"no staff account {username!r}", 404) from exc
    except ValueError as exc:
        raise AppError("conflict", str(exc), 409) from exc
    return _user_view(await accounts.get(username))


@api.post("/users/{username}/deactivate")
async def deactivate_user(username: str, admin: Admin, services: ServicesDep) -> dict[str, Any]:
    return await _set_active(username, False, admin, services)


@api.post("/users/{username}/activate")
async def activate_user(username: str, admin: Admin, services: ServicesDep) -> dict[str, Any]:
    return await _set_active(username, True, admin, services)


@api.post("/users/{username}/password")
async def reset_password(username: str, body: ResetPassword, admin: Admin, services: ServicesDep) -> dict[str, Any]:
    accounts = StaffAccounts(services.db, services.clock)
    try:
        await accounts.set_password(username, body.password, actor=f"staff:{admin.username}")
    except LookupError as exc:
        raise AppError("not_found", f"no staff account {username!r}", 404) from exc
    except ValueError as exc:
        raise AppError("invalid_password", str(exc), 422) from exc
    return _user_view(await accounts.get(username))


# -- evaluation export (admin) -------------------------------------------------------------------
@api.get("/export/eval-cases")
async def export_eval_cases(
    admin: Admin, services: ServicesDep, format: str = "yaml", include_confirmed: bool = True
) -> Response:
    """Closed escalations' dispositions as an evaluation suite (YAML by default, or JSON)."""
    from eval.export import collect_cases, dump_yaml, to_suite

    suite = to_suite(await collect_cases(services.db, include_confirmed=include_confirmed))
    await repo.add_audit(services.db, actor=f"staff:{admin.username}", action="eval_cases_exported",
                         target_type="eval", target_id="staff_dispositions", details={"cases": len(suite["cases"])})
    if format == "json":
        return JSONResponse(suite)
    return PlainTextResponse(dump_yaml(suite), media_type="application/yaml; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="staff_dispositions.yaml"'})


# -- the console page ------------------------------------------------------------------------------
pages = APIRouter(tags=["console"])
_CONSOLE_DIR = Path(__file__).resolve().parent.parent.parent / "web" / "console"
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".svg": "image/svg+xml"}
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def console_dir() -> Path:
    try:
        from importlib import resources

        return Path(str(resources.files("web"))) / "console"
    except Exception:  # noqa: BLE001 - a checkout without the package installed
        return _CONSOLE_DIR


def _console_file(name: str) -> Response:
    root = console_dir().resolve()
    path = (root / name).resolve()
    if root not in path.parents or not path.is_file() or path.suffix not in _TYPES or name.startswith("."):
        return JSONResponse({"error": {"code": "not_found", "message": "no such file"}}, status_code=404)
    return FileResponse(path, media_type=_TYPES[path.suffix], headers=_HEADERS)


@pages.get("/console", include_in_schema=False)
async def console_page() -> Response:
    return _console_file("index.html")


@pages.get("/console/static/{name}", include_in_schema=False)
async def console_static(name: str) -> Response:
    return _console_file(name)


router = APIRouter()
router.include_router(api)
router.include_router(console_ws.router)
router.include_router(pages)
