"""A local stand-in for WeChat's API servers (api.weixin.qq.com) speaking the real protocol on 127.0.0.1:
cgi-bin/token, message/custom/send, message/template/send and media/get, with access-token checks,
errcodes, and switches to inject expired tokens, 5xx answers and slow responses."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class FakeWeChat:
    appid: str = "wxfakeappid0001"
    secret: str = "fake-app-secret"
    base_url: str = ""
    tokens: dict[str, str] = field(default_factory=dict)  # token -> "valid" | "invalid" | "expired"
    token_requests: int = 0
    custom_messages: list[dict[str, Any]] = field(default_factory=list)
    template_messages: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # media_id -> (bytes, content type)
    calls: list[str] = field(default_factory=list)
    delays: dict[str, float] = field(default_factory=dict)  # path -> seconds to stall before answering
    fail_5xx: dict[str, int] = field(default_factory=dict)  # path -> how many 502s to answer first
    lock: threading.Condition = field(default_factory=threading.Condition)
    # WeChat's rule: fetching a new token retires the earlier ones after about five minutes.
    previous_token_grace_s: float = 300.0
    retire_at: dict[str, float] = field(default_factory=dict)  # token -> monotonic time it stops working

    def invalidate_tokens(self, how: str = "invalid") -> None:
        """Make every issued token fail: ``invalid`` → 40001, ``expired`` → 42001."""
        with self.lock:
            for t in self.tokens:
                self.tokens[t] = how

    def wait_for_custom(self, count: int = 1, timeout: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.custom_messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.lock.wait(left)
            return list(self.custom_messages)

    # ---- protocol ------------------------------------------------------------------------------
    def _token_state(self, q: dict[str, str]) -> dict[str, Any] | None:
        token = q.get("access_token")
        state = self.tokens.get(token or "")
        if not token:
            return {"errcode": 41001, "errmsg": "access_token missing"}
        if state == "valid" and time.monotonic() >= self.retire_at.get(token, float("inf")):
            state = "invalid"
        if state is None or state == "invalid":
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        if state == "expired":
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return None

    def answer(self, method: str, path: str, q: dict[str, str], body: bytes) -> tuple[int, str, bytes, dict[str, str]]:
        def js(obj: dict[str, Any], status: int = 200) -> tuple[int, str, bytes, dict[str, str]]:
            return status, "application/json; encoding=utf-8", json.dumps(obj, ensure_ascii=False).encode(), {}

        with self.lock:
            if self.fail_5xx.get(path, 0) > 0:
                self.fail_5xx[path] -= 1
                return 502, "text/html", b"<html>502 Bad Gateway</html>", {}
        if path == "/cgi-bin/token" and method == "GET":
            with self.lock:
                self.token_requests += 1
                if q.get("grant_type") != "client_credential":
                    return js({"errcode": 40002, "errmsg": "invalid grant_type"})
                if q.get("appid") != self.appid:
                    return js({"errcode": 40013, "errmsg": "invalid appid"})
                if q.get("secret") != self.secret:
                    return js({"errcode": 40125, "errmsg": "invalid appsecret"})
                token = f"ACCESS_TOKEN_{self.token_requests:04d}"
                for old in self.tokens:
                    self.retire_at.setdefault(old, time.monotonic() + self.previous_token_grace_s)
                self.tokens[token] = "valid"
                return js({"access_token": token, "expires_in": 7200})
        if path in ("/cgi-bin/message/custom/send", "/cgi-bin/message/template/send") and method == "POST":
            with self.lock:
                bad = self._token_state(q)
                if bad:
                    return js(bad)
                try:
                    payload = json.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    return js({"errcode": 47001, "errmsg": "data format error"})
                if not payload.get("touser"):
                    return js({"errcode": 40003, "errmsg": "invalid openid"})
                if path.endswith("custom/send"):
                    if payload.get("msgtype") != "text" or not (payload.get("text") or {}).get("content"):
                        return js({"errcode": 44002, "errmsg": "empty post data"})
                    self.custom_messages.append(payload)
                    self.lock.notify_all()
                    return js({"errcode": 0, "errmsg": "ok"})
                if not payload.get("template_id"):
                    return js({"errcode": 40037, "errmsg": "invalid template_id"})
                self.template_messages.append(payload)
                self.lock.notify_all()
                return js({"errcode": 0, "errmsg": "ok", "msgid": 200228332 + len(self.template_messages)})
        if path == "/cgi-bin/media/get" and method == "GET":
            with self.lock:
                bad = self._token_state(q)
                if bad:
                    return js(bad)
                item = self.media.get(q.get("media_id", ""))
            if item is None:
                return js({"errcode": 40007, "errmsg": "invalid media_id"})
            data, ctype = item
            ext = {"audio/amr": "amr", "audio/speex": "speex", "image/jpeg": "jpg", "image/png": "png"}.get(ctype, "bin")
            return 200, ctype, data, {"Content-disposition": f'attachment; filename="{q["media_id"]}.{ext}"'}
        return js({"errcode": 40066, "errmsg": "invalid url"}, 404)


def _handler(fake: FakeWeChat) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            return None

        def _serve(self, method: str) -> None:
            url = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with fake.lock:
                fake.calls.append(url.path)
            delay = fake.delays.get(url.path, 0.0)
            if delay:
                time.sleep(delay)
            status, ctype, data, headers = fake.answer(method, url.path, q, body)
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self) -> None:  # noqa: N802
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

    return Handler


@contextmanager
def fake_wechat_server(**kw: Any) -> Iterator[FakeWeChat]:
    fake = FakeWeChat(**kw)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
