"""Runners: the same suites in-process (the whole app over ASGI, fast, for CI), over HTTP, or over
the chat WebSocket against a running server."""

from __future__ import annotations

import contextlib
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx


class Runner:
    kind = "base"
    can_set_clock = False

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def set_clock(self, iso: str | None) -> None: ...

    async def turn(self, session_id: str | None, text: str, lang: str | None) -> tuple[int, dict[str, Any], float]:
        raise NotImplementedError

    async def request(self, method: str, path: str, body: Any) -> tuple[int, Any, float]:
        t0 = time.perf_counter()
        r = await self.http.request(method, path, json=body)  # type: ignore[attr-defined]
        try:
            data = r.json()
        except ValueError:
            data = {"raw": r.text[:500]}
        return r.status_code, data, time.perf_counter() - t0


class HttpRunner(Runner):
    kind = "http"

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=120)

    async def turn(self, session_id: str | None, text: str, lang: str | None) -> tuple[int, dict[str, Any], float]:
        body: dict[str, Any] = {"text": text}
        if session_id:
            body["session_id"] = session_id
        if lang:
            body["lang"] = lang
        t0 = time.perf_counter()
        r = await self.http.post("/api/v1/chat", json=body)
        dt = time.perf_counter() - t0
        try:
            data = r.json()
        except ValueError:
            data = {"raw": r.text[:500]}
        return r.status_code, data, dt

    async def close(self) -> None:
        await self.http.aclose()


class WebSocketRunner(HttpRunner):
    """Chat turns over ``WS /ws/chat`` (one socket per conversation), requests over HTTP."""

    kind = "ws"

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self._sockets: dict[str, Any] = {}

    async def turn(self, session_id: str | None, text: str, lang: str | None) -> tuple[int, dict[str, Any], float]:
        import websockets

        ws = self._sockets.get(session_id or "")
        if ws is None:
            ws = await websockets.connect(self.base_url.replace("http", "ws", 1) + "/ws/chat", max_size=1 << 22)
        body: dict[str, Any] = {"text": text}
        if session_id:
            body["session_id"] = session_id
        if lang:
            body["lang"] = lang
        t0 = time.perf_counter()
        await ws.send(json.dumps(body, ensure_ascii=False))
        deltas = []
        while True:
            msg = json.loads(await ws.recv())
            if msg.get("type") == "delta":
                deltas.append(msg.get("text", ""))
                continue
            if msg.get("type") in ("reply", "error"):
                break
        dt = time.perf_counter() - t0
        if msg["type"] == "error":
            await ws.close()
            return 400, msg, dt
        if deltas and "".join(deltas) != msg.get("reply"):
            msg.setdefault("_stream_mismatch", True)
        self._sockets[msg["session_id"]] = ws
        return 200, {k: v for k, v in msg.items() if k != "type"}, dt

    async def close(self) -> None:
        for ws in self._sockets.values():
            with contextlib.suppress(Exception):
                await ws.close()
        await super().close()


class InProcessRunner(HttpRunner):
    """The whole app (lifespan included) in this process over ASGI: the contract, without sockets."""

    kind = "in-process"
    can_set_clock = True

    def __init__(self, data_dir: Path, llm: bool = False) -> None:
        from assistant.clock import FixedClock
        from assistant.config import Settings

        self.clock = FixedClock(datetime.now().astimezone())
        self._real_now = True
        import secrets

        self.settings = Settings(
            data_dir=data_dir, llm_enabled=llm, log_level="WARNING", environment="test",
            admin_user="eval", admin_password=secrets.token_urlsafe(16),
        )
        self._lifespan: Any = None

    async def start(self) -> None:
        from assistant.app import create_app

        self.app = create_app(self.settings, clock=self.clock)
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        self.base_url = "http://eval.local"
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=self.base_url, timeout=300)
        await wait_ready(self.http)


    @contextlib.asynccontextmanager
    async def http_server(self):  # type: ignore[no-untyped-def]
        """Serve the same running app on a local port (for suites that need real sockets: voice)."""
        import asyncio
        import socket

        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await task

    def set_clock(self, iso: str | None) -> None:
        from assistant.clock import TZ

        if iso:
            self.clock.set(datetime.fromisoformat(iso))
        else:
            self.clock.set(datetime.now(TZ))

    async def close(self) -> None:
        await self.http.aclose()
        if self._lifespan is not None:
            await self._lifespan.__aexit__(None, None, None)


async def wait_ready(http: httpx.AsyncClient, timeout: float = 900.0) -> None:
    """Wait until /readyz says every component (index, models) is usable; first start ingests."""
    import asyncio

    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        r = await http.get("/readyz")
        if r.status_code == 200:
            return
        last = r.text
        await asyncio.sleep(0.5)
    raise RuntimeError(f"the service did not become ready: {last[:300]}")
