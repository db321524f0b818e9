"""Booking meets payment through the real engine, with WeChat Pay configured against the local
protocol server: a confirmed booking offers its fee, yes / 我要缴费 creates the order and link, the
signed notification pays it, a timely cancel refunds it exactly once, a late cancel keeps it; and
without WeChat Pay settings the assistant says plainly that online payment is off. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from assistant.clock import TZ, FixedClock
from assistant.store.payment_tables import PaymentOrder, PaymentRefund
from tests.booking.engine_chat import Chat, count, start, stop

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # Monday; tomorrow's slots cancel free until 18:00 today
ADULT = "330106198001011235"


@pytest.fixture
def clock() -> FixedClock:
    # The local WeChat Pay server signs with this clock too, so timestamps agree with the hospital's.
    return FixedClock(NOW)


def _wechatpay_settings(tmp_path, fake, merchant_keys, platform_keys, apiv3_key) -> dict:
    key, cert = tmp_path / "apiclient_key.pem", tmp_path / "platform_cert.pem"
    key.write_bytes(merchant_keys.key_pem)
    cert.write_bytes(platform_keys.cert_pem)
    return {
        "wechatpay_mchid": fake.mchid, "wechatpay_appid": fake.appid, "wechatpay_cert_serial_no": merchant_keys.serial,
        "wechatpay_private_key_path": key, "wechatpay_apiv3_key": apiv3_key.decode(),
        "wechatpay_platform_cert_path": cert, "wechatpay_api_base": fake.base_url,
        "wechatpay_notify_url": "https://pay.example.org/api/v1/payments/wechatpay/notify",
    }


@pytest.fixture(params=["sqlite", "postgresql"])
async def app(request, tmp_path, clock, fake, merchant_keys, platform_keys, apiv3_key):
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    services, engine = await start(tmp_path / "data", clock, url, **_wechatpay_settings(tmp_path, fake, merchant_keys, platform_keys, apiv3_key))
    assert services.payments.configured
    yield services, engine
    await services.payments.client.aclose()
    await stop(services)


async def book(chat: Chat) -> dict:
    for text in ("明天上午心内科还有号吗", "第二个", "给我自己挂", "张三", ADULT, "13900001111"):
        await chat(text)
    r = await chat("对")
    assert r.appointment["status"] == "confirmed", r.reply
    return r


async def rows(services, table, **where) -> int:
    async with services.db.session() as s:
        q = select(func.count()).select_from(table)
        for k, v in where.items():
            q = q.where(getattr(table, k) == v)
        return int(await s.scalar(q) or 0)


async def test_fee_offered_paid_then_refunded_once_on_cancel(app, fake):
    services, engine = app
    payments = services.payments
    chat = Chat(engine)
    booked = await book(chat)
    appt_id = booked.appointment["appointment_id"]
    assert "挂号费35元可以现在用微信支付，需要现在支付吗" in booked.reply
    slots = await chat.slots()
    assert slots["offer"] == "payment" and slots["payment_appointment"] == {"appointment_id": appt_id, "fee_cny": 35.0}

    # A yes takes the offer: an order for the fee, with its WeChat Pay link.
    r = await chat("好的")
    assert r.intent == "payment" and r.payment["status"] == "created"
    assert (r.payment["total"], r.payment["cash_pays"], r.payment["fund_pays"]) == (35.0, 35.0, 0.0)
    order_id = r.payment["order_id"]
    assert r.payment["payment_url"].startswith("weixin://wxpay/bizpayurl?pr=") and r.payment["payment_url"] in r.reply
    order = await payments.get_order(order_id)
    assert (order.reference_id, order.amount_fen, order.purpose, order.session_id) == (f"appointment:{appt_id}", 3500, "appointment_fee", chat.session_id)
    # 我要缴费 again is the same order (idempotent), not a second charge.
    r = await chat("我要缴费")
    assert r.payment["order_id"] == order_id and await rows(services, PaymentOrder) == 1
    assert fake.requests.count(("POST", "/v3/pay/transactions/native")) == 1

    # The payer pays; WeChat Pay's signed, encrypted notification arrives.
    fake.pay(order_id)
    result = await payments.handle_notification(*fake.payment_notification(order_id))
    assert result.outcome == "applied"
    r = await chat("我要缴费")
    assert "已经支付过了" in r.reply and r.payment["status"] == "paid"

    # Cancelled before 18:00 the day before: the fee is refunded, once.
    r = await chat("取消我的预约")
    assert "确定要取消" in r.reply
    r = await chat("是的")
    assert r.appointment["status"] == "cancelled" and "已支付的挂号费35元将原路退回" in r.reply
    assert r.payment["order_id"] == order_id
    [refund_no] = list(fake.refunds)
    assert fake.refunds[refund_no]["refund"] == 3500
    # A retried cancel (same idempotency key) asks for nothing more.
    again = await payments.cancel_reference(f"appointment:{appt_id}", idempotency_key=f"appointment-cancel:{appt_id}")
    assert again is not None and again.refund_no == refund_no
    assert fake.requests.count(("POST", "/v3/refund/domestic/refunds")) == 1
    assert await rows(services, PaymentRefund) == 1
    # WeChat Pay's refund notification completes it; the order is refunded and nothing is left to refund.
    assert (await payments.handle_notification(*fake.complete_refund(refund_no))).outcome == "applied"
    view = await payments.get_order(order_id)
    assert view.status == "refunded" and view.refunded_fen == 3500
    assert await payments.cancel_reference(f"appointment:{appt_id}", idempotency_key="another-key") is None
    assert await rows(services, PaymentRefund) == 1
    # The cancelled appointment's fee is no longer asked for.
    assert (await chat.slots()).get("payment_appointment") is None


async def test_pay_words_create_the_order_and_cancel_closes_an_unpaid_one(app, fake):
    services, engine = app
    chat = Chat(engine)
    appt_id = (await book(chat)).appointment["appointment_id"]
    r = await chat("我要缴费")
    assert r.intent == "payment" and r.payment["status"] == "created" and r.payment["cash_pays"] == 35.0
    order_id = r.payment["order_id"]
    await chat("取消预约")
    r = await chat("对")
    assert r.appointment["status"] == "cancelled" and "还没有在线支付，不涉及退款" in r.reply
    # The unpaid order is closed here and at WeChat Pay, so it can no longer be paid.
    assert (await services.payments.get_order(order_id)).status == "closed"
    assert fake.orders[order_id]["trade_state"] == "CLOSED"
    assert await rows(services, PaymentRefund) == 0
    assert await services.booking.get(appt_id) is not None


async def test_late_cancellation_keeps_the_paid_fee(app, fake, clock):
    services, engine = app
    chat = Chat(engine)
    await book(chat)
    order_id = (await chat("好的")).payment["order_id"]
    fake.pay(order_id)
    await services.payments.handle_notification(*fake.payment_notification(order_id))
    clock.set(datetime(2026, 11, 23, 19, 0, tzinfo=TZ))
    r = await chat("取消我的预约")
    assert "18:00以后不能再取消或改约" in r.reply and "挂号费不退" in r.reply
    assert (await services.payments.get_order(order_id)).status == "paid"
    assert await rows(services, PaymentRefund) == 0 and not fake.refunds
    assert await count(services, status="confirmed") == 1


async def test_moving_a_paid_appointment_refunds_the_old_fee_and_offers_the_new(app, fake):
    services, engine = app
    chat = Chat(engine)
    old_id = (await book(chat)).appointment["appointment_id"]
    order_id = (await chat("好的")).payment["order_id"]
    fake.pay(order_id)
    await services.payments.handle_notification(*fake.payment_notification(order_id))
    await chat("我要改约")
    await chat("11月28日")
    await chat("第一个")
    r = await chat("对")
    assert "改约成功" in r.reply and "原预约已支付的挂号费35元将原路退回" in r.reply
    assert "需要现在支付吗" in r.reply
    new_id = r.appointment["appointment_id"]
    assert new_id != old_id and len(fake.refunds) == 1
    r = await chat("好的")
    assert r.payment["status"] == "created" and r.payment["order_id"] != order_id
    assert (await services.payments.get_order(r.payment["order_id"])).reference_id == f"appointment:{new_id}"


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_without_wechat_pay_it_says_so_plainly(tmp_path, clock, lang):
    services, engine = await start(tmp_path / "data", clock)
    try:
        assert not services.payments.configured
        chat = Chat(engine, lang=lang)
        if lang == "zh":
            r = await book(chat)
            # This chat can't take the money; the hospital's own channels can (quoted, cited), and the
            # hospital is never said to have no online payment.
            assert "这个对话里暂时不能直接收款" in r.reply and "挂号费35元" in r.reply and "门诊缴费" in r.reply and "自助机" in r.reply
            assert "暂未开通" not in r.reply
            assert "insurance_and_payment" in [c.doc_id for c in r.citations]
            r = await chat("我要缴费")
            assert r.intent == "payment" and r.payment is None and "这个对话里暂时不能直接收款" in r.reply and "门诊缴费" in r.reply
            assert "暂未开通" not in r.reply and "insurance_and_payment" in [c.doc_id for c in r.citations]
        else:
            for text in ("Is there a cardiology slot tomorrow morning?", "the second one", "for myself", "John Smith", ADULT, "13900001111"):
                await chat(text)
            r = await chat("yes")
            assert "can't take the payment in this chat" in r.reply and "WeChat official account" in r.reply
            r = await chat("pay now")
            assert r.intent == "payment" and r.payment is None and "can't take the payment in this chat" in r.reply
        assert await rows(services, PaymentOrder) == 0
    finally:
        await stop(services)


async def test_the_patient_is_told_when_the_notification_pays_the_order(tmp_path, clock, fake, merchant_keys, platform_keys, apiv3_key):
    """The whole app: chat over HTTP, WeChat Pay's notification POSTed to our endpoint, and the paid event
    published on the conversation's topic (what the web socket and WeChat push forward to the patient)."""
    import asyncio

    import httpx

    from assistant.app import create_app
    from assistant.config import Settings
    from assistant.session.bus import session_topic

    settings = Settings(data_dir=tmp_path / "data", environment="test", llm_enabled=False,
                        **_wechatpay_settings(tmp_path, fake, merchant_keys, platform_keys, apiv3_key))
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as http:
            sid = None
            for text in ("明天上午心内科还有号吗", "第二个", "给我自己挂", "张三", ADULT, "13900001111", "对", "好的"):
                body = {"text": text, **({"session_id": sid} if sid else {})}
                reply = (await http.post("/api/v1/chat", json=body)).json()
                sid = reply["session_id"]
            assert reply["payment"]["status"] == "created"
            order_id = reply["payment"]["order_id"]
            told: list[dict] = []

            async def listen() -> None:
                async for message in app.state.services.bus.subscribe(session_topic(sid)):
                    if message.get("type") == "payment":
                        told.append(message)
                        return

            listener = asyncio.create_task(listen())
            await asyncio.sleep(0)
            fake.pay(order_id)
            headers, payload = fake.payment_notification(order_id)
            r = await http.post("/api/v1/payments/wechatpay/notify", content=payload, headers=headers)
            assert r.status_code == 200
            await asyncio.wait_for(listener, 5)
            assert told[0]["event"] == "paid" and told[0]["payment"]["order_id"] == order_id
            assert told[0]["payment"]["status"] == "paid"
        await app.state.services.payments.client.aclose()
