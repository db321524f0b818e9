"""Payment orders and refunds: the state machine, idempotency, and counting money exactly once.

created → paying → paid → refunding → refunded (or back to paid after a partial refund), and
created/paying → closed on timeout. Every transition is a conditional UPDATE (``WHERE status IN
...``), so a duplicate or late message cannot move an order twice; amounts are integer fen;
every money movement and every refusal is written to the core ``audit_log`` in the same
transaction. The WeChat Pay client sits behind ``client`` (None = online payment not configured).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.clock import Clock
from assistant.store.models import AuditLog
from assistant.store.payment_tables import PaymentNotification, PaymentOrder, PaymentRefund

log = logging.getLogger(__name__)

# The state machine: which states each state may be entered from.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "paying": ("created",),
    # A verified payment is recorded even after a local close: the money was taken and must be counted.
    "paid": ("created", "paying", "closed", "refunding"),
    "refunding": ("paid", "refunding"),
    "refunded": ("refunding",),
    "closed": ("created", "paying"),
}
CONTRACT_STATUS = {"created": "created", "paying": "created", "paid": "paid", "refunding": "paid",
                   "refunded": "refunded", "closed": "closed"}
_PAYABLE = ("created", "paying", "closed")


class PaymentError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PaymentNotConfigured(PaymentError):
    def __init__(self) -> None:
        super().__init__("payment_not_configured", "online payment (WeChat Pay) is not configured")


@dataclass(frozen=True)
class OrderView:
    order_id: str
    status: str
    purpose: str
    reference_id: str
    amount_fen: int
    refunded_fen: int
    code_url: str | None
    transaction_id: str | None
    expires_at: datetime
    paid_at: datetime | None
    settlement: dict[str, Any]
    session_id: str | None = None  # the conversation that made the order (told when it is paid)

    @property
    def contract_status(self) -> str:
        return CONTRACT_STATUS[self.status]

    def payment_json(self) -> dict[str, Any]:
        """The contract's ``payment`` object (amounts in yuan) plus the link."""
        s = self.settlement or {}
        amount = self.amount_fen / 100
        return {
            "order_id": self.order_id,
            "total": s.get("total", amount),
            "fund_pays": s.get("fund_pays", 0.0),
            "personal_account_pays": s.get("personal_account_pays", 0.0),
            "cash_pays": s.get("cash_pays", amount),
            "status": self.contract_status,
            "amount_due": amount,
            "payment_url": self.code_url,
        }


@dataclass(frozen=True)
class RefundView:
    refund_no: str
    order_id: str
    amount_fen: int
    status: str  # processing | success | closed | abnormal


@dataclass(frozen=True)
class NotifyResult:
    """What to answer WeChat Pay: 200 with no body, or 4xx/5xx with {"code": "FAIL", "message"}."""

    status_code: int
    outcome: str  # applied | duplicate | rejected | ignored
    code: str | None = None
    message: str = ""

    @property
    def body(self) -> dict[str, str] | None:
        return None if self.status_code < 300 else {"code": "FAIL", "message": self.message or "失败"}


Listener = Callable[[str, OrderView], Awaitable[None] | None]


def _view(o: PaymentOrder) -> OrderView:
    return OrderView(o.id, o.status, o.purpose, o.reference_id, o.amount_fen, o.refunded_fen, o.code_url,
                     o.transaction_id, o.expires_at, o.paid_at, dict(o.settlement or {}), o.session_id)


def _new_id(prefix: str, now: datetime) -> str:
    return f"{prefix}{now:%Y%m%d%H%M%S}{secrets.token_hex(6)}"


class PaymentService:
    def __init__(self, db: Any, clock: Clock, client: Any = None, *, notify_url: str | None = None,
                 order_ttl_minutes: int = 30, audit: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.db = db
        self.clock = clock
        self.client = client  # integrations.payment.WechatPayClient or None
        self.notify_url = notify_url
        self.order_ttl = timedelta(minutes=order_ttl_minutes)
        self.audit_hook = audit
        self._listeners: list[Listener] = []

    @property
    def configured(self) -> bool:
        return self.client is not None and bool(self.notify_url)

    def subscribe(self, listener: Listener) -> None:
        """``listener(event, order)`` after commit; event is paid | refunded | closed."""
        self._listeners.append(listener)

    def _now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    # -- plumbing ------------------------------------------------------------------------------
    def _audit(self, s: AsyncSession, action: str, target_type: str, target_id: str, *,
               reason: str | None = None, actor: str = "system", **details: Any) -> None:
        row = AuditLog(at=self._now(), actor=actor, action=action, target_type=target_type,
                       target_id=target_id or "-", reason=reason, details=details)
        s.add(row)
        if self.audit_hook is not None:
            try:
                self.audit_hook({"action": action, "target_type": target_type, "target_id": target_id,
                                 "reason": reason, "details": details})
            except Exception:  # an observer must never break a payment
                log.exception("audit hook failed")

    async def _audit_alone(self, action: str, target_type: str, target_id: str, **kw: Any) -> None:
        async def tx(s: AsyncSession) -> None:
            self._audit(s, action, target_type, target_id, **kw)

        await self._tx(tx)

    async def _tx(self, fn: Callable[[AsyncSession], Awaitable[Any]], attempts: int = 6) -> Any:
        """Runs ``fn`` in one transaction; retries when SQLite reports a write conflict."""
        for attempt in range(attempts):
            try:
                async with self.db.session() as s, s.begin():
                    return await fn(s)
            except OperationalError as exc:
                if "locked" not in str(exc).lower() or attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    async def _emit(self, event: str, order: OrderView) -> None:
        for listener in self._listeners:
            try:
                result = listener(event, order)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("payment listener failed")

    # -- reading -------------------------------------------------------------------------------
    async def get_order(self, order_id: str) -> OrderView | None:
        async with self.db.session() as s:
            o = await s.get(PaymentOrder, order_id)
            return None if o is None else _view(o)

    async def orders_for(self, reference_id: str) -> list[OrderView]:
        async with self.db.session() as s:
            rows = await s.scalars(select(PaymentOrder).where(PaymentOrder.reference_id == reference_id)
                                   .order_by(PaymentOrder.created_at))
            return [_view(o) for o in rows]

    async def get_refund(self, refund_no: str) -> RefundView | None:
        async with self.db.session() as s:
            r = await s.get(PaymentRefund, refund_no)
            return None if r is None else RefundView(r.id, r.order_id, r.amount_fen, r.status)

    # -- orders --------------------------------------------------------------------------------
    async def create_order(self, *, purpose: str, reference_id: str, amount_fen: int, description: str,
                           idempotency_key: str, session_id: str | None = None,
                           settlement: Mapping[str, Any] | None = None, actor: str = "system") -> OrderView:
        """Creates (or, for a known idempotency key, returns) an order and its payment link."""
        if not self.configured:
            raise PaymentNotConfigured()
        if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
            raise PaymentError("invalid_amount", "an order's amount must be a positive number of fen")

        async def insert(s: AsyncSession) -> PaymentOrder:
            existing = await s.scalar(select(PaymentOrder).where(PaymentOrder.idempotency_key == idempotency_key))
            if existing is not None:
                if (existing.purpose, existing.reference_id, existing.amount_fen) != (purpose, reference_id, amount_fen):
                    raise PaymentError("idempotency_conflict", "this idempotency key was used for a different order")
                return existing
            now = self._now()
            order = PaymentOrder(
                id=_new_id("PA", now), idempotency_key=idempotency_key, purpose=purpose, reference_id=reference_id,
                session_id=session_id, description=description[:127], amount_fen=amount_fen, currency="CNY",
                status="created", channel="native", settlement=dict(settlement or {}), created_at=now,
                updated_at=now, expires_at=now + self.order_ttl, refund_reserved_fen=0, refunded_fen=0,
            )
            s.add(order)
            self._audit(s, "payment.order_created", "payment_order", order.id, actor=actor,
                        amount_fen=amount_fen, purpose=purpose, reference_id=reference_id)
            return order

        try:
            order = await self._tx(insert)
        except IntegrityError:  # a concurrent request with the same key won
            order = await self._tx(insert)
        if order.status == "created" and not order.code_url:
            order = await self._issue_link(order)
        return _view(order)

    async def _issue_link(self, order: PaymentOrder) -> PaymentOrder:
        from integrations.payment.errors import WechatPayError

        try:
            code_url = await self.client.create_native_order(
                order.id, order.description, order.amount_fen, self.notify_url,
                time_expire=order.expires_at.replace(tzinfo=order.expires_at.tzinfo or UTC).astimezone(self.clock.now().tzinfo),
            )
        except WechatPayError as exc:
            await self._audit_alone("payment.prepay_failed", "payment_order", order.id, reason=exc.code,
                                    message=exc.message)
            raise PaymentError("gateway_error", f"WeChat Pay did not accept the order: {exc.code}") from exc

        async def save(s: AsyncSession) -> PaymentOrder:
            await s.execute(update(PaymentOrder).where(PaymentOrder.id == order.id,
                                                       PaymentOrder.status.in_(TRANSITIONS["paying"]))
                            .values(status="paying", code_url=code_url, updated_at=self._now()))
            self._audit(s, "payment.link_issued", "payment_order", order.id)
            return await s.get(PaymentOrder, order.id, populate_existing=True)

        return await self._tx(save)

    # -- payment results -------------------------------------------------------------------------
    async def handle_notification(self, headers: Mapping[str, str], body: bytes) -> NotifyResult:
        """Verifies, decrypts and applies one WeChat Pay notification (payment or refund)."""
        from integrations.payment.errors import NotificationRejected

        if self.client is None:
            return NotifyResult(503, "rejected", "payment_not_configured", "payment is not configured")
        try:
            n = self.client.parse_notification(headers, body, self.clock.now())
        except NotificationRejected as exc:
            await self._audit_alone("payment.notification_rejected", "payment_notification", "-",
                                    reason=exc.code, message=exc.message)
            return NotifyResult(401, "rejected", exc.code, exc.message)
        if n.event_type == "TRANSACTION.SUCCESS":
            return await self._apply_payment(n.resource, notification_id=n.id, source="notify")
        if n.event_type.startswith("REFUND."):
            return await self._apply_refund(n.resource, notification_id=n.id, source="notify")
        await self._audit_alone("payment.notification_ignored", "payment_notification", n.id, reason=n.event_type)
        return NotifyResult(200, "ignored")

    async def _reject(self, code: str, message: str, target_type: str, target_id: str, status: int = 400,
                      **details: Any) -> NotifyResult:
        log.warning("payment message rejected: %s", code)
        await self._audit_alone("payment.result_rejected", target_type, target_id, reason=code, message=message, **details)
        return NotifyResult(status, "rejected", code, message)

    async def _seen(self, s: AsyncSession, notification_id: str | None) -> bool:
        return notification_id is not None and await s.get(PaymentNotification, notification_id) is not None

    async def _apply_payment(self, trade: Mapping[str, Any], *, notification_id: str | None, source: str) -> NotifyResult:
        order_id = str(trade.get("out_trade_no", ""))
        txid = str(trade.get("transaction_id") or "")
        amount = trade.get("amount") or {}
        outcome: dict[str, Any] = {}

        async def apply(s: AsyncSession) -> NotifyResult | None:
            if await self._seen(s, notification_id):
                outcome["duplicate"] = True
                self._audit(s, "payment.notification_duplicate", "payment_order", order_id, reason=notification_id)
                return NotifyResult(200, "duplicate")
            order = await s.get(PaymentOrder, order_id, with_for_update=not self.db.is_sqlite)
            if order is None:
                return None
            cfg = self.client.config
            problems = []
            if trade.get("trade_state") != "SUCCESS":
                problems.append(("not_success", f"trade_state is {trade.get('trade_state')}"))
            if trade.get("mchid") != cfg.mchid or trade.get("appid") != cfg.appid:
                problems.append(("merchant_mismatch", "the notification is for another merchant or app"))
            if amount.get("total") != order.amount_fen or amount.get("currency", "CNY") != "CNY":
                problems.append(("amount_mismatch",
                                 f"paid {amount.get('total')} fen but the order is {order.amount_fen} fen"))
            if not txid:
                problems.append(("malformed", "no transaction_id"))
            if problems:
                outcome["reject"] = problems[0]
                return None
            if order.status in ("paid", "refunding", "refunded"):
                if order.transaction_id == txid:
                    self._audit(s, "payment.notification_duplicate", "payment_order", order.id, reason=source,
                                transaction_id=txid)
                    if notification_id:
                        s.add(PaymentNotification(id=notification_id, event_type="TRANSACTION.SUCCESS",
                                                  order_id=order.id, received_at=self._now()))
                    return NotifyResult(200, "duplicate")
                outcome["reject"] = ("conflicting_transaction", "the order is already paid by another transaction")
                return None
            was = order.status
            res = await s.execute(
                update(PaymentOrder)
                .where(PaymentOrder.id == order.id, PaymentOrder.status.in_(_PAYABLE))
                .values(status="paid", transaction_id=txid, payer_total_fen=amount.get("payer_total"),
                        paid_at=self._now(), updated_at=self._now())
            )
            if res.rowcount != 1:
                return NotifyResult(200, "duplicate")
            self._audit(s, "payment.paid", "payment_order", order.id, reason=source, amount_fen=order.amount_fen,
                        transaction_id=txid, previous_status=was)
            if notification_id:
                s.add(PaymentNotification(id=notification_id, event_type="TRANSACTION.SUCCESS", order_id=order.id,
                                          received_at=self._now()))
            outcome["paid"] = True
            return NotifyResult(200, "applied")

        try:
            result = await self._tx(apply)
        except IntegrityError:
            # A concurrent copy of this notification, or a transaction id already counted elsewhere.
            return await self._after_conflict(order_id, txid, notification_id)
        if result is None:
            if "reject" in outcome:
                code, message = outcome["reject"]
                return await self._reject(code, message, "payment_order", order_id, source=source,
                                          notification_id=notification_id, transaction_id=txid)
            return await self._reject("unknown_order", f"no order {order_id}", "payment_order", order_id or "-",
                                      status=404, source=source, notification_id=notification_id)
        if outcome.get("paid"):
            view = await self.get_order(order_id)
            if view:
                await self._emit("paid", view)
        return result

    async def _after_conflict(self, order_id: str, txid: str, notification_id: str | None) -> NotifyResult:
        view = await self.get_order(order_id)
        if view and view.transaction_id == txid and view.status in ("paid", "refunding", "refunded"):
            await self._audit_alone("payment.notification_duplicate", "payment_order", order_id, reason=notification_id)
            return NotifyResult(200, "duplicate")
        return await self._reject("conflicting_transaction", "this transaction is already counted on another order",
                                  "payment_order", order_id, transaction_id=txid)

    async def sync_order(self, order_id: str) -> OrderView | None:
        """The fallback when a notification is late: ask WeChat Pay for the order's state and apply it."""
        view = await self.get_order(order_id)
        if view is None or view.status not in _PAYABLE or self.client is None:
            return view
        trade = await self.client.query_order(order_id)
        state = trade.get("trade_state")
        if state == "SUCCESS":
            await self._apply_payment(trade, notification_id=None, source="query")
        elif state in ("CLOSED", "REVOKED", "PAYERROR"):
            await self._close_locally(order_id, reason=f"gateway:{state}")
        return await self.get_order(order_id)

    async def close_expired(self) -> list[str]:
        """Closes unpaid orders past their deadline, asking WeChat Pay first so a late payment is kept."""
        from integrations.payment.errors import WechatPayError

        async with self.db.session() as s:
            ids = list(await s.scalars(select(PaymentOrder.id).where(
                PaymentOrder.status.in_(("created", "paying")), PaymentOrder.expires_at < self._now())))
        closed = []
        for order_id in ids:
            view = await self.get_order(order_id)
            if view is None:
                continue
            if view.status == "paying" and self.client is not None:
                try:
                    view = await self.sync_order(order_id)
                    if view is None or view.status != "paying":
                        continue
                    await self.client.close_order(order_id)
                except WechatPayError as exc:
                    if exc.code == "ORDERPAID":
                        await self.sync_order(order_id)
                    else:
                        log.warning("could not close order at WeChat Pay: %s", exc.code)
                    continue
            if await self._close_locally(order_id, reason="timeout"):
                closed.append(order_id)
        return closed

    async def _close_locally(self, order_id: str, reason: str) -> bool:
        async def close(s: AsyncSession) -> bool:
            res = await s.execute(update(PaymentOrder).where(PaymentOrder.id == order_id,
                                                             PaymentOrder.status.in_(TRANSITIONS["closed"]))
                                  .values(status="closed", closed_at=self._now(), updated_at=self._now()))
            if res.rowcount == 1:
                self._audit(s, "payment.closed", "payment_order", order_id, reason=reason)
                return True
            return False

        done = await self._tx(close)
        if done:
            view = await self.get_order(order_id)
            if view:
                await self._emit("closed", view)
        return done

    # -- refunds ---------------------------------------------------------------------------------
    async def refund(self, order_id: str, *, idempotency_key: str, amount_fen: int | None = None,
                     reason: str = "", actor: str = "system") -> RefundView:
        """Refunds ``amount_fen`` (default: all not yet refunded) of a paid order, at most once per key."""
        from integrations.payment.errors import WechatPayError

        if amount_fen is not None and (not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0):
            await self._audit_alone("payment.refund_rejected", "payment_order", order_id, reason="invalid_amount",
                                    amount_fen=str(amount_fen), actor=actor)
            raise PaymentError("invalid_amount", "a refund must be a positive number of fen")
        failure: dict[str, tuple[str, str]] = {}

        async def reserve(s: AsyncSession) -> tuple[PaymentRefund, PaymentOrder, bool]:
            existing = await s.scalar(select(PaymentRefund).where(PaymentRefund.idempotency_key == idempotency_key))
            order = await s.get(PaymentOrder, order_id)
            if existing is not None:
                if existing.order_id != order_id or (amount_fen is not None and existing.amount_fen != amount_fen):
                    raise PaymentError("idempotency_conflict", "this idempotency key was used for a different refund")
                return existing, order, False
            if order is None:
                failure["x"] = ("unknown_order", f"no order {order_id}")
                raise _Abort()
            amt = amount_fen if amount_fen is not None else order.amount_fen - order.refund_reserved_fen
            if order.status not in TRANSITIONS["refunding"]:
                failure["x"] = ("not_paid", f"order {order_id} is {order.status}, not paid")
                raise _Abort()
            if amt <= 0 or order.refund_reserved_fen + amt > order.amount_fen:
                failure["x"] = ("refund_exceeds_payment",
                                f"refund {amt} fen exceeds what is left of the payment "
                                f"({order.amount_fen - order.refund_reserved_fen} fen)")
                raise _Abort()
            res = await s.execute(
                update(PaymentOrder)
                .where(PaymentOrder.id == order_id, PaymentOrder.status.in_(TRANSITIONS["refunding"]),
                       PaymentOrder.refund_reserved_fen + amt <= PaymentOrder.amount_fen)
                .values(refund_reserved_fen=PaymentOrder.refund_reserved_fen + amt, status="refunding",
                        updated_at=self._now())
            )
            if res.rowcount != 1:
                failure["x"] = ("refund_exceeds_payment", "a concurrent refund used the rest of the payment")
                raise _Abort()
            now = self._now()
            refund = PaymentRefund(id=_new_id("RF", now), order_id=order_id, idempotency_key=idempotency_key,
                                   amount_fen=amt, status="processing", reason=reason[:80], created_at=now,
                                   updated_at=now)
            s.add(refund)
            self._audit(s, "payment.refund_requested", "payment_refund", refund.id, actor=actor, order_id=order_id,
                        amount_fen=amt, reason_text=reason[:80])
            return refund, order, True

        try:
            refund, order, fresh = await self._tx(reserve)
        except _Abort:
            code, message = failure["x"]
            await self._audit_alone("payment.refund_rejected", "payment_order", order_id, reason=code,
                                    message=message, amount_fen=amount_fen, actor=actor)
            raise PaymentError(code, message) from None
        except IntegrityError:
            refund, order, fresh = await self._tx(reserve)
        if refund.status != "processing" or self.client is None or (not fresh and refund.refund_id):
            # Decided, or already accepted by WeChat Pay: a repeated request changes nothing.
            return RefundView(refund.id, refund.order_id, refund.amount_fen, refund.status)
        try:
            answer = await self.client.refund(order.id, refund.id, refund.amount_fen, order.amount_fen,
                                              self.notify_url, reason or None)
        except WechatPayError as exc:
            if exc.retryable:  # unknown outcome: keep it processing; sync_refund or the notification decides
                log.warning("refund %s outcome unknown: %s", refund.id, exc.code)
                return RefundView(refund.id, order.id, refund.amount_fen, "processing")
            await self._refund_outcome(refund.id, "closed", None, source=f"gateway_refused:{exc.code}")
            raise PaymentError("gateway_refused", f"WeChat Pay refused the refund: {exc.code} {exc.message}") from exc
        await self._apply_refund({**answer, "out_trade_no": order.id, "refund_status": answer.get("status")},
                                 notification_id=None, source="api")
        return await self.get_refund(refund.id)  # type: ignore[return-value]

    async def refund_for_reference(self, reference_id: str, *, idempotency_key: str, reason: str = "",
                                   actor: str = "system") -> RefundView | None:
        """Refunds the paid order for an appointment or bill (e.g. a cancelled appointment's fee)."""
        for view in reversed(await self.orders_for(reference_id)):
            if view.status in ("paid", "refunding") and view.amount_fen > view.refunded_fen:
                return await self.refund(view.order_id, idempotency_key=idempotency_key, reason=reason, actor=actor)
        return None

    async def cancel_reference(self, reference_id: str, *, idempotency_key: str, reason: str = "",
                               actor: str = "system") -> RefundView | None:
        """What cancelling the thing orders pay for (an appointment) does to them: an unpaid order is closed
        (WeChat Pay is asked first, so a payment already made is kept and then refunded) and the paid
        one is refunded once per ``idempotency_key``. Returns the refund, or None when nothing was paid."""
        from integrations.payment.errors import WechatPayError

        for view in await self.orders_for(reference_id):
            if view.status not in ("created", "paying"):
                continue
            if view.status == "paying" and self.client is not None:
                try:
                    fresh = await self.sync_order(view.order_id)
                    if fresh is None or fresh.status != "paying":
                        continue
                    await self.client.close_order(view.order_id)
                except WechatPayError as exc:
                    if exc.code == "ORDERPAID":
                        await self.sync_order(view.order_id)
                        continue
                    log.warning("could not close order %s at WeChat Pay: %s", view.order_id, exc.code)
            await self._close_locally(view.order_id, reason="reference_cancelled")
        return await self.refund_for_reference(reference_id, idempotency_key=idempotency_key, reason=reason, actor=actor)

    async def sync_refund(self, refund_no: str) -> RefundView | None:
        """Asks WeChat Pay for a refund still processing (its notification is late) and applies it."""
        r = await self.get_refund(refund_no)
        if r is None or r.status != "processing" or self.client is None:
            return r
        answer = await self.client.query_refund(refund_no)
        await self._apply_refund({**answer, "out_trade_no": r.order_id, "refund_status": answer.get("status")},
                                 notification_id=None, source="query")
        return await self.get_refund(refund_no)

    async def _apply_refund(self, data: Mapping[str, Any], *, notification_id: str | None, source: str) -> NotifyResult:
        refund_no = str(data.get("out_refund_no", ""))
        status = str(data.get("refund_status") or data.get("status") or "")
        amount = (data.get("amount") or {}).get("refund")
        problem: dict[str, tuple[str, str]] = {}

        async def check(s: AsyncSession) -> NotifyResult | None:
            if await self._seen(s, notification_id):
                self._audit(s, "payment.notification_duplicate", "payment_refund", refund_no, reason=notification_id)
                return NotifyResult(200, "duplicate")
            refund = await s.get(PaymentRefund, refund_no)
            if refund is None:
                return None
            if str(data.get("out_trade_no")) != refund.order_id:
                problem["x"] = ("order_mismatch", "the refund belongs to another order")
            elif amount is not None and amount != refund.amount_fen:
                problem["x"] = ("amount_mismatch", f"refunded {amount} fen but {refund.amount_fen} fen was asked")
            return NotifyResult(200, "checked") if "x" not in problem else None

        first = await self._tx(check)
        if first is None:
            if "x" in problem:
                code, message = problem["x"]
                return await self._reject(code, message, "payment_refund", refund_no, source=source)
            return await self._reject("unknown_refund", f"no refund {refund_no}", "payment_refund", refund_no or "-",
                                      status=404, source=source)
        if first.outcome == "duplicate":
            return first
        if status == "PROCESSING":
            if data.get("refund_id"):  # WeChat Pay accepted it: remember its id, the outcome comes later
                async def note(s: AsyncSession) -> None:
                    await s.execute(update(PaymentRefund).where(PaymentRefund.id == refund_no,
                                                                PaymentRefund.refund_id.is_(None))
                                    .values(refund_id=str(data["refund_id"]), updated_at=self._now()))

                await self._tx(note)
            return NotifyResult(200, "ignored")
        new = {"SUCCESS": "success", "CLOSED": "closed", "ABNORMAL": "abnormal"}.get(status)
        if new is None:
            return await self._reject("malformed", f"unknown refund status {status!r}", "payment_refund", refund_no)
        try:
            changed = await self._refund_outcome(refund_no, new, data.get("refund_id"), source=source,
                                                 notification_id=notification_id)
        except IntegrityError:
            await self._audit_alone("payment.notification_duplicate", "payment_refund", refund_no, reason=notification_id)
            return NotifyResult(200, "duplicate")
        return NotifyResult(200, "applied" if changed else "duplicate")

    async def _refund_outcome(self, refund_no: str, new: str, refund_id: Any, *, source: str,
                              notification_id: str | None = None) -> bool:
        """Moves a processing refund to success (money counted on the order) or to closed/abnormal
        (its reservation released). Returns False when it was already decided (a duplicate)."""

        async def apply(s: AsyncSession) -> OrderView | None:
            refund = await s.get(PaymentRefund, refund_no)
            res = await s.execute(
                update(PaymentRefund).where(PaymentRefund.id == refund_no, PaymentRefund.status == "processing")
                .values(status=new, refund_id=str(refund_id) if refund_id else None, updated_at=self._now(),
                        succeeded_at=self._now() if new == "success" else None)
            )
            if notification_id:
                s.add(PaymentNotification(id=notification_id, event_type=f"REFUND.{new.upper()}",
                                          order_id=refund.order_id, refund_no=refund_no, received_at=self._now()))
            if res.rowcount != 1:
                self._audit(s, "payment.refund_result_duplicate", "payment_refund", refund_no, reason=source)
                return None
            o = PaymentOrder
            amt = refund.amount_fen
            if new == "success":
                values = {
                    "refunded_fen": o.refunded_fen + amt,
                    "status": case((o.refunded_fen + amt == o.amount_fen, "refunded"),
                                   (o.refund_reserved_fen > o.refunded_fen + amt, "refunding"), else_="paid"),
                }
                action = "payment.refunded"
            else:
                values = {
                    "refund_reserved_fen": o.refund_reserved_fen - amt,
                    "status": case((o.refund_reserved_fen - amt > o.refunded_fen, "refunding"),
                                   (o.refunded_fen == o.amount_fen, "refunded"), else_="paid"),
                }
                action = "payment.refund_failed"
            await s.execute(update(o).where(o.id == refund.order_id).values(updated_at=self._now(), **values))
            self._audit(s, action, "payment_refund", refund_no, reason=source, order_id=refund.order_id,
                        amount_fen=amt, refund_id=str(refund_id) if refund_id else None)
            order = await s.get(PaymentOrder, refund.order_id, populate_existing=True)
            return _view(order)

        view = await self._tx(apply)
        if view is not None and new == "success":
            await self._emit("refunded", view)
        return view is not None


class _Abort(Exception):
    """Rolls a transaction back so a refusal can be audited on its own."""


def build_payment_service(settings: Any, db: Any, clock: Clock, *, audit: Any = None) -> PaymentService:
    """What the app factory calls: a PaymentService with a WeChat Pay client when one is configured."""
    from integrations.payment import WechatPayClient, WechatPayConfig

    config = WechatPayConfig.from_settings(settings)
    client = WechatPayClient(config, now=clock.now) if config is not None else None
    return PaymentService(db, clock, client, notify_url=getattr(settings, "wechatpay_notify_url", None),
                          order_ttl_minutes=getattr(settings, "payment_order_ttl_minutes", 30), audit=audit)
