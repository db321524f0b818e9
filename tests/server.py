"""Start the real app under uvicorn on a free local port, in a background thread, for tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import uvicorn

from assistant.app import create_app
from assistant.clock import Clock
from assistant.config import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(settings: Settings, clock: Clock | None = None, timeout: float = 60.0) -> Iterator[str]:
    port = free_port()
    app = create_app(settings, clock=clock)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", ws_max_size=1 << 20)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.started:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
        if not thread.is_alive():
            raise RuntimeError("server thread died during start-up")
        time.sleep(0.05)
    else:
        raise RuntimeError("server did not start in time")
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=15)
