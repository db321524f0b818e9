"""The chat page in headless Chromium against the real app (assistant.app.create_app, embedded store,
rule-routed engine, no LLM): type a message and see the streamed reply, switch language, large font,
hand over to a person, and screenshots of the page in zh, en and large-font modes."""

from __future__ import annotations

import pytest
from browser_helpers import SCREENSHOT_DIR, open_chat, route_paths, send, wait_reply
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_type_a_message_and_see_the_streamed_reply(page: Page, real_server: str) -> None:
    sockets = open_chat(page, real_server)
    send(page, "你好")
    reply = wait_reply(page, 1)
    received = [m for m in sockets.received if m.get("type") in {"delta", "reply"}]
    assert received[-1]["type"] == "reply"
    deltas = [m["text"] for m in received if m["type"] == "delta"]
    assert deltas, "the reply was not streamed"
    final = received[-1]
    assert final["intent"] == "greeting"
    assert "".join(deltas).strip() == final["reply"].strip()
    expect(reply.locator(".text")).to_have_text(final["reply"])
    assert sockets.sent[-1] == {"text": "你好", "lang": "zh", "channel": "web"}
    assert page.evaluate("() => sessionStorage.getItem('pa.session_id')") == final["session_id"]
    # The next turn continues the same conversation.
    send(page, "谢谢")
    wait_reply(page, 2)
    assert sockets.sent[-1]["session_id"] == final["session_id"]


def test_switch_language_and_talk_in_english(page: Page, real_server: str) -> None:
    sockets = open_chat(page, real_server)
    page.locator("#lang-toggle").click()
    expect(page.locator("#app-title")).to_have_text("Patient Assistant")
    expect(page.locator("#send-btn")).to_have_text("Send")
    send(page, "hello")
    reply = wait_reply(page, 1)
    assert sockets.sent[-1]["lang"] == "en"
    text = reply.locator(".text").inner_text()
    assert text and not any("\u4e00" <= ch <= "\u9fff" for ch in text[:40]), text


def test_large_font_mode(page: Page, real_server: str) -> None:
    open_chat(page, real_server)
    send(page, "你好")
    text = wait_reply(page, 1).locator(".text")
    before = float(text.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    page.locator("#font-toggle").click()
    after = float(text.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert after >= before * 1.2


def test_asking_for_a_person_shows_the_handover(page: Page, real_server: str) -> None:
    sockets = open_chat(page, real_server)
    send(page, "转人工")
    reply = wait_reply(page, 1)
    final = [m for m in sockets.received if m.get("type") == "reply"][-1]
    assert final["intent"] == "human" and final["escalated"] is True
    expect(reply.locator(".escalation")).to_be_visible()


def test_screenshots_zh_en_large(page: Page, real_server: str) -> None:
    """Screenshots for a person to look at (written to /tmp); also checks nothing overflows sideways."""
    open_chat(page, real_server)
    send(page, "你好")
    wait_reply(page, 1)
    send(page, "我要挂号")
    wait_reply(page, 2)
    page.screenshot(path=str(SCREENSHOT_DIR / "pa-chat-zh.png"))
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width
    page.locator("#lang-toggle").click()
    send(page, "How much will insurance pay?")
    wait_reply(page, 3)
    page.screenshot(path=str(SCREENSHOT_DIR / "pa-chat-en.png"))
    page.locator("#lang-toggle").click()
    page.locator("#font-toggle").click()
    page.screenshot(path=str(SCREENSHOT_DIR / "pa-chat-large.png"))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= page.viewport_size["width"]
    page.locator("#font-toggle").click()


def test_upload_a_text_report_to_the_real_endpoint(page: Page, real_app_server) -> None:
    base, app = real_app_server
    if "/api/v1/reports/upload" not in route_paths(app.routes):
        pytest.skip("the real app has no /api/v1/reports/upload yet")
    open_chat(page, base)
    report = (
        "项目\t结果\t单位\t参考范围\n白细胞计数(WBC)\t12.5\t10^9/L\t3.5-9.5\n钾(K)\t6.8\tmmol/L\t3.5-5.3\n"
    )
    page.locator("#file-input").set_input_files(
        {"name": "report.txt", "mimeType": "text/plain", "buffer": report.encode("utf-8")}
    )
    reply = wait_reply(page, 1, timeout=60000)
    rows = reply.locator(".report tbody tr")
    expect(rows).to_have_count(2)
    expect(reply.locator(".report tr.flag-critical_high")).to_have_count(1)
