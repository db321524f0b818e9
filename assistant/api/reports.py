"""POST /api/v1/reports/upload: a photo, PDF, FHIR JSON or text file of a lab report → what was read,
what could not be, and the interpretation reply. Thin: the work is in assistant.services.reports."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from assistant.events import UserText
from assistant.services.reports import ReportReader
from assistant.services.reports.upload import MAX_UPLOAD_BYTES, UploadRejected, read_upload

log = logging.getLogger(__name__)
router = APIRouter()

_FORM_SLACK = 256 * 1024  # multipart headers and small fields around the file


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _reader(request: Request) -> ReportReader:
    services = request.app.state.services
    if getattr(services, "reports", None) is None:
        services.reports = ReportReader(services.hospital)
    return services.reports


async def _read_limited(upload: UploadFile, limit: int) -> bytes | None:
    chunks, total = [], 0
    while True:
        chunk = await upload.read(1024 * 1024)
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/api/v1/reports/upload")
async def upload_report(request: Request) -> JSONResponse:
    lang = "en" if request.query_params.get("lang") == "en" else "zh"
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_UPLOAD_BYTES + _FORM_SLACK:
        msg = ("The file is too large; the limit is 10 MB." if lang == "en"
               else "文件太大，最大 10 MB。请拍一张普通大小的照片，或直接粘贴报告文字。")
        return _error(413, "file_too_large", msg)
    try:
        form = await request.form(max_files=1, max_fields=20)
    except Exception:  # noqa: BLE001 - any malformed multipart body is the client's error
        return _error(400, "bad_request", "expected multipart/form-data with a 'file' field")
    lang = "en" if str(form.get("lang") or lang) == "en" else "zh"
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return _error(422, "missing_file", "请选择要上传的报告照片或文件。" if lang == "zh" else "Please attach the report file as 'file'.")
    data = await _read_limited(upload, MAX_UPLOAD_BYTES)
    if data is None:
        return _error(413, "file_too_large", "文件太大，最大 10 MB。" if lang == "zh" else "The file is too large; the limit is 10 MB.")
    reader = _reader(request)
    try:
        parsed = await read_upload(reader, data, upload.filename, upload.content_type)
    except UploadRejected as e:
        return _error(e.status, e.code, e.message(lang))
    sex = str(form.get("sex") or "") or None
    age = _age(form.get("age"))
    # The reading becomes a turn of the patient's conversation: stored, guarded, escalated if critical.
    engine = request.app.state.engine
    said = {"zh": "（上传了一份检查报告）", "en": "(uploaded a lab report)"}[lang]
    meta: dict[str, Any] = {"intent": "report", "parsed_report": parsed}
    if sex:
        meta["sex"] = sex
    if age is not None:
        meta["age"] = age
    reply = await engine.handle(
        UserText(session_id=str(form.get("session_id") or "") or None, text=said, lang=lang, channel="web", metadata=meta)
    )
    body: dict[str, Any] = {**reply.model_dump(mode="json"), "source": parsed.source, "notes": parsed.notes}
    log.info("report upload read", extra={"source": parsed.source, "items": len((reply.report or {}).get("items", []))})
    return JSONResponse(body)


def _age(v: Any) -> float | None:
    try:
        return float(v) if v not in (None, "") else None
    except (TypeError, ValueError):
        return None
