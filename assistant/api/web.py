"""Serves the patient chat page at ``/`` and the static files under ``/static/...`` from the installed
``web`` package, plus a small page-config JSON. (The staff console at ``/console`` is served by
``assistant.api.staff`` from ``web/console/``.)

Files are read from the package directory (``importlib.resources``) so the router works from a checkout
and from an installed wheel alike. Only files inside ``web/`` with a known extension are served.
"""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

log = logging.getLogger(__name__)

router = APIRouter(tags=["web"])

# Extensions we serve and their content types (explicit: module scripts and AudioWorklet need JS).
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".wasm": "application/wasm",
}

# Everything is local: no CDN, no inline script. Sockets go back to the same host.
_PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self' ws: wss:; worker-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'"
)
_COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Microphone for the voice button on this origin only; nothing else.
    "Permissions-Policy": "microphone=(self), camera=(self), geolocation=()",
}


def web_root() -> Path:
    """The directory of the installed ``web`` package (holds ``chat/`` and ``console/``)."""
    return Path(str(resources.files("web")))


def _json_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _resolve(relative: str) -> Path | None:
    """The file under ``web/`` named by ``relative``, or None when it is missing, hidden or outside."""
    root = web_root().resolve()
    if not relative or "\\" in relative or "\x00" in relative:
        return None
    parts = [p for p in relative.split("/") if p]
    if any(p.startswith(".") or p == "__pycache__" for p in parts):
        return None
    candidate = (root / Path(*parts)).resolve() if parts else root
    if root not in candidate.parents or not candidate.is_file():
        return None
    if candidate.suffix.lower() not in _TYPES:
        return None
    return candidate


def _etag(path: Path) -> str:
    st = path.stat()
    return '"' + hashlib.sha1(f"{path}:{st.st_mtime_ns}:{st.st_size}".encode()).hexdigest()[:20] + '"'


def _file_response(request: Request, path: Path, *, page: bool = False) -> Response:
    etag = _etag(path)
    headers = dict(_COMMON_HEADERS)
    headers["ETag"] = etag
    # Revalidate every time: the files are small and a new release must show at once.
    headers["Cache-Control"] = "no-cache"
    if page:
        headers["Content-Security-Policy"] = _PAGE_CSP
    inm = request.headers.get("if-none-match")
    if inm and etag in [t.strip() for t in inm.split(",")]:
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=_TYPES[path.suffix.lower()], headers=headers)


def _page(request: Request, relative: str) -> Response:
    path = _resolve(relative)
    if path is None:
        return _json_error(404, "not_found", f"page not installed: {relative}")
    return _file_response(request, path, page=True)


@router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
async def chat_page(request: Request) -> Response:
    """The patient chat page."""
    return _page(request, "chat/index.html")


@router.get("/chat", include_in_schema=False)
async def chat_page_alias(request: Request) -> Response:
    return _page(request, "chat/index.html")


@router.api_route("/static/{relative:path}", methods=["GET", "HEAD"], include_in_schema=False)
async def static_file(request: Request, relative: str) -> Response:
    path = _resolve(relative)
    if path is None or path.name.endswith(".py"):
        return _json_error(404, "not_found", "no such file")
    return _file_response(request, path)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    return Response(status_code=204)


@lru_cache(maxsize=4)
def _page_config(hospital_dir: str) -> dict[str, Any]:
    from assistant.hospital import cached_hospital

    try:
        h = cached_hospital(hospital_dir)
    except Exception:  # the page still works without names
        log.warning("hospital data not readable for the page config", exc_info=True)
        return {"hospital": {"name_zh": "", "name_en": ""}, "departments": {}, "doctors": {}}
    return {
        "hospital": {"name_zh": h.name_zh, "name_en": ""},
        "departments": {
            d.dept_id: {"zh": d.name_zh, "en": d.name_en, "location_zh": d.location_zh}
            for d in h.departments.values()
        },
        "doctors": {d.doctor_id: {"name": d.name, "title": d.title} for d in h.doctors.values()},
        "red_flags": _red_flag_names(),
        "emergency_phone": "120",
    }


def _red_flag_names() -> dict[str, dict[str, str]]:
    """Red-flag rule ids (the contract's triage.red_flags) with the names a patient reads."""
    from assistant.safety.redflags import rule_table

    return {r.id: {"zh": r.name_zh, "en": r.name_en} for r in rule_table().rules}


@router.get("/api/v1/web/config", tags=["web"])
async def page_config(request: Request) -> JSONResponse:
    """Names the chat page shows instead of ids: hospital, departments, doctors."""
    settings = getattr(request.app.state, "settings", None)
    if settings is None:
        from assistant.config import get_settings

        settings = get_settings()
    return JSONResponse(_page_config(str(settings.hospital_dir)), headers={"Cache-Control": "max-age=300"})
