"""Small helpers the browser tests share: open the page, send a message, read socket frames."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

SCREENSHOT_DIR = Path(os.environ.get("PA_TEST_SCREENSHOTS", "/tmp"))
CHROMIUM = os.environ.get("PA_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MOBILE = {"width": 390, "height": 844}


class SocketLog:
    """Every JSON frame the page sent and received on its WebSockets, in order."""

    def __init__(self, page: Page) -> None:
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self.urls: list[str] = []
        page.on("websocket", self._attach)

    def _attach(self, ws) -> None:
        self.urls.append(ws.url)
        ws.on("framesent", lambda payload: self._add(self.sent, payload))
        ws.on("framereceived", lambda payload: self._add(self.received, payload))

    @staticmethod
    def _add(into: list[dict[str, Any]], payload: str | bytes) -> None:
        if isinstance(payload, str):
            try:
                into.append(json.loads(payload))
            except ValueError:
                into.append({"type": "<not json>", "raw": payload})


def open_chat(page: Page, base: str, query: str = "") -> SocketLog:
    log = SocketLog(page)
    page.goto(base + "/" + query)
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    return log


def send(page: Page, text: str) -> None:
    box = page.locator("#message-input")
    box.fill(text)
    box.press("Enter")


def wait_reply(page: Page, count: int, timeout: float = 30000):
    """Wait until `count` assistant replies (excluding the welcome) have finished; return the last."""
    done = page.locator(".msg.assistant:not(.welcome):not(.streaming)")
    expect(done).to_have_count(count, timeout=timeout)
    return done.nth(count - 1)


def launch_with_fake_mic(playwright_instance, wav: Path):
    """A Chromium whose microphone plays `wav` once (Chromium's fake media devices)."""
    return playwright_instance.chromium.launch(
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS
        + [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}%noloop",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )


def route_paths(routes, prefix: str = "") -> set[str]:
    """Every path an app serves (FastAPI 0.141 keeps included routers nested, not flattened)."""
    paths: set[str] = set()
    for r in routes:
        inner = getattr(r, "original_router", None)
        if inner is not None:
            ctx = getattr(r, "include_context", None)
            paths |= route_paths(inner.routes, prefix + (getattr(ctx, "prefix", "") or ""))
        elif getattr(r, "path", ""):
            paths.add(prefix + r.path)
    return paths
