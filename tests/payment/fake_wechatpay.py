"""A local WeChat Pay API v3 server for tests: a real HTTP server on 127.0.0.1 speaking the same
protocol with keys made in the test. It verifies the merchant's request signatures (and refuses
reused nonces), signs every answer with its platform key, keeps orders and refunds, and builds
AES-256-GCM encrypted, signed notifications that it POSTs to the merchant's notify URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from integrations.payment import crypto


@dataclass
class KeyPair:
    key: rsa.RSAPrivateKey
    cert_pem: bytes
    serial: str

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


def make_keypair(common_name: str) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365)).sign(key, hashes.SHA256()))
    return KeyPair(key, cert.public_bytes(serialization.Encoding.PEM), crypto.cert_serial(cert))


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[override]
        yield


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class FakeWechatPay:
    mchid: str
    appid: str
    merchant: KeyPair  # only its public key and serial are used: to verify our requests
    platform: KeyPair
    apiv3_key: bytes
    now: Callable[[], float] = time.time
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    rejected_requests: list[str] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # HTTP statuses to answer the next requests with
    corrupt_next_signature: bool = False
    _nonces: set[str] = field(default_factory=set)

    # -- protocol -------------------------------------------------------------------------------
    def _signed(self, status: int, data: dict[str, Any] | None = None) -> Response:
        body = "" if data is None else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        ts, nonce = str(int(self.now())), crypto.nonce_str()
        sig = crypto.sign(self.platform.key, crypto.response_message(ts, nonce, body))
        if self.corrupt_next_signature:
            self.corrupt_next_signature = False
            sig = crypto.sign(self.platform.key, crypto.response_message(ts, nonce, body + " "))
        headers = {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce, "Wechatpay-Signature": sig,
                   "Wechatpay-Serial": self.platform.serial, "Request-ID": secrets.token_hex(8)}
        if data is None:
            return Response(status_code=status, headers=headers)
        return Response(body.encode("utf-8"), status_code=status, media_type="application/json", headers=headers)

    def _error(self, status: int, code: str, message: str) -> Response:
        return self._signed(status, {"code": code, "message": message})

    def _check_signature(self, request: Request, body: str) -> str | None:
        header = request.headers.get("authorization", "")
        try:
            params = crypto.parse_authorization(header)
        except ValueError as exc:
            return str(exc)
        if params.get("mchid") != self.mchid or params.get("serial_no") != self.merchant.serial:
            return "unknown merchant or certificate serial"
        ts, nonce = params.get("timestamp", ""), params.get("nonce_str", "")
        if not ts.isdigit() or abs(self.now() - int(ts)) > 300:
            return "timestamp out of range"
        if nonce in self._nonces:
            return "nonce reused"
        url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        message = crypto.request_message(request.method, url, ts, nonce, body)
        if not crypto.verify(self.merchant.key.public_key(), message, params.get("signature", "")):
            return "signature does not verify"
        self._nonces.add(nonce)
        return None

    async def _dispatch(self, request: Request) -> Response:
        body = (await request.body()).decode("utf-8")
        problem = self._check_signature(request, body)
        if problem:
            self.rejected_requests.append(problem)
            return self._error(401, "SIGN_ERROR", f"签名错误: {problem}")
        self.requests.append((request.method, request.url.path))
        if self.fail_next:
            return self._error(self.fail_next.pop(0), "SYSTEM_ERROR", "系统繁忙")
        data = json.loads(body) if body else {}
        path = request.url.path
        if request.method == "POST" and path in ("/v3/pay/transactions/native", "/v3/pay/transactions/jsapi"):
            return self._create(data, jsapi=path.endswith("jsapi"))
        if path.startswith("/v3/pay/transactions/out-trade-no/"):
            rest = path.removeprefix("/v3/pay/transactions/out-trade-no/")
            if request.method == "POST" and rest.endswith("/close"):
                return self._close(rest.removesuffix("/close"))
            if request.method == "GET":
                if request.query_params.get("mchid") != self.mchid:
                    return self._error(400, "PARAM_ERROR", "mchid")
                order = self.orders.get(rest)
                return self._signed(200, self._trade(order)) if order else self._error(404, "ORDER_NOT_EXIST", "订单不存在")
        if request.method == "POST" and path == "/v3/refund/domestic/refunds":
            return self._refund(data)
        if request.method == "GET" and path.startswith("/v3/refund/domestic/refunds/"):
            refund = self.refunds.get(path.rsplit("/", 1)[1])
            return self._signed(200, self._refund_view(refund)) if refund else self._error(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        return self._error(404, "NOT_FOUND", "no such API")

    def _create(self, data: dict[str, Any], jsapi: bool) -> Response:
        for key in ("appid", "mchid", "description", "out_trade_no", "notify_url", "amount"):
            if key not in data:
                return self._error(400, "PARAM_ERROR", f"缺少参数 {key}")
        if data["mchid"] != self.mchid or data["appid"] != self.appid:
            return self._error(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        total = data["amount"].get("total")
        if not isinstance(total, int) or total <= 0:
            return self._error(400, "PARAM_ERROR", "amount.total")
        otn = data["out_trade_no"]
        order = self.orders.get(otn)
        if order:
            if order["trade_state"] == "SUCCESS":
                return self._error(400, "ORDERPAID", "该订单已支付")
            if order["total"] != total:
                return self._error(400, "INVALID_REQUEST", "201 商户订单号重复")
        else:
            order = self.orders[otn] = {"out_trade_no": otn, "total": total, "trade_state": "NOTPAY",
                                        "notify_url": data["notify_url"], "transaction_id": None,
                                        "refunded": 0, "code_url": f"weixin://wxpay/bizpayurl?pr={secrets.token_urlsafe(6)}",
                                        "prepay_id": f"wx{secrets.token_hex(14)}"}
        return self._signed(200, {"prepay_id": order["prepay_id"]} if jsapi else {"code_url": order["code_url"]})

    def _close(self, otn: str) -> Response:
        order = self.orders.get(otn)
        if order is None:
            return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
        if order["trade_state"] == "SUCCESS":
            return self._error(400, "ORDERPAID", "该订单已支付")
        order["trade_state"] = "CLOSED"
        return self._signed(204)

    def _trade(self, order: dict[str, Any], payer_total: int | None = None) -> dict[str, Any]:
        out = {"appid": self.appid, "mchid": self.mchid, "out_trade_no": order["out_trade_no"],
               "trade_state": order["trade_state"], "trade_state_desc": order["trade_state"],
               "amount": {"total": order["total"], "currency": "CNY"}}
        if order["trade_state"] in ("SUCCESS", "REFUND"):
            out.update(transaction_id=order["transaction_id"], trade_type="NATIVE", bank_type="OTHERS",
                       success_time=dt.datetime.fromtimestamp(self.now(), dt.UTC).isoformat(),
                       payer={"openid": "o-test-openid"})
            out["amount"].update(payer_total=order["total"] if payer_total is None else payer_total, payer_currency="CNY")
        return out

    def _refund(self, data: dict[str, Any]) -> Response:
        order = self.orders.get(data.get("out_trade_no", ""))
        if order is None:
            return self._error(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        out_refund_no = data.get("out_refund_no")
        if out_refund_no in self.refunds:
            return self._signed(200, self._refund_view(self.refunds[out_refund_no]))
        amount = data.get("amount", {})
        if order["trade_state"] not in ("SUCCESS", "REFUND"):
            return self._error(400, "INVALID_REQUEST", "订单未支付")
        if amount.get("total") != order["total"]:
            return self._error(400, "PARAM_ERROR", "订单金额不一致")
        if amount.get("refund", 0) <= 0 or order["refunded"] + amount["refund"] > order["total"]:
            return self._error(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
        order["refunded"] += amount["refund"]
        refund = self.refunds[out_refund_no] = {
            "out_refund_no": out_refund_no, "out_trade_no": order["out_trade_no"], "transaction_id": order["transaction_id"],
            "refund_id": f"50{secrets.token_hex(14)}", "status": "PROCESSING", "refund": amount["refund"],
            "total": order["total"], "notify_url": data.get("notify_url"),
        }
        return self._signed(200, self._refund_view(refund))

    def _refund_view(self, r: dict[str, Any]) -> dict[str, Any]:
        return {"refund_id": r["refund_id"], "out_refund_no": r["out_refund_no"], "transaction_id": r["transaction_id"],
                "out_trade_no": r["out_trade_no"], "channel": "ORIGINAL", "status": r["status"],
                "create_time": dt.datetime.fromtimestamp(self.now(), dt.UTC).isoformat(),
                "amount": {"total": r["total"], "refund": r["refund"], "payer_total": r["total"],
                           "payer_refund": r["refund"], "currency": "CNY"}}

    # -- what the test does as the payer / as WeChat Pay --------------------------------------------
    def pay(self, out_trade_no: str) -> None:
        order = self.orders[out_trade_no]
        if order["trade_state"] != "NOTPAY":
            raise RuntimeError(f"cannot pay an order in state {order['trade_state']}")
        order["trade_state"] = "SUCCESS"
        order["transaction_id"] = f"42000{secrets.token_hex(11)}"[:28]

    def notification(self, event_type: str, resource: dict[str, Any], original_type: str, *,
                     notification_id: str | None = None, timestamp: float | None = None,
                     signing_key: rsa.RSAPrivateKey | None = None, serial: str | None = None) -> tuple[dict[str, str], bytes]:
        nonce_r = secrets.token_hex(6)
        plain = json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        envelope = {
            "id": notification_id or secrets.token_hex(16), "create_time": dt.datetime.now(dt.UTC).isoformat(),
            "resource_type": "encrypt-resource", "event_type": event_type, "summary": "支付成功",
            "resource": {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM", "associated_data": original_type,
                         "nonce": nonce_r, "ciphertext": crypto.encrypt(self.apiv3_key, nonce_r, plain, original_type)},
        }
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
        ts, nonce = str(int(self.now() if timestamp is None else timestamp)), crypto.nonce_str()
        sig = crypto.sign(signing_key or self.platform.key, crypto.response_message(ts, nonce, body))
        headers = {"Content-Type": "application/json", "Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce,
                   "Wechatpay-Signature": sig, "Wechatpay-Serial": serial or self.platform.serial,
                   "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048"}
        return headers, body.encode("utf-8")

    def payment_notification(self, out_trade_no: str, **overrides: Any) -> tuple[dict[str, str], bytes]:
        trade = self._trade(self.orders[out_trade_no])
        amount_total = overrides.pop("amount_total", None)
        if amount_total is not None:
            trade["amount"]["total"] = amount_total
        trade.update(overrides.pop("trade", {}))
        return self.notification("TRANSACTION.SUCCESS", trade, "transaction", **overrides)

    def complete_refund(self, out_refund_no: str, status: str = "SUCCESS", **overrides: Any) -> tuple[dict[str, str], bytes]:
        r = self.refunds[out_refund_no]
        r["status"] = status
        if status != "SUCCESS":
            self.orders[r["out_trade_no"]]["refunded"] -= r["refund"]
        resource = {"mchid": self.mchid, "out_trade_no": r["out_trade_no"], "transaction_id": r["transaction_id"],
                    "out_refund_no": out_refund_no, "refund_id": r["refund_id"], "refund_status": status,
                    "success_time": dt.datetime.now(dt.UTC).isoformat(), "user_received_account": "支付用户零钱",
                    "amount": {"total": r["total"], "refund": overrides.pop("refund_amount", r["refund"]),
                               "payer_total": r["total"], "payer_refund": r["refund"]}}
        return self.notification(f"REFUND.{status}", resource, "refund", **overrides)

    def deliver(self, url: str, notification: tuple[dict[str, str], bytes]) -> httpx.Response:
        """POSTs a notification to the merchant, as WeChat Pay's servers do (blocking: call in a thread)."""
        headers, body = notification
        return httpx.post(url, content=body, headers=headers, timeout=10)

    # -- serving --------------------------------------------------------------------------------
    def asgi(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self._dispatch, methods=["GET", "POST"])])

    @contextlib.contextmanager
    def serve(self):  # type: ignore[no-untyped-def]
        sock = free_socket()
        server = _QuietServer(uvicorn.Config(self.asgi(), log_level="warning", lifespan="off"))
        thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
        thread.start()
        deadline = time.time() + 10
        while not server.started and time.time() < deadline:
            time.sleep(0.02)
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            server.should_exit = True
            thread.join(timeout=5)
            sock.close()
