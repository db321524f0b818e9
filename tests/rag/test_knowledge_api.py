"""Staff knowledge endpoints on a tiny app: bearer token (fail closed), upload, list, query, delete."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from assistant.api.knowledge import router
from assistant.clock import Clock
from assistant.config import Settings
from assistant.hospital import HospitalData
from assistant.services.container import Services
from rag.knowledge import KnowledgeBase

pytestmark = pytest.mark.integration


def make_app(settings: Settings, hospital: HospitalData, kb: KnowledgeBase | None) -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    app.state.services = Services(settings=settings, hospital=hospital, clock=Clock(), kb=kb)
    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_fails_closed_without_a_configured_token(fresh_settings: Settings, hospital: HospitalData) -> None:
    app = make_app(fresh_settings, hospital, KnowledgeBase(fresh_settings))
    async with client(app) as c:
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer anything"}):
            r = await c.get("/api/v1/knowledge/documents", headers=headers)
            assert r.status_code == 401
            assert r.json()["error"]["code"] == "unauthorized"
        r = await c.post("/api/v1/knowledge/query", json={"question": "周六有门诊吗"})
        assert r.status_code == 401


async def test_staff_manage_documents(tmp_path: Path, hospital: HospitalData) -> None:
    settings = Settings(data_dir=tmp_path / "data", environment="test", staff_token="s3cret-token", llm_enabled=False)
    kb = KnowledgeBase(settings)
    auth = {"Authorization": "Bearer s3cret-token"}
    async with client(make_app(settings, hospital, kb)) as c:
        r = await c.get("/api/v1/knowledge/documents", headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"

        md = "---\nid: shuttle_notice\ntitle: 接驳车临时调整\n---\n# 接驳车\n\n11月起接驳车周日增开一班,10:00从本部西门发车。\n"
        r = await c.post("/api/v1/knowledge/documents", headers=auth,
                         files={"files": ("shuttle.md", md.encode(), "text/markdown")})
        assert r.status_code == 201, r.text
        assert r.json()["documents"] == ["shuttle_notice"] and r.json()["chunks"] == 1

        r = await c.post("/api/v1/knowledge/documents", headers=auth,
                         files={"files": ("virus.exe", b"MZ", "application/octet-stream")})
        assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"

        r = await c.get("/api/v1/knowledge/documents", headers=auth)
        assert [d["doc_id"] for d in r.json()["documents"]] == ["shuttle_notice"]

        r = await c.post("/api/v1/knowledge/query", headers=auth, json={"question": "周日接驳车几点从西门发车", "k": 3})
        body = r.json()
        assert r.status_code == 200
        assert body["hits"][0]["doc_id"] == "shuttle_notice"
        assert body["answer"]["abstained"] is False and "10:00" in body["answer"]["text"]
        assert body["answer"]["citations"][0]["doc_id"] == "shuttle_notice"

        r = await c.post("/api/v1/knowledge/query", headers=auth, json={"question": ""})
        assert r.status_code == 422 and "error" in r.json()

        assert (await c.delete("/api/v1/knowledge/documents/shuttle_notice", headers=auth)).status_code == 200
        r = await c.delete("/api/v1/knowledge/documents/shuttle_notice", headers=auth)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def test_unavailable_knowledge_base_is_a_json_error(tmp_path: Path, hospital: HospitalData) -> None:
    settings = Settings(data_dir=tmp_path / "data", environment="test", staff_token="t0ken")
    async with client(make_app(settings, hospital, None)) as c:
        r = await c.get("/api/v1/knowledge/documents", headers={"Authorization": "Bearer t0ken"})
        assert r.status_code == 503 and r.json()["error"]["code"] == "knowledge_unavailable"
