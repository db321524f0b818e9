"""Payment fixtures: keys made here, the local WeChat Pay server, the store on SQLite and on the real
PostgreSQL, and our app (payments router) served over real HTTP so notifications arrive by POST."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime

import pytest
import uvicorn
from fake_wechatpay import FakeWechatPay, _QuietServer, free_socket, make_keypair
from fastapi import FastAPI

from assistant.api.payments import router
from assistant.clock import TZ, FixedClock
from assistant.services.container import Services
from assistant.services.payments import PaymentService
from assistant.store.db import Database
from integrations.payment import WechatPayClient, WechatPayConfig

MCHID, APPID = "1900000109", "wx8888888888888888"


@pytest.fixture(scope="session")
def merchant_keys():
    return make_keypair("merchant 1900000109")


@pytest.fixture(scope="session")
def platform_keys():
    return make_keypair("Tenpay.com platform")


@pytest.fixture
def apiv3_key() -> bytes:
    return secrets.token_hex(16).encode()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(TZ).replace(microsecond=0))


@pytest.fixture
def fake(merchant_keys, platform_keys, apiv3_key, clock):
    fake = FakeWechatPay(MCHID, APPID, merchant_keys, platform_keys, apiv3_key, now=lambda: clock.now().timestamp())
    with fake.serve() as base:
        fake.base_url = base
        yield fake


@pytest.fixture
def wechat_config(fake, merchant_keys, platform_keys, apiv3_key) -> WechatPayConfig:
    from integrations.payment import crypto

    return WechatPayConfig(
        mchid=MCHID, appid=APPID, merchant_serial_no=merchant_keys.serial,
        private_key=crypto.load_private_key(merchant_keys.key_pem), apiv3_key=apiv3_key,
        platform_keys=crypto.load_platform_keys(platform_keys.cert_pem), api_base=fake.base_url,
        timeout_s=5, max_retries=2, backoff_s=0.01,
    )


@pytest.fixture
async def wechat_client(wechat_config, clock):
    client = WechatPayClient(wechat_config, now=clock.now)
    yield client
    await client.aclose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
async def db(request, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'pay.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    database = Database(url)
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
async def served(settings, hospital, clock, db, wechat_client):
    """Our app on a real port; yields (PaymentService, notify_url)."""
    sock = free_socket()
    port = sock.getsockname()[1]
    notify_url = f"http://127.0.0.1:{port}/api/v1/payments/wechatpay/notify"
    payments = PaymentService(db, clock, wechat_client, notify_url=notify_url)
    app = FastAPI()
    app.include_router(router)
    app.state.services = Services(settings=settings, hospital=hospital, clock=clock, db=db, payments=payments)
    server = _QuietServer(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield payments, notify_url
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def engine(tmp_path):
    """The whole engine on the embedded store, on a Monday morning (the review conversations' date)."""
    from tests.booking.engine_chat import start, stop

    services, eng = await start(tmp_path / "data", FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=TZ)))
    yield eng
    await stop(services)
