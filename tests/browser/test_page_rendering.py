"""The chat page in headless Chromium against the contract stand-in: streaming, every structured reply
field (emergency triage, escalation, appointment, payment with QR, report table, citations), choice
buttons, report upload, reconnecting with the same session, language and large-font modes."""

from __future__ import annotations

import struct
import zlib

import httpx
import numpy as np
import pytest
from browser_helpers import open_chat, send, wait_reply
from browser_standin import PAY_URL
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def tiny_png(width: int = 40, height: int = 30) -> bytes:
    """A real PNG (grey gradient) built with zlib, so the page can show its thumbnail."""
    rows = b"".join(b"\x00" + bytes((x * 6) % 256 for x in range(width)) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def standin_log(base: str) -> dict:
    return httpx.get(base + "/_standin/log").json()


def test_streamed_text_shows_before_the_final_reply(page: Page, standin_server: str) -> None:
    sockets = open_chat(page, standin_server)
    send(page, "慢慢说一段话")
    streaming = page.locator(".msg.assistant.streaming .text")
    # While the reply is still streaming, part of it is already on screen.
    expect(streaming).to_contain_text("收到", timeout=5000)
    final = wait_reply(page, 1)
    expect(final.locator(".text")).to_have_text("收到：慢慢说一段话。这是一条分几段流式发送的回复。")
    assert final.get_attribute("aria-busy") is None
    sent = [m for m in sockets.sent if "text" in m]
    assert sent[0] == {"text": "慢慢说一段话", "lang": "zh", "channel": "web"}
    assert [m["type"] for m in sockets.received][-1] == "reply"
    assert sum(m["type"] == "delta" for m in sockets.received) >= 3


def test_session_id_is_kept_and_sent_with_later_turns(page: Page, standin_server: str) -> None:
    sockets = open_chat(page, standin_server)
    send(page, "第一句")
    wait_reply(page, 1)
    sid = page.evaluate("() => sessionStorage.getItem('pa.session_id')")
    assert sid and sid.startswith("s-standin-")
    page.reload()
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    send(page, "第二句")
    wait_reply(page, 1)
    assert sockets.sent[-1]["session_id"] == sid


def test_unknown_session_starts_a_new_one(page: Page, standin_server: str) -> None:
    open_chat(page, standin_server)
    page.evaluate("() => sessionStorage.setItem('pa.session_id', 's-gone')")
    send(page, "你好")
    reply = wait_reply(page, 1)
    expect(reply.locator(".text")).to_contain_text("收到：你好")
    assert page.evaluate("() => sessionStorage.getItem('pa.session_id')") != "s-gone"


def test_reconnects_after_the_socket_drops(page: Page, standin_server: str) -> None:
    sockets = open_chat(page, standin_server)
    send(page, "你好")
    wait_reply(page, 1)
    sid = page.evaluate("() => sessionStorage.getItem('pa.session_id')")
    send(page, "请断开")
    failed = page.locator(".msg.assistant.failed")
    expect(failed).to_have_count(1)
    expect(failed.locator(".error-text")).to_have_text("连接中断，这条回复没有完成。")
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "open", timeout=15000)
    assert len(sockets.urls) >= 2
    send(page, "又连上了吗")
    wait_reply(page, 2)
    assert sockets.sent[-1]["session_id"] == sid


def test_emergency_triage_is_prominent_and_escalates(page: Page, standin_server: str) -> None:
    open_chat(page, standin_server)
    send(page, "我胸痛得厉害")
    reply = wait_reply(page, 1)
    badge = reply.locator(".triage-emergency")
    expect(badge).to_be_visible()
    expect(badge).to_have_attribute("role", "alert")
    expect(badge.locator(".badge")).to_have_text("紧急")
    expect(badge).to_contain_text("120")
    expect(badge.locator("a[href='tel:120']")).to_be_visible()
    expect(badge).to_contain_text("急诊科")  # department id shown by its name
    color = badge.locator(".badge").evaluate("e => getComputedStyle(e).backgroundColor")
    r, g, b = (int(x) for x in color[color.index("(") + 1 : -1].split(",")[:3])
    assert r > 150 and g < 60 and b < 60, color
    expect(reply.locator(".escalation")).to_contain_text("人工")
    expect(reply.locator(".escalation")).to_contain_text("esc-0001")


def test_staff_messages_pushed_on_the_socket_are_shown(page: Page, standin_server: str) -> None:
    open_chat(page, standin_server)
    send(page, "我想找护士")
    wait_reply(page, 1)
    staff = page.locator(".msg.staff")
    expect(staff.locator(".who")).to_have_text("人工客服")
    expect(staff.locator(".text")).to_have_text("您好，我是护士小李，请问哪里不舒服？")
    expect(page.locator(".system-note")).to_have_text("本次会话已结束。如需帮助，请发送新消息。")


def test_choice_buttons_send_the_choice(page: Page, standin_server: str) -> None:
    sockets = open_chat(page, standin_server)
    send(page, "给我几个选项")
    reply = wait_reply(page, 1)
    buttons = reply.locator("button.choice")
    expect(buttons).to_have_count(3)
    expect(buttons.nth(1)).to_contain_text("明天下午")
    buttons.nth(1).click()
    card = wait_reply(page, 2).locator(".appointment")
    assert sockets.sent[-1]["text"] == "2"  # the number, as a phone caller would say it
    expect(page.locator(".msg.user .text").last).to_have_text("明天下午")  # the patient sees what they chose
    expect(card).to_contain_text("预约成功")
    expect(card).to_contain_text("心血管内科")
    expect(card).to_contain_text("11月24日（周二）09:00")


def test_choices_field_makes_buttons_and_sends_their_value(page: Page, standin_server: str) -> None:
    sockets = open_chat(page, standin_server)
    send(page, "用choices字段")
    buttons = wait_reply(page, 1).locator("button.choice")
    expect(buttons).to_have_count(2)
    expect(buttons.nth(1)).to_contain_text("下午（13:30后）")
    buttons.nth(1).click()
    wait_reply(page, 2)
    assert sockets.sent[-1]["text"] == "下午"


def test_payment_card_shows_link_and_a_scannable_qr(page: Page, standin_server: str) -> None:
    cv2 = pytest.importorskip("cv2")
    open_chat(page, standin_server)
    send(page, "我要缴费")
    card = wait_reply(page, 1).locator(".payment")
    expect(card).to_contain_text("48.00 元")
    expect(card).to_contain_text("127.32 元")
    expect(card).to_contain_text("待支付")
    expect(card.locator("a.pay-link")).to_have_attribute("href", PAY_URL)
    png = card.locator("canvas.qr").screenshot()
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(img)
    assert text == PAY_URL


def test_citations_show_titles_and_expand_to_snippets(page: Page, standin_server: str) -> None:
    open_chat(page, standin_server)
    send(page, "门诊时间？看资料")
    cites = wait_reply(page, 1).locator(".citations")
    expect(cites.locator("summary")).to_have_text("门诊就医指南")
    snippet = cites.locator(".snippet")
    expect(snippet).to_be_hidden()
    cites.locator("summary").click()
    expect(snippet).to_be_visible()
    expect(snippet).to_contain_text("13:30-17:00")


def test_upload_button_posts_the_file_and_shows_the_items(page: Page, standin_server: str) -> None:
    open_chat(page, standin_server)
    send(page, "你好")
    wait_reply(page, 1)
    sid = page.evaluate("() => sessionStorage.getItem('pa.session_id')")
    photo = tiny_png()
    page.locator("#file-input").set_input_files(
        {"name": "血常规.png", "mimeType": "image/png", "buffer": photo}
    )
    reply = wait_reply(page, 2)
    expect(reply.locator(".text")).to_contain_text("血常规.png")
    rows = reply.locator(".report tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_have_class("flag-critical_high")
    expect(rows.nth(1)).to_contain_text("危急值")
    expect(page.locator(".msg.user .thumb")).to_have_count(1)
    upload = standin_log(standin_server)["uploads"][-1]
    assert upload == {
        "filename": "血常规.png",
        "size": len(photo),
        "content_type": "image/png",
        "session_id": sid,
        "lang": "zh",
    }


def test_language_switch_changes_every_ui_string(page: Page, standin_server: str) -> None:
    sockets = open_chat(page, standin_server)
    expect(page.locator("#app-title")).to_have_text("智能导诊助手")
    assert page.evaluate("() => document.documentElement.lang") == "zh-CN"
    zh_texts = page.locator("[data-i18n]").all_inner_texts()
    page.locator("#lang-toggle").click()
    expect(page.locator("#app-title")).to_have_text("Patient Assistant")
    expect(page.locator("#message-input")).to_have_attribute("placeholder", "Type your question…")
    expect(page.locator("#send-btn")).to_have_text("Send")
    expect(page.locator("#lang-toggle")).to_have_text("中文")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    en_texts = page.locator("[data-i18n]").all_inner_texts()
    # No visible UI string is left in Chinese (the language button says 中文 on purpose).
    leftover = [s for s in en_texts if any("\u4e00" <= ch <= "\u9fff" for ch in s) and s != "中文"]
    assert not leftover, leftover
    assert en_texts != zh_texts
    send(page, "I need to pay")
    card = wait_reply(page, 1).locator(".payment")
    expect(card).to_contain_text("You pay (cash)")
    assert sockets.sent[-1]["lang"] == "en"
    page.reload()
    expect(page.locator("#app-title")).to_have_text("Patient Assistant")  # remembered
    page.locator("#lang-toggle").click()
    expect(page.locator("#app-title")).to_have_text("智能导诊助手")


def test_large_font_mode_grows_text_and_is_remembered(page: Page, standin_server: str) -> None:
    open_chat(page, standin_server)
    send(page, "你好")
    text = wait_reply(page, 1).locator(".text")

    def size() -> float:
        return float(text.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))

    normal = size()
    toggle = page.locator("#font-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    large = size()
    assert large >= normal * 1.2, (normal, large)
    page.reload()
    expect(page.locator("#font-toggle")).to_have_attribute("aria-pressed", "true")
    body = float(page.locator("#message-input").evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert body >= 20
    page.locator("#font-toggle").click()


def test_too_long_message_is_refused_before_sending(page: Page, standin_server: str) -> None:
    sockets = open_chat(page, standin_server)
    page.evaluate("() => window.__pa.sendText('长'.repeat(2001))")
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#notice")).to_contain_text("2000")
    assert not [m for m in sockets.sent if "text" in m]


def test_accessibility_basics(page: Page, standin_server: str) -> None:
    open_chat(page, standin_server)
    log = page.locator("#log")
    expect(log).to_have_attribute("role", "log")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(page.get_by_label("输入您的问题")).to_be_visible()
    for sel in ["#send-btn", "#mic-btn", "#lang-toggle", "#font-toggle", "#new-chat"]:
        name = page.locator(sel).get_attribute("aria-label")
        assert name, sel
    # Keyboard: the text box takes focus and Enter sends.
    page.keyboard.press("Tab")
    page.locator("#message-input").focus()
    page.keyboard.type("你好")
    page.keyboard.press("Enter")
    wait_reply(page, 1)
