"""Request dependencies as Annotated aliases: services, engine, and the staff identity by role."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from assistant.services.container import Services
from assistant.staff.auth import StaffIdentity, TokenError


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=401,
        detail={"error": {"code": "unauthorized", "message": message}},
        headers={"WWW-Authenticate": "Bearer"},
    )


def identity_from_token(request: Request, token: str | None) -> StaffIdentity:
    if not token:
        raise _unauthorized("a staff bearer token is required")
    try:
        return request.app.state.token_signer.verify(token)
    except TokenError as exc:
        raise _unauthorized(f"invalid token: {exc}") from exc


def current_staff(request: Request) -> StaffIdentity:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return identity_from_token(request, token.strip() if scheme.lower() == "bearer" else None)


def require_role(*roles: str) -> Callable[[Request], Coroutine[Any, Any, StaffIdentity]]:
    async def dep(request: Request) -> StaffIdentity:
        ident = current_staff(request)
        if roles and ident.role not in roles:
            raise HTTPException(
                status_code=403,
                detail={"error": {"code": "forbidden", "message": f"this needs the role {' or '.join(roles)}"}},
            )
        return ident

    return dep


StaffDep = Annotated[StaffIdentity, Depends(require_role())]
ClinicalStaffDep = Annotated[StaffIdentity, Depends(require_role("nurse", "doctor", "admin"))]
AdminDep = Annotated[StaffIdentity, Depends(require_role("admin"))]
