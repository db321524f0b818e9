"""Browser-test fixtures: the real app and the contract stand-in, each under uvicorn on a free port in a
background thread, and Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

# tests/ has no __init__.py: pytest puts this directory on sys.path, so siblings import by name.
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, MOBILE, route_paths

from tests.server import free_port, serve_app  # noqa: F401  (free_port is used by browser tests)

# one way to run a server in tests: tests/server.py
serve = serve_app


def build_real_app(data_dir: Path):
    """The product's app (assistant.app.create_app) with the web router, on a temporary data dir."""
    from assistant.api import web
    from assistant.app import create_app
    from assistant.config import Settings

    settings = Settings(data_dir=data_dir, environment="test", llm_enabled=False)
    app = create_app(settings)
    paths = route_paths(app.routes)
    if "/" not in paths:  # until the app factory wires the page in itself
        app.include_router(web.router)
    if "/ws/voice" not in paths:  # likewise the voice router, once its module exists
        try:
            from assistant.api import voice
        except ImportError:
            pass
        else:
            app.include_router(voice.router)
    return app


@pytest.fixture(scope="session")
def real_app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    data_dir = tmp_path_factory.mktemp("pa-browser-data")
    os.environ.setdefault("PA_DATA_DIR", str(data_dir))
    app = build_real_app(data_dir)
    with serve(app) as base:
        assert httpx.get(base + "/healthz", timeout=10).status_code == 200
        yield base, app


@pytest.fixture(scope="session")
def real_server(real_app_server) -> str:
    return real_app_server[0]


@pytest.fixture(scope="session")
def standin_server() -> Iterator[str]:
    from browser_standin import create_standin

    with serve(create_standin()) as base:
        yield base


# Module scope, not session: Playwright's sync API runs an event loop on the main thread while it
# is open, and every later test that calls asyncio.run() would fail with "a running event loop".
@pytest.fixture(scope="module")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is not installed: run scripts/setup.sh (it installs Debian's chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_instance):
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=MOBILE, locale="zh-CN", device_scale_factor=2, has_touch=False)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.js_errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
