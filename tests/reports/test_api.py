"""POST /api/v1/reports/upload on the whole app (lifespan included), through real HTTP (ASGI): the
reading becomes a turn of the patient's conversation."""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from assistant.clock import FixedClock

sys.path.insert(0, str(Path(__file__).parent))
from pdfgen import make_pdf  # noqa: E402
from render import render_photo  # noqa: E402
from scoring import CASES  # noqa: E402

URL = "/api/v1/reports/upload"


@pytest.fixture
async def app(settings):
    from assistant.app import create_app

    app = create_app(settings, clock=FixedClock(datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai"))))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


@pytest.mark.unit
async def test_text_upload(client) -> None:
    text = "钾 K 6.8 mmol/L 3.5-5.3\n血红蛋白 HGB 135 g/L 130-175"
    chat = await client.post("/api/v1/chat", json={"text": "你好"})
    session_id = chat.json()["session_id"]
    r = await client.post(URL, files={"file": ("report.txt", text.encode(), "text/plain")},
                          data={"session_id": session_id, "lang": "zh", "sex": "M", "age": "50"})
    assert r.status_code == 200
    body = r.json()
    assert body["session_id"] == session_id and body["intent"] == "report"
    assert {i["code"]: i["flag"] for i in body["report"]["items"]} == {"K": "critical_high", "HGB": "normal"}
    assert body["escalated"] is True and body["escalation_id"]  # a critical value alerts staff
    assert "急诊" in body["reply"]
    assert any(c["doc_id"] == "exam_preparation" for c in body["citations"])


@pytest.mark.unit
async def test_fhir_and_pdf_uploads(client) -> None:
    raw = (CASES / "fhir" / "fhir-01-bundle-cbc.json").read_bytes()
    r = await client.post(URL, files={"file": ("r.json", raw, "application/fhir+json")})
    assert r.status_code == 200 and r.json()["source"] == "fhir"
    assert {"WBC", "HGB", "PLT", "MCV"} == {i["code"] for i in r.json()["report"]["items"]}
    pdf = make_pdf([["项目", "缩写", "结果", "单位", "参考范围"], ["谷丙转氨酶", "ALT", "88 ↑", "U/L", "9-50"]])
    r = await client.post(URL, files={"file": ("r.pdf", pdf, "application/pdf")}, data={"lang": "en", "sex": "F"})
    body = r.json()
    assert r.status_code == 200 and body["source"] == "pdf"
    assert body["report"]["items"][0]["flag"] == "high"
    assert "not a diagnosis" in body["reply"]


@pytest.mark.slow
@pytest.mark.integration
async def test_photo_upload(client) -> None:
    spec = {"rows": [["项目", "结果", "单位", "参考范围"], ["血小板计数 PLT", "15 ↓", "10^9/L", "125-350"]],
            "aug": {"rotate": 2, "quality": 50}}
    r = await client.post(URL, files={"file": ("photo.jpg", render_photo(spec), "image/jpeg")})
    body = r.json()
    assert r.status_code == 200 and body["source"] == "image"
    assert body["report"]["items"][0]["code"] == "PLT" and body["report"]["items"][0]["flag"] == "critical_low"
    assert body["escalated"] is True


@pytest.mark.unit
async def test_refuses_20_mb(client) -> None:
    r = await client.post(URL, files={"file": ("big.jpg", b"\xff\xd8\xff" + b"\0" * (20 * 1024 * 1024), "image/jpeg")})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "file_too_large"


@pytest.mark.unit
async def test_refuses_fake_image_and_binary(client) -> None:
    r = await client.post(URL, files={"file": ("photo.png", b"<html>not a picture</html>", "image/png")})
    assert r.status_code == 415
    assert r.json()["error"] == {"code": "not_an_image", "message": r.json()["error"]["message"]}
    assert "不是图片" in r.json()["error"]["message"]
    r = await client.post(URL, files={"file": ("x.bin", bytes(range(256)) * 20, "application/octet-stream")})
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_type"
    r = await client.post(URL, files={"file": ("x.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "image/png")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unreadable_image"


@pytest.mark.unit
async def test_missing_file_and_bad_body(client) -> None:
    r = await client.post(URL, data={"session_id": "s"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "missing_file"
    r = await client.post(URL, content=b"{}", headers={"content-type": "application/json"})
    assert r.status_code in (400, 422) and "error" in r.json()


@pytest.mark.unit
async def test_text_without_results_asks_to_retype(client) -> None:
    r = await client.post(URL, files={"file": ("note.txt", "医生您好，附件是我的报告".encode(), "text/plain")})
    assert r.status_code == 200
    body = r.json()
    assert not (body["report"] or {}).get("items") and re.search("粘贴|上传|重新", body["reply"])
    assert json.dumps(body, ensure_ascii=False)  # serialisable
