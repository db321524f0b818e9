"""The outgoing Official Account API: access token (cached, refreshed before expiry and on 40001/42001),
customer-service messages, template messages and media download, with retries and clear errors."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from integrations.wechat.tokens import LocalTokenCache, TokenCache

log = logging.getLogger(__name__)

TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid / expired access token: refresh and retry once
BUSY_ERRORS = frozenset({-1, 45009})  # system busy / rate limited: back off and retry
REFRESH_MARGIN_S = 300.0


class WeChatError(Exception):
    """Base class of everything the client raises."""


class WeChatApiError(WeChatError):
    """WeChat answered with ``errcode != 0``."""

    def __init__(self, api: str, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat {api} failed: errcode={errcode} errmsg={errmsg}")
        self.api, self.errcode, self.errmsg = api, errcode, errmsg


class WeChatUnavailable(WeChatError):
    """WeChat could not be reached, timed out or kept answering 5xx after the retries."""

    def __init__(self, api: str, reason: str) -> None:
        super().__init__(f"WeChat {api} unavailable: {reason}")
        self.api, self.reason = api, reason


@dataclass(frozen=True)
class Media:
    content: bytes
    content_type: str
    filename: str | None = None


class WeChatClient:
    def __init__(
        self,
        appid: str,
        appsecret: str,
        api_base: str = "https://api.weixin.qq.com",
        *,
        timeout_s: float = 5.0,
        attempts: int = 3,
        backoff_s: float = 0.2,
        monotonic: Callable[[], float] = time.monotonic,
        http: httpx.AsyncClient | None = None,
        token_cache: TokenCache | None = None,
    ) -> None:
        self.appid, self.appsecret = appid, appsecret
        self.api_base = api_base.rstrip("/")
        self.attempts, self.backoff_s = max(1, attempts), backoff_s
        self._monotonic = monotonic
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout_s), trust_env=False)
        self._tokens: TokenCache = token_cache or LocalTokenCache(monotonic)

    async def close(self) -> None:
        await self._http.aclose()
        await self._tokens.close()

    # ---- transport ----------------------------------------------------------------------------
    async def _request(self, api: str, method: str, path: str, *, idempotent: bool, **kw: Any) -> httpx.Response:
        """One call with backoff on 5xx, connection failures and (for idempotent calls) timeouts.

        A POST that timed out after being sent is not repeated: WeChat may already have delivered it,
        and a patient must never get the same answer twice.
        """
        url = f"{self.api_base}{path}"
        last = "no attempt"
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(self.backoff_s * (2 ** (attempt - 1)))
            try:
                resp = await self._http.request(method, url, **kw)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
                last = type(e).__name__
            except httpx.TimeoutException as e:
                last = type(e).__name__
                if not idempotent:
                    break
            except httpx.HTTPError as e:
                last = type(e).__name__
            else:
                if resp.status_code < 500:
                    return resp
                last = f"HTTP {resp.status_code}"
            log.warning("wechat api retry", extra={"api": api, "attempt": attempt + 1, "reason": last})
        raise WeChatUnavailable(api, last)

    @staticmethod
    def _json(api: str, resp: httpx.Response) -> dict[str, Any]:
        try:
            body = resp.json()
        except (json.JSONDecodeError, ValueError) as e:
            raise WeChatUnavailable(api, f"HTTP {resp.status_code} with a non-JSON body") from e
        if not isinstance(body, dict):
            raise WeChatUnavailable(api, "unexpected JSON shape")
        return body

    # ---- access token -------------------------------------------------------------------------
    async def access_token(self) -> str:
        """The shared token, fetched again when it is within five minutes of expiry or was rejected.

        Only one fetch runs at a time (per process, or per deployment with the Redis cache); whoever
        waited for it uses the token the first one stored instead of fetching another.
        """
        token = await self._tokens.get()
        if token:
            return token
        async with self._tokens.refresh_lock():
            token = await self._tokens.get()
            if token:
                return token
            resp = await self._request(
                "token", "GET", "/cgi-bin/token", idempotent=True,
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.appsecret},
            )
            body = self._json("token", resp)
            if body.get("errcode") or not body.get("access_token"):
                raise WeChatApiError("token", int(body.get("errcode") or -2), str(body.get("errmsg") or "no access_token"))
            token = str(body["access_token"])
            expires_in = float(body.get("expires_in") or 7200)
            await self._tokens.put(token, max(1.0, expires_in - REFRESH_MARGIN_S))
            log.info("wechat access token refreshed", extra={"expires_in": body.get("expires_in")})
            return token

    async def _call(self, api: str, method: str, path: str, *, idempotent: bool, raw: bool = False, **kw: Any) -> Any:
        """A token-authenticated call; refreshes the token once on 40001/42001 and backs off on busy."""
        refreshed = False
        busy_tries = 0
        while True:
            token = await self.access_token()
            params = dict(kw.pop("params", None) or {})
            params["access_token"] = token
            resp = await self._request(api, method, path, idempotent=idempotent, params=params, **kw)
            ctype = resp.headers.get("content-type", "")
            if raw and "json" not in ctype and "text/plain" not in ctype:
                return resp
            body = self._json(api, resp)
            code = int(body.get("errcode") or 0)
            if code == 0:
                return resp if raw else body
            if code in TOKEN_ERRORS and not refreshed:
                log.info("wechat access token rejected; refreshing", extra={"api": api, "errcode": code})
                await self._tokens.discard(token)
                refreshed = True
                continue
            if code in BUSY_ERRORS and busy_tries + 1 < self.attempts:
                busy_tries += 1
                await asyncio.sleep(self.backoff_s * (2 ** (busy_tries - 1)))
                continue
            raise WeChatApiError(api, code, str(body.get("errmsg") or ""))

    # ---- APIs ---------------------------------------------------------------------------------
    async def send_text(self, openid: str, content: str) -> dict[str, Any]:
        """Customer-service text message (only within 48 h of the user's last message)."""
        payload = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        return await self._call(
            "message/custom/send", "POST", "/cgi-bin/message/custom/send", idempotent=False,
            content=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )

    async def send_template(
        self, openid: str, template_id: str, data: dict[str, str | dict[str, str]], *, url: str | None = None
    ) -> dict[str, Any]:
        """Template message; ``data`` values may be plain strings (wrapped as ``{"value": ...}``)."""
        payload: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {k: (v if isinstance(v, dict) else {"value": v}) for k, v in data.items()},
        }
        if url:
            payload["url"] = url
        return await self._call(
            "message/template/send", "POST", "/cgi-bin/message/template/send", idempotent=False,
            content=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )

    async def get_media(self, media_id: str, *, max_bytes: int = 10 * 1024 * 1024) -> Media:
        """Download a temporary media file (a voice message's AMR/SPEEX audio, a photo)."""
        resp = await self._call("media/get", "GET", "/cgi-bin/media/get", idempotent=True, raw=True,
                                params={"media_id": media_id})
        if len(resp.content) > max_bytes:
            raise WeChatApiError("media/get", -3, "media too large")
        filename = None
        disp = resp.headers.get("content-disposition", "")
        if "filename=" in disp:
            filename = disp.split("filename=", 1)[1].strip().strip('"')
        return Media(resp.content, resp.headers.get("content-type", "application/octet-stream"), filename)
