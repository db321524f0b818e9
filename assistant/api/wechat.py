"""GET/POST /integrations/wechat: the Official Account callback (URL verification, plain and encrypted
messages, passive replies). Thin: checks and decoding here, the work in integrations.wechat."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from integrations.wechat.adapter import WeChatAdapter
from integrations.wechat.client import WeChatClient
from integrations.wechat.crypto import CryptoError, MessageCrypto, check_signature
from integrations.wechat.inbox import make_inbox
from integrations.wechat.messages import XmlRejected, message_from_fields, parse_xml
from integrations.wechat.replies import SUCCESS, text_reply
from integrations.wechat.tokens import make_token_cache

log = logging.getLogger(__name__)
router = APIRouter()


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _settings(request: Request) -> Any:
    return request.app.state.settings


async def get_adapter(app: FastAPI) -> WeChatAdapter:
    """The channel's adapter on ``app.state.wechat``, built on first use inside the running loop
    (construction does not await, so two first requests cannot build two)."""
    adapter = getattr(app.state, "wechat", None)
    if adapter is None:
        s = app.state.services.settings
        client = None
        if s.wechat_appid and s.wechat_appsecret:
            client = WeChatClient(s.wechat_appid, s.wechat_appsecret, s.wechat_api_base, timeout_s=s.wechat_api_timeout_s,
                                  token_cache=make_token_cache(s.redis_url, s.wechat_appid))
        adapter = WeChatAdapter(app.state, make_inbox(s.redis_url), client)
        app.state.wechat = adapter
    return adapter


async def shutdown(app: FastAPI) -> None:
    """Stop background deliveries and close the API client (call from the app's lifespan)."""
    adapter = getattr(app.state, "wechat", None)
    if adapter is not None:
        await adapter.close()
        app.state.wechat = None


def _crypto(settings: Any) -> MessageCrypto | None:
    if not (settings.wechat_token and settings.wechat_aes_key and settings.wechat_appid):
        return None
    try:
        return MessageCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid)
    except CryptoError:
        log.error("PA_WECHAT_AES_KEY is not a valid EncodingAESKey; encrypted mode is off")
        return None


def _channel_off() -> JSONResponse:
    return _error(503, "channel_off", "the WeChat channel is not configured (PA_WECHAT_TOKEN is unset)")


def _fresh(request: Request, timestamp: str) -> bool:
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    now = request.app.state.services.clock.now().timestamp()
    return abs(now - ts) <= _settings(request).wechat_replay_window_s


def _rejected(request: Request, code: str, why: str) -> JSONResponse:
    log.warning("wechat callback rejected", extra={"reason": code, "client": request.client.host if request.client else None})
    return _error(403, code, why)


@router.get("/integrations/wechat", include_in_schema=True)
async def verify_url(request: Request) -> Response:
    settings = _settings(request)
    if not settings.wechat_token:
        return _channel_off()
    q = request.query_params
    timestamp, nonce, echostr = q.get("timestamp", ""), q.get("nonce", ""), q.get("echostr", "")
    if not (timestamp and nonce and echostr):
        return _error(400, "bad_request", "timestamp, nonce and echostr are required")
    if q.get("msg_signature"):
        crypto = _crypto(settings)
        if crypto is None:
            return _error(400, "encryption_off", "encrypted mode is not configured (PA_WECHAT_AES_KEY, PA_WECHAT_APPID)")
        if not crypto.verify(q.get("msg_signature"), timestamp, nonce, echostr):
            return _rejected(request, "bad_signature", "msg_signature does not match")
        if not _fresh(request, timestamp):
            return _rejected(request, "stale_timestamp", "timestamp is outside the replay window")
        try:
            return PlainTextResponse(crypto.decrypt(echostr))
        except CryptoError:
            return _rejected(request, "bad_ciphertext", "echostr could not be decrypted")
    if not check_signature(q.get("signature"), settings.wechat_token, timestamp, nonce):
        return _rejected(request, "bad_signature", "signature does not match")
    if not _fresh(request, timestamp):
        return _rejected(request, "stale_timestamp", "timestamp is outside the replay window")
    return PlainTextResponse(echostr)


async def _read_body(request: Request, limit: int) -> bytes | None:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        return None
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/integrations/wechat")
async def callback(request: Request) -> Response:
    started = time.monotonic()
    settings = _settings(request)
    if not settings.wechat_token:
        return _channel_off()
    q = request.query_params
    timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
    encrypted = q.get("encrypt_type", "").lower() == "aes" or bool(q.get("msg_signature"))
    crypto = _crypto(settings) if encrypted else None
    if encrypted and crypto is None:
        return _error(400, "encryption_off", "encrypted mode is not configured (PA_WECHAT_AES_KEY, PA_WECHAT_APPID)")
    # Cheap checks first: a plain request's signature covers only the query, so check it before reading.
    if not encrypted and not check_signature(q.get("signature"), settings.wechat_token, timestamp, nonce):
        return _rejected(request, "bad_signature", "signature does not match")
    body = await _read_body(request, settings.wechat_max_body_bytes)
    if body is None:
        log.warning("wechat callback rejected", extra={"reason": "too_large"})
        return _error(413, "body_too_large", f"the body is larger than {settings.wechat_max_body_bytes} bytes")
    try:
        fields = parse_xml(body)
        if crypto is not None:
            encrypt = fields.get("Encrypt")
            if not isinstance(encrypt, str) or not encrypt:
                return _error(400, "malformed_xml", "encrypted mode requires an <Encrypt> element")
            if not crypto.verify(q.get("msg_signature"), timestamp, nonce, encrypt):
                return _rejected(request, "bad_signature", "msg_signature does not match")
            try:
                fields = parse_xml(crypto.decrypt(encrypt))
            except CryptoError:
                return _rejected(request, "bad_ciphertext", "the message could not be decrypted")
    except XmlRejected as e:
        log.warning("wechat callback rejected", extra={"reason": e.code})
        return _error(400, e.code, str(e))
    if not _fresh(request, timestamp):
        return _rejected(request, "stale_timestamp", "timestamp is outside the replay window")
    msg = message_from_fields(fields)
    adapter = await get_adapter(request.app)
    text = await adapter.handle(msg, started)
    if not text:
        return PlainTextResponse(SUCCESS)
    xml = text_reply(msg.from_user, msg.to_user, text, int(request.app.state.services.clock.now().timestamp()))
    if crypto is not None:
        xml = crypto.envelope(xml, timestamp, nonce)
    return Response(xml, media_type="application/xml; charset=utf-8")
