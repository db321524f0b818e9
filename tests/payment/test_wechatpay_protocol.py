"""The WeChat Pay v3 client against the local protocol server: signatures both ways, AES-GCM
resources, retries on 5xx only, clear errors."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest
from fake_wechatpay import make_keypair

from integrations.payment import NotificationRejected, WechatPayClient, WechatPayError, crypto
from integrations.payment.notify import parse_notification

pytestmark = pytest.mark.integration


async def test_native_order_query_close(wechat_client, fake):
    code_url = await wechat_client.create_native_order("PA20261123001", "挂号费", 5000, "https://h.example/notify")
    assert code_url.startswith("weixin://wxpay/bizpayurl")
    trade = await wechat_client.query_order("PA20261123001")
    assert trade["trade_state"] == "NOTPAY" and trade["amount"]["total"] == 5000
    await wechat_client.close_order("PA20261123001")
    assert (await wechat_client.query_order("PA20261123001"))["trade_state"] == "CLOSED"
    assert not fake.rejected_requests


async def test_jsapi_order_and_pay_sign(wechat_client, merchant_keys):
    prepay_id = await wechat_client.create_jsapi_order("PA20261123002", "门诊缴费", 12732, "https://h.example/n", "o-openid")
    params = wechat_client.jsapi_pay_params(prepay_id)
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    assert crypto.verify(merchant_keys.key.public_key(), message, params["paySign"])


async def test_the_server_refuses_a_request_signed_with_another_key(wechat_config, clock, fake):
    other = make_keypair("impostor")
    client = WechatPayClient(replace(wechat_config, private_key=other.key), now=clock.now)
    try:
        with pytest.raises(WechatPayError) as err:
            await client.query_order("PA1")
        assert err.value.status == 401 and err.value.code == "SIGN_ERROR" and not err.value.retryable
    finally:
        await client.aclose()
    assert fake.rejected_requests == ["signature does not verify"]


async def test_answers_with_a_bad_signature_are_not_believed(wechat_client, fake):
    fake.corrupt_next_signature = True
    with pytest.raises(WechatPayError) as err:
        await wechat_client.create_native_order("PA3", "x", 100, "https://h.example/n")
    assert err.value.code == "BAD_RESPONSE_SIGNATURE"


async def test_retries_5xx_but_not_4xx(wechat_client, fake):
    fake.fail_next = [500, 503]
    assert await wechat_client.create_native_order("PA4", "x", 100, "https://h.example/n")
    assert fake.requests.count(("POST", "/v3/pay/transactions/native")) == 3
    fake.fail_next = [500, 500, 500]
    with pytest.raises(WechatPayError) as err:
        await wechat_client.query_order("PA4")
    assert err.value.status == 500 and err.value.retryable
    with pytest.raises(WechatPayError) as err:
        await wechat_client.query_order("PA-none")
    assert err.value.status == 404 and err.value.code == "ORDER_NOT_EXIST"


async def test_timeouts_become_clear_errors(wechat_config, clock):
    client = WechatPayClient(replace(wechat_config, api_base="http://127.0.0.1:9", max_retries=1), now=clock.now)
    try:
        with pytest.raises(WechatPayError) as err:
            await client.query_order("PA5")
        assert err.value.status == 0 and err.value.code in ("NETWORK", "TIMEOUT") and err.value.retryable
    finally:
        await client.aclose()


async def test_refund_over_the_paid_amount_is_refused_by_the_server(wechat_client, fake):
    await wechat_client.create_native_order("PA6", "x", 100, "https://h.example/n")
    fake.pay("PA6")
    with pytest.raises(WechatPayError) as err:
        await wechat_client.refund("PA6", "RF6", 101, 100, None)
    assert err.value.status == 400
    ok = await wechat_client.refund("PA6", "RF6b", 100, 100, None, "取消")
    assert ok["status"] == "PROCESSING" and ok["amount"]["refund"] == 100
    assert (await wechat_client.query_refund("RF6b"))["out_refund_no"] == "RF6b"


@pytest.mark.unit
def test_notification_roundtrip_and_failures(wechat_config, fake, clock):
    fake.orders["PA7"] = {"out_trade_no": "PA7", "total": 100, "trade_state": "NOTPAY", "transaction_id": None,
                          "refunded": 0, "code_url": "", "prepay_id": "", "notify_url": ""}
    fake.pay("PA7")
    headers, body = fake.payment_notification("PA7")
    n = parse_notification(wechat_config, headers, body, clock.now())
    assert n.event_type == "TRANSACTION.SUCCESS" and n.resource["out_trade_no"] == "PA7"
    assert n.resource["amount"]["total"] == 100 and n.original_type == "transaction"
    # Wrong APIv3 key: the signature is fine but the resource does not decrypt.
    with pytest.raises(NotificationRejected) as err:
        parse_notification(replace(wechat_config, apiv3_key=b"0" * 32), headers, body, clock.now())
    assert err.value.code == "decrypt_failed"
    # Ciphertext altered and re-signed by the platform: AES-GCM's tag catches it.
    env = json.loads(body)
    ct = bytearray(base64.b64decode(env["resource"]["ciphertext"]))
    ct[0] ^= 1
    env["resource"]["ciphertext"] = base64.b64encode(bytes(ct)).decode()
    new_body = json.dumps(env, separators=(",", ":"))
    ts, nonce = headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"]
    resigned = dict(headers, **{"Wechatpay-Signature": crypto.sign(fake.platform.key, crypto.response_message(ts, nonce, new_body))})
    with pytest.raises(NotificationRejected) as err:
        parse_notification(wechat_config, resigned, new_body.encode(), clock.now())
    assert err.value.code == "decrypt_failed"


@pytest.mark.unit
def test_authorization_header_shape(wechat_config):
    header = crypto.authorization("1900000109", "ABC123", wechat_config.private_key, "GET",
                                  "/v3/certificates", "", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242")
    assert header.startswith('WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="')
    assert header.endswith('timestamp="1554208460",serial_no="ABC123"')
    params = crypto.parse_authorization(header)
    message = crypto.request_message("GET", "/v3/certificates", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", "")
    assert message == "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"
    assert crypto.verify(wechat_config.private_key.public_key(), message, params["signature"])
