"""Orders, notifications and refunds against the local WeChat Pay server, on SQLite and PostgreSQL:
duplicate, replayed, tampered, out-of-order and late messages never count money twice."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from assistant.services.payments import PaymentError, PaymentNotConfigured, PaymentService
from assistant.store.models import AuditLog
from assistant.store.payment_tables import PaymentOrder, PaymentRefund

pytestmark = pytest.mark.integration


async def audits(db, action: str, target_id: str | None = None) -> int:
    async with db.session() as s:
        q = select(func.count()).select_from(AuditLog).where(AuditLog.action == action)
        if target_id is not None:
            q = q.where(AuditLog.target_id == target_id)
        return await s.scalar(q)


async def audit_reasons(db, action: str) -> list[str]:
    async with db.session() as s:
        return list(await s.scalars(select(AuditLog.reason).where(AuditLog.action == action)))


async def new_order(payments: PaymentService, key: str = "appt-1:fee", amount: int = 5000):
    return await payments.create_order(purpose="appointment_fee", reference_id="appt-1", amount_fen=amount,
                                       description="滨江示例人民医院-挂号费", idempotency_key=key, session_id="s-1")


async def deliver(fake, url, notification):
    return await asyncio.to_thread(fake.deliver, url, notification)


async def test_order_gets_a_link_and_is_idempotent(served, fake, db):
    payments, _ = served
    order = await new_order(payments)
    assert order.status == "paying" and order.contract_status == "created"
    assert order.code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    again = await new_order(payments)
    assert again.order_id == order.order_id and again.code_url == order.code_url
    assert fake.requests.count(("POST", "/v3/pay/transactions/native")) == 1  # our signature verified
    assert not fake.rejected_requests
    with pytest.raises(PaymentError) as err:
        await new_order(payments, amount=6000)
    assert err.value.code == "idempotency_conflict"
    assert await audits(db, "payment.order_created") == 1
    pj = order.payment_json()
    assert pj["status"] == "created" and pj["order_id"] == order.order_id and pj["payment_url"] == order.code_url


async def test_payment_notification_pays_once_even_when_repeated(served, fake, db):
    payments, url = served
    paid_events = []
    payments.subscribe(lambda event, view: paid_events.append((event, view.order_id)))
    order = await new_order(payments)
    fake.pay(order.order_id)
    note = fake.payment_notification(order.order_id)
    r = await deliver(fake, url, note)
    assert r.status_code == 200 and r.content == b""
    view = await payments.get_order(order.order_id)
    assert view.status == "paid" and view.transaction_id == fake.orders[order.order_id]["transaction_id"]
    # WeChat Pay retries the same notification, and some copies arrive at once.
    rs = await asyncio.gather(*(deliver(fake, url, note) for _ in range(4)))
    assert [x.status_code for x in rs] == [200] * 4
    assert await audits(db, "payment.paid") == 1
    assert await audits(db, "payment.notification_duplicate") == 4
    assert paid_events == [("paid", order.order_id)]


async def test_tampered_notification_is_refused_and_changes_nothing(served, fake, db, merchant_keys):
    payments, url = served
    order = await new_order(payments)
    fake.pay(order.order_id)
    headers, body = fake.payment_notification(order.order_id)
    tampered = body.replace(b'"summary":"', b'"summary":"X')
    r = await deliver(fake, url, (headers, tampered))
    assert r.status_code == 401 and r.json()["code"] == "FAIL"
    # Signed with a key that is not the platform's.
    r = await deliver(fake, url, fake.payment_notification(order.order_id, signing_key=merchant_keys.key))
    assert r.status_code == 401
    # A serial we do not know.
    r = await deliver(fake, url, fake.payment_notification(order.order_id, serial="DEADBEEF"))
    assert r.status_code == 401
    # Headers stripped.
    r = await deliver(fake, url, ({"Content-Type": "application/json"}, body))
    assert r.status_code == 401
    assert (await payments.get_order(order.order_id)).status == "paying"
    assert sorted(await audit_reasons(db, "payment.notification_rejected")) == sorted(
        ["bad_signature", "bad_signature", "unknown_platform_serial", "missing_signature_headers"])
    assert await audits(db, "payment.paid") == 0


async def test_replayed_old_notification_is_refused(served, fake, db, clock):
    payments, url = served
    order = await new_order(payments)
    fake.pay(order.order_id)
    stale = fake.payment_notification(order.order_id, timestamp=clock.now().timestamp() - 600)
    r = await deliver(fake, url, stale)
    assert r.status_code == 401
    assert await audit_reasons(db, "payment.notification_rejected") == ["stale_timestamp"]
    assert (await payments.get_order(order.order_id)).status == "paying"


async def test_amount_mismatch_and_unknown_order_are_refused(served, fake, db):
    payments, url = served
    order = await new_order(payments)
    fake.pay(order.order_id)
    r = await deliver(fake, url, fake.payment_notification(order.order_id, amount_total=1))
    assert r.status_code == 400 and r.json()["code"] == "FAIL"
    assert (await payments.get_order(order.order_id)).status == "paying"
    fake.orders["PA-NOT-OURS"] = dict(fake.orders[order.order_id], out_trade_no="PA-NOT-OURS")
    r = await deliver(fake, url, fake.payment_notification("PA-NOT-OURS"))
    assert r.status_code == 404
    assert sorted(await audit_reasons(db, "payment.result_rejected")) == ["amount_mismatch", "unknown_order"]
    assert await audits(db, "payment.paid") == 0
    # The genuine notification still works afterwards.
    assert (await deliver(fake, url, fake.payment_notification(order.order_id))).status_code == 200
    assert (await payments.get_order(order.order_id)).status == "paid"


async def test_late_notification_query_fallback_then_the_late_copy(served, fake, db, clock):
    payments, url = served
    order = await new_order(payments)
    fake.pay(order.order_id)
    assert (await payments.sync_order(order.order_id)).status == "paid"  # nothing arrived: ask WeChat Pay
    r = await deliver(fake, url, fake.payment_notification(order.order_id))  # now it arrives
    assert r.status_code == 200
    assert await audits(db, "payment.paid") == 1
    assert await audit_reasons(db, "payment.paid") == ["query"]


async def test_expiry_asks_first_so_a_late_payment_is_kept(served, fake, db, clock):
    payments, _ = served
    unpaid = await new_order(payments, key="k-unpaid")
    paid_late = await new_order(payments, key="k-paid", amount=3500)
    fake.pay(paid_late.order_id)
    clock.advance(minutes=31)
    closed = await payments.close_expired()
    assert closed == [unpaid.order_id]
    assert (await payments.get_order(unpaid.order_id)).status == "closed"
    assert fake.orders[unpaid.order_id]["trade_state"] == "CLOSED"
    assert (await payments.get_order(paid_late.order_id)).status == "paid"
    with pytest.raises(RuntimeError):
        fake.pay(unpaid.order_id)  # closed at WeChat Pay too: the patient can no longer pay it


async def test_full_refund_once(served, fake, db):
    payments, url = served
    order = await new_order(payments)
    fake.pay(order.order_id)
    await deliver(fake, url, fake.payment_notification(order.order_id))
    refund = await payments.refund(order.order_id, idempotency_key="cancel:appt-1", reason="取消预约")
    assert refund.status == "processing" and refund.amount_fen == 5000
    assert (await payments.get_order(order.order_id)).status == "refunding"
    again = await payments.refund(order.order_id, idempotency_key="cancel:appt-1", reason="取消预约")
    assert again.refund_no == refund.refund_no
    assert fake.requests.count(("POST", "/v3/refund/domestic/refunds")) == 1
    note = fake.complete_refund(refund.refund_no)
    rs = await asyncio.gather(*(deliver(fake, url, note) for _ in range(3)))
    assert [x.status_code for x in rs] == [200] * 3
    view = await payments.get_order(order.order_id)
    assert view.status == "refunded" and view.refunded_fen == 5000 and view.contract_status == "refunded"
    assert await audits(db, "payment.refunded") == 1
    with pytest.raises(PaymentError) as err:
        await payments.refund(order.order_id, idempotency_key="again", amount_fen=1)
    assert err.value.code in ("not_paid", "refund_exceeds_payment")
    # Out of order: the original payment notification arrives only now.
    r = await deliver(fake, url, fake.payment_notification(order.order_id, trade={"trade_state": "SUCCESS"}))
    assert r.status_code == 200
    assert (await payments.get_order(order.order_id)).status == "refunded"
    assert await audits(db, "payment.paid") == 1


async def test_refund_larger_than_payment_and_partial_refunds(served, fake, db):
    payments, url = served
    order = await new_order(payments, amount=10000)
    fake.pay(order.order_id)
    await deliver(fake, url, fake.payment_notification(order.order_id))
    with pytest.raises(PaymentError) as err:
        await payments.refund(order.order_id, idempotency_key="too-much", amount_fen=10001)
    assert err.value.code == "refund_exceeds_payment"
    with pytest.raises(PaymentError) as err:
        await payments.refund(order.order_id, idempotency_key="negative", amount_fen=-5)
    assert err.value.code == "invalid_amount"
    assert sorted(await audit_reasons(db, "payment.refund_rejected")) == ["invalid_amount", "refund_exceeds_payment"]
    # Three concurrent partial refunds of 40.00 against 100.00: at most two may be reserved.
    results = await asyncio.gather(
        *(payments.refund(order.order_id, idempotency_key=f"part-{i}", amount_fen=4000) for i in range(3)),
        return_exceptions=True,
    )
    ok = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, PaymentError)]
    assert len(ok) == 2 and len(refused) == 1 and refused[0].code == "refund_exceeds_payment"
    for r in ok:
        assert (await deliver(fake, url, fake.complete_refund(r.refund_no))).status_code == 200
    view = await payments.get_order(order.order_id)
    assert view.status == "paid" and view.refunded_fen == 8000
    rest = await payments.refund(order.order_id, idempotency_key="rest")
    assert rest.amount_fen == 2000
    await deliver(fake, url, fake.complete_refund(rest.refund_no))
    view = await payments.get_order(order.order_id)
    assert view.status == "refunded" and view.refunded_fen == 10000
    async with db.session() as s:
        total = await s.scalar(select(func.sum(PaymentRefund.amount_fen)).where(PaymentRefund.status == "success"))
    assert total == 10000


async def test_failed_refund_releases_its_reservation_and_mismatch_is_refused(served, fake, db):
    payments, url = served
    order = await new_order(payments)
    fake.pay(order.order_id)
    await payments.sync_order(order.order_id)
    refund = await payments.refund(order.order_id, idempotency_key="r1")
    bad = fake.complete_refund(refund.refund_no, refund_amount=4999)
    fake.refunds[refund.refund_no]["status"] = "PROCESSING"
    assert (await deliver(fake, url, bad)).status_code == 400
    assert await audit_reasons(db, "payment.result_rejected") == ["amount_mismatch"]
    r = await deliver(fake, url, fake.complete_refund(refund.refund_no, status="ABNORMAL"))
    assert r.status_code == 200
    view = await payments.get_order(order.order_id)
    assert view.status == "paid" and view.refunded_fen == 0
    async with db.session() as s:
        assert (await s.get(PaymentOrder, order.order_id)).refund_reserved_fen == 0
    # and the money can be refunded again with a new request
    again = await payments.refund(order.order_id, idempotency_key="r2")
    assert again.amount_fen == 5000


async def test_refund_notification_late_uses_query(served, fake, db):
    payments, _ = served
    order = await new_order(payments)
    fake.pay(order.order_id)
    await payments.sync_order(order.order_id)
    refund = await payments.refund(order.order_id, idempotency_key="r1")
    fake.refunds[refund.refund_no]["status"] = "SUCCESS"
    assert (await payments.sync_refund(refund.refund_no)).status == "success"
    assert (await payments.get_order(order.order_id)).status == "refunded"
    assert await payments.sync_refund(refund.refund_no) is not None
    assert await audits(db, "payment.refunded") == 1


async def test_refund_for_reference_cancels_an_appointment_fee(served, fake, db):
    payments, url = served
    assert await payments.refund_for_reference("appt-1", idempotency_key="x") is None  # nothing paid yet
    order = await new_order(payments)
    fake.pay(order.order_id)
    await deliver(fake, url, fake.payment_notification(order.order_id))
    refund = await payments.refund_for_reference("appt-1", idempotency_key="cancel:appt-1", reason="按时取消预约")
    assert refund is not None and refund.amount_fen == 5000


async def test_not_configured(db, clock, settings, hospital):
    payments = PaymentService(db, clock, None)
    assert not payments.configured
    with pytest.raises(PaymentNotConfigured):
        await new_order(payments)
    result = await payments.handle_notification({}, b"{}")
    assert result.status_code == 503 and result.body["code"] == "FAIL"
