"""The HTTP and WebSocket contract (../shared/CONTRACT.md) driven with real clients over a real socket."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx
import pytest
import websockets

from assistant.config import Settings
from tests.server import running_server

pytestmark = pytest.mark.integration

ADMIN = ("nurse-admin", "correct horse battery")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("contract")
    settings = Settings(
        data_dir=data, environment="test", llm_enabled=False, admin_user=ADMIN[0], admin_password=ADMIN[1]
    )
    with running_server(settings) as base:
        yield base


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server, timeout=30) as c:
        yield c


def ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://") + path


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    deadline = time.monotonic() + 300
    while (r := client.get("/readyz")).status_code == 503 and time.monotonic() < deadline:
        body = r.json()
        assert body["status"] == "not_ready" and body["not_ready"], body  # names what is not usable yet
        time.sleep(0.5)
    assert r.status_code == 200, r.text
    components = r.json()["components"]
    assert components["store"] is True and components["index"] is True and components["bus"] is True
    assert components["llm"] == "disabled"  # this test server runs without the LLM


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/chat" in paths and "/api/v1/staff/login" in paths


def test_chat_turn_has_every_contract_field(client):
    r = client.post("/api/v1/chat", json={"text": "你好"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {
        "session_id", "reply", "intent", "triage", "citations", "report", "appointment", "payment",
        "escalated", "escalation_id",
    }
    assert body["session_id"].startswith("s-")
    assert body["intent"] == "greeting" and "小滨" in body["reply"]
    assert body["escalated"] is False and body["escalation_id"] is None and body["citations"] == []


def test_english_is_detected_and_answered_in_english(client):
    body = client.post("/api/v1/chat", json={"text": "hello there"}).json()
    assert body["intent"] == "greeting"
    assert "Hello" in body["reply"]


def test_session_continues_and_unknown_session_is_an_error(client):
    first = client.post("/api/v1/chat", json={"text": "你好"}).json()
    again = client.post("/api/v1/chat", json={"text": "你好", "session_id": first["session_id"]})
    assert again.status_code == 200 and again.json()["session_id"] == first["session_id"]
    r = client.post("/api/v1/chat", json={"text": "你好", "session_id": "s-does-not-exist"})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "unknown_session"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"text": ""}, 422, "empty_message"),
        ({"text": "   "}, 422, "empty_message"),
        ({"text": "痛" * 2001}, 413, "message_too_long"),
        ({"txt": "hi"}, 422, "invalid_request"),
        ({"text": "hi", "lang": "fr"}, 422, "invalid_request"),
    ],
)
def test_bad_input_gets_a_json_error(client, payload, status, code):
    r = client.post("/api/v1/chat", json=payload)
    assert r.status_code == status
    assert r.json()["error"]["code"] == code
    assert "Traceback" not in r.text


def test_invalid_json_body(client):
    r = client.post("/api/v1/chat", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_json"


def test_unknown_route_is_json(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_human_handoff_opens_an_escalation_staff_can_see(client):
    body = client.post("/api/v1/chat", json={"text": "转人工"}).json()
    assert body["intent"] == "human" and body["escalated"] is True
    assert body["escalation_id"].startswith("esc-")
    assert client.get("/api/v1/staff/escalations").status_code == 401
    bad = client.get("/api/v1/staff/escalations", headers={"Authorization": "Bearer forged.token"})
    assert bad.status_code == 401
    token = client.post("/api/v1/staff/login", json={"username": ADMIN[0], "password": ADMIN[1]}).json()["access_token"]
    queue = client.get("/api/v1/staff/escalations", headers={"Authorization": f"Bearer {token}"}).json()["escalations"]
    assert queue[0]["escalation_id"] == body["escalation_id"]
    assert queue[0]["reason"] == "patient_request" and queue[0]["session_id"] == body["session_id"]


def test_wrong_password_is_refused(client):
    r = client.post("/api/v1/staff/login", json={"username": ADMIN[0], "password": "nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"


def test_out_of_scope_is_refused_politely(client):
    body = client.post("/api/v1/chat", json={"text": "帮我写一篇关于秋天的作文"}).json()
    assert body["intent"] == "out_of_scope"
    assert "帮您" in body["reply"] or "可以" in body["reply"]


async def test_websocket_streams_deltas_then_the_reply(server):
    async with websockets.connect(ws_url(server, "/ws/chat")) as ws:
        await ws.send(json.dumps({"text": "你好"}))
        deltas = []
        while True:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if msg["type"] == "delta":
                deltas.append(msg["text"])
            else:
                break
        assert msg["type"] == "reply"
        assert len(deltas) > 1 and "".join(deltas) == msg["reply"]
        assert msg["intent"] == "greeting"
        # the same socket continues the conversation
        await ws.send(json.dumps({"text": "转人工", "session_id": msg["session_id"]}))
        while (m := json.loads(await ws.recv()))["type"] == "delta":
            pass
        assert m["type"] == "reply" and m["session_id"] == msg["session_id"] and m["escalated"] is True


async def test_websocket_survives_junk(server):
    async with websockets.connect(ws_url(server, "/ws/chat")) as ws:
        await ws.send(b"\x00\xff\x13binary junk")
        err = json.loads(await ws.recv())
        assert err["type"] == "error" and err["error"]["code"] == "binary_not_supported"
        await ws.send("{this is not json")
        err = json.loads(await ws.recv())
        assert err["type"] == "error" and err["error"]["code"] == "invalid_json"
        await ws.send(json.dumps({"text": ""}))
        err = json.loads(await ws.recv())
        assert err["error"]["code"] == "empty_message"
        await ws.send(json.dumps({"text": "你好", "session_id": "s-unknown"}))
        err = json.loads(await ws.recv())
        assert err["error"]["code"] == "unknown_session"
        await ws.send(json.dumps({"text": "你好"}))
        while (m := json.loads(await ws.recv()))["type"] == "delta":
            pass
        assert m["type"] == "reply"


async def test_client_disconnecting_mid_reply_loses_no_turn(server):
    async with websockets.connect(ws_url(server, "/ws/chat")) as ws:
        await ws.send(json.dumps({"text": "你好"}))
        first = json.loads(await ws.recv())
        assert first["type"] == "delta"
    # the socket is gone mid-stream; the server still serves others, and the turn was stored
    async with httpx.AsyncClient(base_url=server) as c:
        r = await c.post("/api/v1/chat", json={"text": "转人工"})
        assert r.status_code == 200
        token = (await c.post("/api/v1/staff/login", json={"username": ADMIN[0], "password": ADMIN[1]})).json()["access_token"]
        r = await c.get("/api/v1/staff/escalations", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200


async def test_concurrent_sessions_are_all_served(server):
    async with httpx.AsyncClient(base_url=server, timeout=60) as c:
        replies = await asyncio.gather(*(c.post("/api/v1/chat", json={"text": "你好"}) for _ in range(20)))
    assert all(r.status_code == 200 for r in replies)
    assert len({r.json()["session_id"] for r in replies}) == 20


def test_patient_numbers_never_reach_info_logs(tmp_path, caplog):
    from assistant.logging import JsonFormatter

    record = logging.LogRecord("t", logging.INFO, __file__, 1, "patient 110101199003077777 phone 13812345678", (), None)
    record.pii = {"text": "我的电话13812345678", "id_number": "110101199003077777"}
    line = JsonFormatter().format(record)
    assert "13812345678" not in line and "110101199003077777" not in line
    assert "138****5678" in line


async def test_resume_reattaches_without_a_turn_and_refuses_bad_ids(server):
    async with websockets.connect(ws_url(server, "/ws/chat")) as ws:
        await ws.send(json.dumps({"text": "你好"}))
        while (m := json.loads(await ws.recv()))["type"] == "delta":
            pass
        sid = m["session_id"]
    async with websockets.connect(ws_url(server, "/ws/chat")) as ws:
        await ws.send(json.dumps({"type": "resume", "session_id": sid}))
        assert json.loads(await ws.recv()) == {"type": "resumed", "session_id": sid}
        for bad in ({"type": "resume"}, {"type": "resume", "session_id": ""}, {"type": "resume", "session_id": 42}):
            await ws.send(json.dumps(bad))
            assert json.loads(await ws.recv())["error"]["code"] == "invalid_request"
        await ws.send(json.dumps({"type": "resume", "session_id": "s-nobody"}))
        assert json.loads(await ws.recv())["error"]["code"] == "unknown_session"


def test_a_turn_with_numbers_logs_none_of_them(client, caplog):
    from assistant.logging import JsonFormatter

    with caplog.at_level(logging.DEBUG):
        r = client.post("/api/v1/chat", json={"text": "我的电话13812345678，身份证110101199003077774，帮我挂号"})
    assert r.status_code == 200
    formatted = [JsonFormatter().format(rec) for rec in caplog.records if rec.levelno >= logging.INFO]
    assert any('"msg": "turn"' in line for line in formatted)  # the turn was logged...
    for line in formatted:  # ...without the patient's numbers or words
        assert "13812345678" not in line and "110101199003077774" not in line and "帮我挂号" not in line
    assert "13812345678" not in r.json()["reply"]
