"""WeChat channel test helpers: the real app under uvicorn with the WeChat router, callback signing and
encryption as WeChat's servers do it, and the fixtures from ../shared/fixtures/wechat_callback/."""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from integrations.wechat.crypto import MessageCrypto, sha1_signature

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "wechat_callback"
if not FIXTURES.is_dir():
    FIXTURES = Settings().hospital_dir.parent / "fixtures" / "wechat_callback"

TOKEN = "pa-test-token"
APPID = "wxfakeappid0001"
SECRET = "fake-app-secret"


def new_aes_key() -> str:
    import base64

    return base64.b64encode(secrets.token_bytes(32)).decode()[:-1]


def fixture_index() -> list[dict[str, Any]]:
    return json.loads((FIXTURES / "index.json").read_text("utf-8"))


def _create_app_with_wechat(settings: Settings | None = None, clock: Any = None) -> Any:
    """The real app factory; adds the WeChat routes if the app does not already include them."""
    from assistant.api import wechat as wechat_api
    from assistant.app import create_app as real_create_app

    app = real_create_app(settings, clock=clock)
    if not any(getattr(r, "path", None) == "/integrations/wechat" for r in app.routes):
        app.include_router(wechat_api.router)
    return app


@contextlib.contextmanager
def wechat_server(settings: Settings, clock: Any = None) -> Iterator[str]:
    """tests/server.py's running_server, with the WeChat router wired in (until app.py does it)."""
    try:  # `python -m pytest` puts the checkout on sys.path; plain `pytest` only puts tests/ there
        import tests.server as server_module
    except ModuleNotFoundError:
        import server as server_module  # type: ignore[no-redef]

    original = server_module.create_app
    server_module.create_app = _create_app_with_wechat
    try:
        with server_module.running_server(settings, clock=clock) as base:
            yield base
    finally:
        server_module.create_app = original


def signed_query(token: str = TOKEN, timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(6)
    return {"timestamp": ts, "nonce": nonce, "signature": sha1_signature(token, ts, nonce)}


def encrypted_request(crypto: MessageCrypto, xml: str, timestamp: int | None = None) -> tuple[dict[str, str], str]:
    """(query, body) for a safe-mode POST, built the way WeChat's servers build it."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(6)
    encrypt = crypto.encrypt(xml)
    query = {
        "timestamp": ts,
        "nonce": nonce,
        "encrypt_type": "aes",
        "signature": sha1_signature(crypto.token, ts, nonce),
        "msg_signature": crypto.signature(ts, nonce, encrypt),
        "openid": "o-irrelevant",
    }
    body = f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    return query, body


def text_xml(openid: str, content: str, msg_id: int | str | None = None, create_time: int | None = None) -> str:
    ct = int(time.time()) if create_time is None else create_time
    mid = msg_id if msg_id is not None else int(hashlib.sha1(f"{openid}{content}{time.time_ns()}".encode()).hexdigest()[:15], 16)
    return (
        f"<xml><ToUserName><![CDATA[gh_hospital]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{ct}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{mid}</MsgId></xml>"
    )


def event_xml(openid: str, event: str, key: str | None = None, create_time: int | None = None) -> str:
    ct = int(time.time()) if create_time is None else create_time
    key_xml = f"<EventKey><![CDATA[{key}]]></EventKey>" if key is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[gh_hospital]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{ct}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>{key_xml}</xml>"
    )


def media_xml(openid: str, msg_type: str, media_id: str, *, fmt: str | None = None, recognition: str | None = None,
              msg_id: int | None = None) -> str:
    extra = ""
    if fmt:
        extra += f"<Format><![CDATA[{fmt}]]></Format>"
    if recognition is not None:
        extra += f"<Recognition><![CDATA[{recognition}]]></Recognition>"
    if msg_type == "image":
        extra += "<PicUrl><![CDATA[http://mmbiz.qpic.cn/fake.jpg]]></PicUrl>"
    mid = msg_id if msg_id is not None else time.time_ns() % 10**15
    return (
        f"<xml><ToUserName><![CDATA[gh_hospital]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        f"<MediaId><![CDATA[{media_id}]]></MediaId>{extra}<MsgId>{mid}</MsgId></xml>"
    )


@pytest.fixture
def wechat_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"wechat_token": TOKEN, "wechat_appid": APPID, "wechat_aes_key": new_aes_key()})
