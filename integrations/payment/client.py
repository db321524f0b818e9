"""The merchant side of WeChat Pay API v3 over httpx: Native and JSAPI orders, order query and
close, refunds and refund query. Every request is signed; every answer's platform signature is
verified before it is believed. Transport failures and 5xx answers are retried (these calls are
idempotent at WeChat Pay: the same out_trade_no / out_refund_no never charges or refunds twice).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from integrations.payment import crypto
from integrations.payment.config import WechatPayConfig
from integrations.payment.errors import NotificationRejected, WechatPayError
from integrations.payment.notify import Notification, parse_notification, verify_signed

log = logging.getLogger(__name__)


class WechatPayClient:
    def __init__(self, config: WechatPayConfig, *, transport: httpx.AsyncBaseTransport | None = None,
                 now: Callable[[], datetime] | None = None) -> None:
        self.config = config
        self._now = now or (lambda: datetime.now().astimezone())
        self._http = httpx.AsyncClient(
            base_url=config.api_base.rstrip("/"),
            timeout=httpx.Timeout(config.timeout_s),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "patient-assistant-wechatpay/1"},
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- protocol ---------------------------------------------------------------------------
    def _auth(self, method: str, url_path: str, body: str) -> str:
        return crypto.authorization(
            self.config.mchid, self.config.merchant_serial_no, self.config.private_key,
            method, url_path, body, str(int(self._now().timestamp())), crypto.nonce_str(),
        )

    async def request(self, method: str, path: str, *, body: dict[str, Any] | None = None,
                      params: dict[str, str] | None = None) -> dict[str, Any]:
        url_path = path + (f"?{urlencode(params)}" if params else "")
        payload = "" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        last: WechatPayError | None = None
        for attempt in range(self.config.max_retries + 1):
            if attempt:
                await asyncio.sleep(self.config.backoff_s * (2 ** (attempt - 1)))
            headers = {"Authorization": self._auth(method, url_path, payload)}
            if body is not None:
                headers["Content-Type"] = "application/json"
            try:
                resp = await self._http.request(method, url_path, content=payload.encode("utf-8") if body is not None else None, headers=headers)
            except httpx.TimeoutException:
                last = WechatPayError(0, "TIMEOUT", f"{method} {path} timed out", retryable=True)
                continue
            except httpx.TransportError as exc:
                last = WechatPayError(0, "NETWORK", f"{method} {path}: {exc.__class__.__name__}", retryable=True)
                continue
            if resp.status_code >= 500:
                last = WechatPayError(resp.status_code, _code(resp), _message(resp), retryable=True)
                continue
            if resp.status_code >= 400:
                raise WechatPayError(resp.status_code, _code(resp), _message(resp))
            self._verify_response(resp)
            return resp.json() if resp.content else {}
        assert last is not None
        log.warning("wechat pay %s %s failed after retries: %s", method, path, last.code)
        raise last

    def _verify_response(self, resp: httpx.Response) -> None:
        try:
            verify_signed(self.config, resp.headers, resp.text, self._now())
        except NotificationRejected as exc:
            raise WechatPayError(resp.status_code, "BAD_RESPONSE_SIGNATURE", exc.message) from None

    def parse_notification(self, headers: Any, body: bytes, now: datetime) -> Notification:
        return parse_notification(self.config, headers, body, now)

    # -- API ----------------------------------------------------------------------------------
    def _order_body(self, out_trade_no: str, description: str, amount_fen: int, notify_url: str,
                    time_expire: datetime | None, attach: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "appid": self.config.appid,
            "mchid": self.config.mchid,
            "description": description[:127],
            "out_trade_no": out_trade_no,
            "notify_url": notify_url,
            "amount": {"total": int(amount_fen), "currency": "CNY"},
        }
        if time_expire is not None:
            body["time_expire"] = time_expire.isoformat(timespec="seconds")
        if attach:
            body["attach"] = attach[:128]
        return body

    async def create_native_order(self, out_trade_no: str, description: str, amount_fen: int, notify_url: str,
                                  time_expire: datetime | None = None, attach: str | None = None) -> str:
        """Returns the ``code_url`` (weixin://wxpay/bizpayurl?pr=...) to show as a link or QR code."""
        data = await self.request("POST", "/v3/pay/transactions/native",
                                  body=self._order_body(out_trade_no, description, amount_fen, notify_url, time_expire, attach))
        if "code_url" not in data:
            raise WechatPayError(200, "BAD_RESPONSE", "no code_url in the answer")
        return str(data["code_url"])

    async def create_jsapi_order(self, out_trade_no: str, description: str, amount_fen: int, notify_url: str,
                                 openid: str, time_expire: datetime | None = None) -> str:
        body = self._order_body(out_trade_no, description, amount_fen, notify_url, time_expire, None)
        body["payer"] = {"openid": openid}
        data = await self.request("POST", "/v3/pay/transactions/jsapi", body=body)
        return str(data["prepay_id"])

    def jsapi_pay_params(self, prepay_id: str) -> dict[str, str]:
        """The parameters for wx.requestPayment / WeixinJSBridge in the Official Account page."""
        ts, nonce, package = str(int(self._now().timestamp())), crypto.nonce_str(), f"prepay_id={prepay_id}"
        message = f"{self.config.appid}\n{ts}\n{nonce}\n{package}\n"
        return {"appId": self.config.appid, "timeStamp": ts, "nonceStr": nonce, "package": package,
                "signType": "RSA", "paySign": crypto.sign(self.config.private_key, message)}

    async def query_order(self, out_trade_no: str) -> dict[str, Any]:
        return await self.request("GET", f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no)}",
                                  params={"mchid": self.config.mchid})

    async def close_order(self, out_trade_no: str) -> None:
        await self.request("POST", f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no)}/close",
                           body={"mchid": self.config.mchid})

    async def refund(self, out_trade_no: str, out_refund_no: str, refund_fen: int, total_fen: int,
                     notify_url: str | None, reason: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
            "amount": {"refund": int(refund_fen), "total": int(total_fen), "currency": "CNY"},
        }
        if reason:
            body["reason"] = reason[:80]
        if notify_url:
            body["notify_url"] = notify_url
        return await self.request("POST", "/v3/refund/domestic/refunds", body=body)

    async def query_refund(self, out_refund_no: str) -> dict[str, Any]:
        return await self.request("GET", f"/v3/refund/domestic/refunds/{quote(out_refund_no)}")


def _code(resp: httpx.Response) -> str:
    try:
        return str(resp.json().get("code", "HTTP_ERROR"))
    except ValueError:
        return "HTTP_ERROR"


def _message(resp: httpx.Response) -> str:
    try:
        return str(resp.json().get("message", resp.reason_phrase))
    except ValueError:
        return resp.reason_phrase or "error"
