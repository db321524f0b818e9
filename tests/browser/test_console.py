"""The staff console in headless Chromium against the real app: a nurse logs in at /console, sees a
patient's 转人工 appear in the queue without reloading, opens it with a reason, reveals a masked
number, takes over, writes to the patient (whose chat page shows it), reads the reply live, and
closes it with a disposition; an administrator manages staff accounts."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
import pytest
from browser_helpers import SCREENSHOT_DIR, open_chat, send, wait_reply
from playwright.sync_api import Browser, Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ADMIN = ("chief", "chief-password-1")
NURSE = ("nurse.li", "nurse-password-1")
DESKTOP = {"width": 1280, "height": 860}


@pytest.fixture(scope="module")
def console_server(tmp_path_factory) -> Iterator[str]:
    """The real app (chat page, console, staff API) with a known administrator and a nurse."""
    from assistant.config import Settings
    from tests.server import running_server

    settings = Settings(data_dir=tmp_path_factory.mktemp("console"), environment="test", llm_enabled=False,
                        admin_user=ADMIN[0], admin_password=ADMIN[1])
    with running_server(settings, timeout=120) as base:
        with httpx.Client(base_url=base, timeout=30) as c:
            token = c.post("/api/v1/staff/login", json={"username": ADMIN[0], "password": ADMIN[1]}).json()["access_token"]
            r = c.post("/api/v1/staff/users", headers={"Authorization": f"Bearer {token}"},
                       json={"username": NURSE[0], "password": NURSE[1], "role": "nurse", "display_name": "李护士"})
            assert r.status_code == 201, r.text
        yield base


@contextlib.contextmanager
def _page(browser: Browser, viewport: dict[str, int] | None = None) -> Iterator[Page]:
    context = browser.new_context(viewport=viewport or DESKTOP, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _login(page: Page, base: str, user: tuple[str, str]) -> None:
    page.goto(base + "/console")
    expect(page.locator("#login-form")).to_be_visible()
    page.fill("#username", user[0])
    page.fill("#password", user[1])
    page.click("#login-btn")
    expect(page.locator("#main-view")).to_be_visible()
    expect(page.locator("#live-state")).to_have_attribute("data-state", "open")


def test_wrong_password_shows_a_clear_message(browser: Browser, console_server: str) -> None:
    with _page(browser) as page:
        page.goto(console_server + "/console")
        page.fill("#username", NURSE[0])
        page.fill("#password", "not-the-password")
        page.click("#login-btn")
        expect(page.locator("#login-error")).to_contain_text("用户名或密码错误")
        expect(page.locator("#main-view")).to_be_hidden()


def test_takeover_round_trip_between_the_console_and_the_chat_page(browser: Browser, console_server: str) -> None:
    base = console_server
    with _page(browser) as console, _page(browser, {"width": 390, "height": 844}) as patient:
        _login(console, base, NURSE)
        expect(console.locator("#tab-admin")).to_be_hidden()  # nurses do not manage accounts
        expect(console.locator("#queue li.esc")).to_have_count(0)

        # the patient asks for a person on the chat page; the queue shows it without a reload
        open_chat(patient, base)
        send(patient, "转人工，我的电话13812345678")
        wait_reply(patient, 1)
        item = console.locator("#queue li.esc")
        expect(item).to_have_count(1)
        expect(item).to_contain_text("患者要求人工")
        expect(item).to_contain_text("目标 30 分钟")
        expect(item).to_contain_text("网页")

        # open it (with a reason), see the masked transcript and reveal the number
        item.click()
        expect(console.locator("#open-form")).to_be_visible()
        console.click("#open-btn")
        transcript = console.locator("#transcript")
        expect(transcript).to_contain_text("转人工")
        expect(transcript).to_contain_text("138****5678")
        expect(transcript).not_to_contain_text("13812345678")
        console.locator(".reveal-btn").first.click()
        console.fill("#reveal-reason", "需要回电患者")
        console.click("#reveal-confirm")
        expect(console.locator("code.revealed")).to_have_text("13812345678")

        # take over: the patient is told a person joined
        console.click("#takeover-btn")
        expect(console.locator("#action-status")).to_contain_text("已接管")
        expect(patient.locator(".system-note").last).to_contain_text("人工客服已接入")

        # staff words reach the patient's chat page
        console.fill("#reply-input", "您好，我是值班护士李，请问哪里不舒服？")
        console.click("#send-btn")
        expect(patient.locator(".msg.staff")).to_contain_text("您好，我是值班护士李，请问哪里不舒服？")
        expect(transcript.locator(".turn.staff")).to_contain_text("值班护士李")

        # the patient's answer appears live in the console (the assistant stays quiet)
        patient.fill("#message-input", "我有点头晕")
        patient.press("#message-input", "Enter")
        expect(transcript.locator(".turn.patient").last).to_contain_text("我有点头晕")
        expect(transcript.locator(".turn.assistant")).to_have_count(1)

        # close with a disposition
        console.select_option("#disposition", "handled")
        console.click("#close-btn")
        expect(console.locator("#action-status")).to_contain_text("已结束")
        expect(patient.locator(".system-note").last).to_contain_text("本次会话已结束")
        expect(console.locator("#queue li.esc.closed")).to_have_count(1)
        console.screenshot(path=str(SCREENSHOT_DIR / "console-takeover.png"), full_page=True)
        patient.screenshot(path=str(SCREENSHOT_DIR / "console-takeover-patient.png"), full_page=True)


def test_admin_manages_staff_accounts(browser: Browser, console_server: str) -> None:
    with _page(browser) as page:
        _login(page, console_server, ADMIN)
        page.click("#tab-admin")
        expect(page.locator("#users tr[data-user='chief']")).to_contain_text("管理员")
        page.fill("#new-username", "doctor.zhang")
        page.fill("#new-display", "张医生")
        page.select_option("#new-role", "doctor")
        page.fill("#new-password", "doctor-password-9")
        page.click("#create-user-btn")
        row = page.locator("#users tr[data-user='doctor.zhang']")
        expect(row).to_contain_text("医生")
        row.get_by_role("button", name="停用 Deactivate").click()
        expect(row).to_contain_text("已停用")
        page.screenshot(path=str(SCREENSHOT_DIR / "console-admin.png"), full_page=True)
    r = httpx.post(console_server + "/api/v1/staff/login", json={"username": "doctor.zhang", "password": "doctor-password-9"})
    assert r.status_code == 401
