"""``WS /api/v1/staff/live`` on the real server: refusal with 4401, new escalations pushed as they
open, updates when someone takes over, and the open conversation's new turns (masked)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
import websockets
from staff_helpers import ADMIN, NURSE

from assistant.staff.auth import TokenSigner

pytestmark = pytest.mark.integration


async def _next(ws, kind: str, timeout: float = 20) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), max(0.1, deadline - loop.time())))
        if msg.get("type") == kind:
            return msg


async def _closed_code(url: str, first: str | None = None) -> int:
    async with websockets.connect(url) as ws:
        if first is not None:
            await ws.send(first)
        with pytest.raises(websockets.ConnectionClosed) as info:
            await asyncio.wait_for(ws.recv(), 20)
    return info.value.rcvd.code


async def test_bad_tokens_are_closed_with_4401(staff_server):
    srv = staff_server
    live = srv.ws + "/api/v1/staff/live"
    secret = (Path(srv.settings.data_dir) / ".secret_key").read_bytes().strip()
    expired, _ = TokenSigner(secret, 60).issue(NURSE[0], "nurse", now=time.time() - 7200)
    assert await _closed_code(live + "?token=forged.token") == 4401
    assert await _closed_code(live + f"?token={expired}") == 4401
    assert await _closed_code(live, json.dumps({"type": "auth", "token": "nope"})) == 4401
    assert await _closed_code(live, "not json at all") == 4401


async def test_first_message_authentication_works_too(staff_server):
    async with websockets.connect(staff_server.ws + "/api/v1/staff/live") as ws:
        await ws.send(json.dumps({"type": "auth", "token": staff_server.token(NURSE)}))
        hello = await _next(ws, "hello")
        assert hello["username"] == NURSE[0] and hello["role"] == "nurse"
        await ws.send(json.dumps({"type": "ping"}))
        await _next(ws, "pong")


async def test_live_queue_and_the_open_conversation(staff_server):
    srv = staff_server
    nurse = srv.login(NURSE)
    admin = srv.login(ADMIN)
    async with (
        websockets.connect(srv.ws + f"/api/v1/staff/live?token={srv.token(NURSE)}") as ws,
        websockets.connect(srv.ws + f"/api/v1/staff/live?token={srv.token(ADMIN)}") as other,
        httpx.AsyncClient(base_url=srv.base, timeout=60) as c,
    ):
        await _next(ws, "hello")
        await _next(other, "hello")
        reply = (await c.post("/api/v1/chat", json={"text": "转人工，电话13812345678"})).json()
        sid, eid = reply["session_id"], reply["escalation_id"]
        pushed = await _next(ws, "escalation")
        entry = pushed["escalation"]
        assert entry["escalation_id"] == eid and entry["reason"] == "patient_request" and entry["status"] == "open"
        assert entry["session_id"] == sid and "13812345678" not in json.dumps(pushed)
        assert (await _next(other, "escalation"))["escalation"]["escalation_id"] == eid

        # watching needs the audited opening first
        await ws.send(json.dumps({"type": "watch", "session_id": sid}))
        assert (await _next(ws, "error"))["error"]["code"] == "open_first"
        view = (await c.get(f"/api/v1/staff/conversations/{sid}", params={"reason": "处理升级"}, headers=nurse)).json()
        last = view["turns"][-1]["seq"]
        await ws.send(json.dumps({"type": "watch", "session_id": sid, "after_seq": last}))
        await _next(ws, "watching")

        # a takeover reaches every console as an update
        assert (await c.post(f"/api/v1/staff/escalations/{eid}/takeover", headers=nurse)).status_code == 200
        update = await _next(other, "escalation_update")
        assert update["escalation"]["taken_over_by"] == NURSE[0] and update["escalation"]["status"] == "taken_over"

        # the patient's new words arrive as a masked turn with its sequence number
        await c.post("/api/v1/chat", json={"text": "我换了个号 13900001111", "session_id": sid})
        turn = await _next(ws, "turn")
        assert turn["session_id"] == sid and turn["turn"]["role"] == "patient" and turn["turn"]["seq"] == last + 1
        assert "139****1111" in turn["turn"]["text"] and "13900001111" not in json.dumps(turn)
        await c.post(f"/api/v1/staff/escalations/{eid}/message", json={"text": "收到"}, headers=nurse)
        mine = await _next(ws, "turn")
        assert mine["turn"]["role"] == "staff" and mine["turn"]["from"] == NURSE[0]
        await c.post(f"/api/v1/staff/escalations/{eid}/close", json={"disposition": "handled"}, headers=nurse)
        event = await _next(ws, "session_event")
        assert event["event"]["type"] == "closed"

        # deactivating an account ends its live feed at the next connection
        await c.post("/api/v1/staff/users", headers=admin,
                     json={"username": "live.temp", "password": "live-password", "role": "nurse"})
        temp_token = srv.token(("live.temp", "live-password"))
        await c.post("/api/v1/staff/users/live.temp/deactivate", headers=admin)
    assert await _closed_code(srv.ws + f"/api/v1/staff/live?token={temp_token}") == 4401


async def test_junk_frames_get_a_clear_error_and_the_feed_goes_on(staff_server):
    async with websockets.connect(staff_server.ws + f"/api/v1/staff/live?token={staff_server.token(NURSE)}") as ws:
        await _next(ws, "hello")
        for junk in (b"\x00\x01", "not json", "[1, 2]"):
            await ws.send(junk)
            assert (await _next(ws, "error"))["error"]["code"] == "invalid_json"
        await ws.send(json.dumps({"type": "dance"}))
        assert (await _next(ws, "error"))["error"]["code"] == "unknown_type"
        await ws.send(json.dumps({"type": "ping"}))
        await _next(ws, "pong")
