"""Staff knowledge endpoints: list, upload (ingest), delete and try a query against the knowledge base.

Protected by a bearer token: ``PA_STAFF_TOKEN`` or an administrator's login token. With neither
configured every call is refused (fail closed). Errors are JSON ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import hmac
import logging
import re
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import UploadFile

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"])

UPLOAD_TYPES = {".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".txt", ".csv"}
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class KnowledgeError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def _token_ok(request: Request, token: str) -> bool:
    settings = request.app.state.services.settings
    if settings.staff_token and hmac.compare_digest(token.encode(), settings.staff_token.encode()):
        return True
    signer = getattr(request.app.state, "token_signer", None)
    if signer is not None:
        try:
            return signer.verify(token).role == "admin"
        except Exception:  # noqa: BLE001 - any verification failure is a refusal
            return False
    return False


async def require_staff(request: Request) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or not _token_ok(request, token.strip()):
        raise KnowledgeError(401, "unauthorized", "a valid staff bearer token is required")


def _kb(request: Request) -> Any:
    kb = getattr(request.app.state.services, "kb", None)
    if kb is None:
        raise KnowledgeError(503, "knowledge_unavailable", "the knowledge base is not available")
    return kb


class QueryRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    lang: str = "zh"
    k: int = Field(5, ge=1, le=20)
    use_llm: bool = False


async def _auth(request: Request) -> JSONResponse | None:
    try:
        await require_staff(request)
    except KnowledgeError as exc:
        return _error(exc.status, exc.code, exc.message, {"WWW-Authenticate": "Bearer"})
    return None


@router.get("/documents")
async def list_documents(request: Request) -> JSONResponse:
    if (denied := await _auth(request)) is not None:
        return denied
    try:
        docs = await _kb(request).list_documents()
    except KnowledgeError as exc:
        return _error(exc.status, exc.code, exc.message)
    return JSONResponse({"documents": docs})


@router.post("/documents")
async def upload_documents(request: Request) -> JSONResponse:
    """Multipart upload, one or more ``files`` parts; each file is ingested (replacing its old version)."""
    if (denied := await _auth(request)) is not None:
        return denied
    try:
        kb = _kb(request)
    except KnowledgeError as exc:
        return _error(exc.status, exc.code, exc.message)
    try:
        form = await request.form()
    except Exception:  # noqa: BLE001 - not multipart, or malformed
        return _error(400, "bad_request", "send the documents as multipart/form-data parts named 'files'")
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
    if not files:
        return _error(422, "invalid_request", "no file parts named 'files'")
    with tempfile.TemporaryDirectory(prefix="pa-upload-") as tmp:
        paths = []
        for f in files:
            name = Path(f.filename or "").name
            name = re.sub(r"[^\w.\-]+", "_", name, flags=re.UNICODE)
            if not name or Path(name).suffix.lower() not in UPLOAD_TYPES:
                return _error(415, "unsupported_media_type",
                              f"{f.filename!r}: upload Markdown, HTML, PDF, DOCX, TXT or CSV")
            data = await f.read(MAX_UPLOAD_BYTES + 1)
            if len(data) > MAX_UPLOAD_BYTES:
                return _error(413, "too_large", f"{name} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
            path = Path(tmp) / name
            path.write_bytes(data)
            paths.append(path)
        report = await kb.ingest(paths, progress=False)
    if report.skipped and not report.documents:
        return _error(422, "unreadable_document", "; ".join(s.split(": ", 1)[-1] for s in report.skipped))
    return JSONResponse({"documents": report.documents, "chunks": report.chunks, "replaced": report.replaced,
                         "skipped": [s.split("/")[-1] for s in report.skipped]}, status_code=201)


@router.delete("/documents/{doc_id}")
async def delete_document(request: Request, doc_id: str) -> JSONResponse:
    if (denied := await _auth(request)) is not None:
        return denied
    try:
        removed = await _kb(request).delete(doc_id)
    except KnowledgeError as exc:
        return _error(exc.status, exc.code, exc.message)
    if not removed:
        return _error(404, "not_found", f"no document {doc_id!r}")
    return JSONResponse({"deleted": doc_id})


@router.post("/query")
async def query(request: Request) -> JSONResponse:
    """Try a question: the answer the assistant would give and the retrieved passages behind it."""
    if (denied := await _auth(request)) is not None:
        return denied
    try:
        body = QueryRequest.model_validate(await request.json())
    except ValidationError as exc:
        first = exc.errors()[0]
        return _error(422, "invalid_request", f"{'.'.join(map(str, first['loc']))}: {first['msg']}")
    except ValueError:
        return _error(422, "invalid_json", "the body must be a JSON object")
    try:
        kb = _kb(request)
    except KnowledgeError as exc:
        return _error(exc.status, exc.code, exc.message)
    llm = getattr(request.app.state.services, "llm", None) if body.use_llm else None
    answer = await kb.answer(body.question, body.lang, llm=llm)
    hits = await kb.search(body.question, k=body.k)
    return JSONResponse({
        "answer": {"text": answer.text, "citations": answer.citations, "abstained": answer.abstained,
                   "confidence": round(answer.confidence, 3), "source": answer.source},
        "hits": [{"doc_id": h.doc_id, "title": h.chunk.title, "heading": h.chunk.heading, "text": h.chunk.text,
                  "score": round(h.score, 4), "dense": round(h.dense, 3), "lexical": round(h.lexical, 3)}
                 for h in hits],
    })
