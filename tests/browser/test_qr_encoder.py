"""The page's own QR encoder (web/chat/qr.js), run in Chromium and read back with OpenCV's detector,
for payment links of many lengths and scripts (versions 1 to 20, with and without version blocks)."""

from __future__ import annotations

import numpy as np
import pytest
from browser_helpers import open_chat
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

TEXTS = [
    "weixin://wxpay/bizpayurl?pr=AbC123",
    "https://pay.example/ord-0001?amount=48.00&sign=0123456789abcdef",
    "http://127.0.0.1:8000/pay/ord-20261123-000042",
    "缴费订单 ord-88：金额 48.00 元",
    "A",
    "x" * 120,
    "weixin://wxpay/bizpayurl?pr=" + "Z9" * 90,
    "https://example.invalid/" + "q" * 300,
]


def _decode(modules: list[list[bool]]) -> str:
    cv2 = pytest.importorskip("cv2")
    grid = np.array(modules, dtype=bool)
    img = np.where(grid, 0, 255).astype(np.uint8)
    img = np.pad(img, 4, constant_values=255)
    img = cv2.resize(img, None, fx=8, fy=8, interpolation=cv2.INTER_NEAREST)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(img)
    return text


def test_encoded_codes_decode_back_to_the_text(page: Page, standin_server: str) -> None:
    open_chat(page, standin_server)
    codes = page.evaluate(
        "async (texts) => { const m = await import('./static/chat/qr.js');"
        " return texts.map((t) => { const q = m.encode(t); return {v: q.version, size: q.size, modules: q.modules}; }); }",
        TEXTS,
    )
    versions = []
    for text, code in zip(TEXTS, codes, strict=True):
        assert code["size"] == code["v"] * 4 + 17 == len(code["modules"])
        assert _decode(code["modules"]) == text, (text, code["v"])
        versions.append(code["v"])
    assert min(versions) == 1 and max(versions) >= 10  # version-information blocks from 7 up


def test_too_long_text_is_refused(page: Page, standin_server: str) -> None:
    open_chat(page, standin_server)
    message = page.evaluate(
        "async () => { const m = await import('./static/chat/qr.js');"
        " try { m.encode('x'.repeat(3000)); return 'no error'; } catch (e) { return e.name; } }"
    )
    assert message == "RangeError"
