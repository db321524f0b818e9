"""The staff API over a real socket: every endpoint's refusal without the right role or token, staff
accounts, the queue's order, audited opening and reveal, and the takeover round trip with the
patient's chat socket (staff words reach the patient, the assistant stays quiet, nothing is lost)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
import websockets
from staff_helpers import ADMIN, DOCTOR, NURSE, audit_rows

from assistant.staff.auth import TokenSigner
from assistant.store.db import Database
from assistant.store.models import Turn

pytestmark = pytest.mark.integration

PHONE = "13812345678"
ID_NO = "110101199003077777"

CLINICAL_ROUTES = [
    ("GET", "/api/v1/staff/me"),
    ("POST", "/api/v1/staff/me/password"),
    ("GET", "/api/v1/staff/escalations"),
    ("GET", "/api/v1/staff/escalations/esc-none"),
    ("GET", "/api/v1/staff/dispositions"),
    ("GET", "/api/v1/staff/conversations/s-none?reason=check"),
    ("POST", "/api/v1/staff/conversations/s-none/reveal"),
    ("POST", "/api/v1/staff/escalations/esc-none/assign"),
    ("POST", "/api/v1/staff/escalations/esc-none/takeover"),
    ("POST", "/api/v1/staff/escalations/esc-none/message"),
    ("POST", "/api/v1/staff/escalations/esc-none/handback"),
    ("POST", "/api/v1/staff/escalations/esc-none/close"),
]
ADMIN_ROUTES = [
    ("GET", "/api/v1/staff/users"),
    ("POST", "/api/v1/staff/users"),
    ("POST", "/api/v1/staff/users/nurse1/deactivate"),
    ("POST", "/api/v1/staff/users/nurse1/activate"),
    ("POST", "/api/v1/staff/users/nurse1/password"),
    ("GET", "/api/v1/staff/export/eval-cases"),
]


def _signer(srv) -> TokenSigner:
    secret = (Path(srv.settings.data_dir) / ".secret_key").read_bytes().strip()
    return TokenSigner(secret, ttl_minutes=60)


def _call(srv, method: str, path: str, headers: dict[str, str] | None = None, json_body: object = None) -> httpx.Response:
    return httpx.request(method, srv.base + path, headers=headers or {}, json=json_body, timeout=30)


@pytest.mark.parametrize(("method", "path"), CLINICAL_ROUTES + ADMIN_ROUTES)
def test_every_staff_route_refuses_missing_forged_expired_and_tampered_tokens(staff_server, method, path):
    srv = staff_server
    nurse_token = srv.token(NURSE)
    claims, sig = nurse_token.split(".")
    tampered_claims = json.loads(__import__("base64").urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    tampered_claims["role"] = "admin"
    import base64

    tampered = base64.urlsafe_b64encode(json.dumps(tampered_claims).encode()).rstrip(b"=").decode() + "." + sig
    expired, _ = _signer(srv).issue(ADMIN[0], "admin", now=time.time() - 2 * 3600)
    other_secret, _ = TokenSigner(b"not-the-server-secret", 60).issue(ADMIN[0], "admin")
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic Y2hpZWY6eA=="},
        {"Authorization": "Bearer forged.token"},
        {"Authorization": f"Bearer {tampered}"},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": f"Bearer {other_secret}"},
    ):
        r = _call(srv, method, path, headers)
        assert r.status_code == 401, (headers, r.text)
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.headers.get("www-authenticate") == "Bearer"


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
@pytest.mark.parametrize("user", [NURSE, DOCTOR], ids=["nurse", "doctor"])
def test_admin_routes_refuse_nurses_and_doctors(staff_server, method, path, user):
    r = _call(staff_server, method, path, staff_server.login(user), {})
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("method", "path"), CLINICAL_ROUTES)
@pytest.mark.parametrize("user", [NURSE, DOCTOR, ADMIN], ids=["nurse", "doctor", "admin"])
def test_queue_routes_admit_every_staff_role(staff_server, method, path, user):
    r = _call(staff_server, method, path, staff_server.login(user), {})
    assert r.status_code not in (401, 403), r.text
    assert "error" in r.json() or r.status_code == 200


def test_accounts_created_deactivated_reset_and_refused_cleanly(staff_server):
    srv = staff_server
    admin = srv.login(ADMIN)
    users = _call(srv, "GET", "/api/v1/staff/users", admin).json()
    assert {u["username"]: u["role"] for u in users["users"]}.items() >= {"chief": "admin", "nurse1": "nurse", "doctor1": "doctor"}.items()
    assert all("password" not in json.dumps(u) for u in users["users"])
    body = {"username": "temp.nurse", "password": "temp-password-1", "role": "nurse", "display_name": "临时"}
    assert _call(srv, "POST", "/api/v1/staff/users", admin, body).status_code == 201
    dup = _call(srv, "POST", "/api/v1/staff/users", admin, body)
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "already_exists"
    bad_role = _call(srv, "POST", "/api/v1/staff/users", admin, {**body, "username": "x2", "role": "janitor"})
    assert bad_role.status_code == 422
    short = _call(srv, "POST", "/api/v1/staff/users", admin, {**body, "username": "x3", "password": "short"})
    assert short.status_code == 422 and "8 characters" in short.json()["error"]["message"]

    temp = srv.login(("temp.nurse", "temp-password-1"))
    assert _call(srv, "GET", "/api/v1/staff/escalations", temp).status_code == 200
    assert _call(srv, "POST", "/api/v1/staff/users/temp.nurse/deactivate", admin).json()["active"] is False
    # the old token stops working at once, and so does the password
    r = _call(srv, "GET", "/api/v1/staff/escalations", temp)
    assert r.status_code == 401 and "deactivated" in r.json()["error"]["message"]
    assert _call(srv, "POST", "/api/v1/staff/login", None, {"username": "temp.nurse", "password": "temp-password-1"}).status_code == 401
    assert _call(srv, "POST", "/api/v1/staff/users/temp.nurse/activate", admin).json()["active"] is True
    assert _call(srv, "POST", "/api/v1/staff/users/temp.nurse/password", admin, {"password": "new-password-22"}).status_code == 200
    assert _call(srv, "POST", "/api/v1/staff/login", None, {"username": "temp.nurse", "password": "temp-password-1"}).status_code == 401
    srv.login(("temp.nurse", "new-password-22"))
    assert _call(srv, "POST", "/api/v1/staff/users/ghost/deactivate", admin).status_code == 404
    me = _call(srv, "POST", "/api/v1/staff/users/chief/deactivate", admin)
    assert me.status_code == 409 and "own account" in me.json()["error"]["message"]


def test_own_password_change_needs_the_old_one(staff_server):
    srv = staff_server
    admin = srv.login(ADMIN)
    _call(srv, "POST", "/api/v1/staff/users", admin, {"username": "pw.doc", "password": "first-password", "role": "doctor"})
    h = srv.login(("pw.doc", "first-password"))
    wrong = _call(srv, "POST", "/api/v1/staff/me/password", h, {"old_password": "nope", "new_password": "second-password"})
    assert wrong.status_code == 403
    ok = _call(srv, "POST", "/api/v1/staff/me/password", h, {"old_password": "first-password", "new_password": "second-password"})
    assert ok.status_code == 200
    srv.login(("pw.doc", "second-password"))


def test_lockout_after_five_wrong_passwords(staff_server):
    srv = staff_server
    admin = srv.login(ADMIN)
    _call(srv, "POST", "/api/v1/staff/users", admin, {"username": "lock.me", "password": "right-password", "role": "nurse"})
    for _ in range(5):
        r = _call(srv, "POST", "/api/v1/staff/login", None, {"username": "lock.me", "password": "wrong-password"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"
    r = _call(srv, "POST", "/api/v1/staff/login", None, {"username": "lock.me", "password": "right-password"})
    assert r.status_code == 423 and r.json()["error"]["code"] == "account_locked"
    # an administrator's reset unlocks the account
    _call(srv, "POST", "/api/v1/staff/users/lock.me/password", admin, {"password": "fresh-password"})
    srv.login(("lock.me", "fresh-password"))


def _chat(srv, text: str, session_id: str | None = None) -> dict:
    body = {"text": text, **({"session_id": session_id} if session_id else {})}
    r = httpx.post(srv.base + "/api/v1/chat", json=body, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def test_queue_is_newest_first_by_default_and_most_urgent_first_on_request(staff_server):
    srv = staff_server
    h = srv.login(NURSE)
    first = _chat(srv, "转人工")
    second = _chat(srv, "我爸说话突然不清楚了，嘴有点歪")
    assert first["escalated"] and second["escalated"], second
    newest = _call(srv, "GET", "/api/v1/staff/escalations", h).json()["escalations"]
    assert newest[0]["escalation_id"] == second["escalation_id"]
    urgent = _call(srv, "GET", "/api/v1/staff/escalations?order=urgency&status=active", h).json()["escalations"]
    priorities = [e["priority"] for e in urgent]
    assert priorities == sorted(priorities)
    assert urgent[0]["priority"] == 1 and urgent[0]["reason"] == "red_flag"
    entry = next(e for e in urgent if e["escalation_id"] == first["escalation_id"])
    assert entry["reason"] == "patient_request" and entry["reason_label"]["zh"] == "患者要求人工"
    assert entry["channel"] == "web" and entry["target_minutes"] == 30 and entry["waited_seconds"] >= 0
    assert entry["overdue"] is False
    assert _call(srv, "GET", "/api/v1/staff/escalations?order=sideways", h).status_code == 422


async def _recv_type(ws, kind: str, timeout: float = 20) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), max(0.1, deadline - asyncio.get_running_loop().time())))
        if msg.get("type") == kind:
            return msg


async def _turn(ws, text: str, session_id: str | None = None) -> dict:
    await ws.send(json.dumps({"text": text, **({"session_id": session_id} if session_id else {})}, ensure_ascii=False))
    return await _recv_type(ws, "reply", 60)


async def test_takeover_round_trip_with_the_patients_socket_and_audit(staff_server):
    srv = staff_server
    nurse, doctor = srv.login(NURSE), srv.login(DOCTOR)
    async with httpx.AsyncClient(base_url=srv.base, timeout=60) as c, websockets.connect(srv.ws + "/ws/chat") as patient:
        first = await _turn(patient, f"转人工，我的电话是{PHONE}，身份证{ID_NO}")
        sid, eid = first["session_id"], first["escalation_id"]
        assert first["escalated"] and eid

        # opening needs a reason, and is audited with who and why
        r = await c.get(f"/api/v1/staff/conversations/{sid}", headers=nurse)
        assert r.status_code == 422 and r.json()["error"]["code"] == "reason_required"
        r = await c.get(f"/api/v1/staff/conversations/{sid}", params={"reason": "处理升级"}, headers=nurse)
        assert r.status_code == 200
        view = r.json()
        raw = json.dumps(view, ensure_ascii=False)
        assert PHONE not in raw and ID_NO not in raw and "138****5678" in raw
        patient_turn = view["turns"][0]
        assert patient_turn["role"] == "patient" and {n["kind"] for n in patient_turn["masked_numbers"]} == {"mobile", "id_number"}
        assert view["turns"][1]["role"] == "assistant" and "sources" in view["turns"][1]
        assert view["escalations"][0]["escalation_id"] == eid

        # reveal: a reason is required, the value comes back, the audit keeps only the mask
        phone_ref = next(n["ref"] for n in patient_turn["masked_numbers"] if n["kind"] == "mobile")
        r = await c.post(f"/api/v1/staff/conversations/{sid}/reveal", json={"ref": phone_ref}, headers=nurse)
        assert r.status_code == 422
        r = await c.post(f"/api/v1/staff/conversations/{sid}/reveal", json={"ref": phone_ref, "reason": "回电患者"}, headers=nurse)
        assert r.status_code == 200 and r.json()["value"] == PHONE
        r = await c.post(f"/api/v1/staff/conversations/{sid}/reveal", json={"ref": "1:9", "reason": "回电患者"}, headers=nurse)
        assert r.status_code == 404

        # take over: exactly one owner; the patient is told a person joined
        r = await c.post(f"/api/v1/staff/escalations/{eid}/takeover", headers=nurse)
        assert r.status_code == 200 and r.json()["taken_over_by"] == NURSE[0] and r.json()["status"] == "taken_over"
        notice = await _recv_type(patient, "notice")
        assert "人工" in notice["text"]
        r = await c.post(f"/api/v1/staff/escalations/{eid}/takeover", headers=doctor)
        assert r.status_code == 409 and NURSE[0] in r.json()["error"]["message"]
        again = await c.post(f"/api/v1/staff/escalations/{eid}/takeover", headers=nurse)
        assert again.status_code == 200 and again.json()["already_owner"] is True
        r = await c.post(f"/api/v1/staff/escalations/{eid}/message", json={"text": "我是医生"}, headers=doctor)
        assert r.status_code == 409 and r.json()["error"]["code"] == "not_owner"

        # the assistant stays quiet while staff own the conversation
        quiet = await _turn(patient, "护士您好，我头还是很晕", sid)
        assert quiet["reply"] == "" and quiet["escalated"] is False

        r = await c.post(f"/api/v1/staff/escalations/{eid}/message", json={"text": "您好，我是值班护士，请问晕了多久？"}, headers=nurse)
        assert r.status_code == 200 and r.json()["delivered"]["bus"] is True
        staff_msg = await _recv_type(patient, "staff")
        assert staff_msg["text"] == "您好，我是值班护士，请问晕了多久？" and staff_msg["from"] == NURSE[0]
        assert (await c.post(f"/api/v1/staff/escalations/{eid}/message", json={"text": "  "}, headers=nurse)).status_code == 422

        # hand back: the assistant answers again
        assert (await c.post(f"/api/v1/staff/escalations/{eid}/handback", headers=doctor)).status_code == 409
        r = await c.post(f"/api/v1/staff/escalations/{eid}/handback", headers=nurse)
        assert r.status_code == 200 and r.json()["conversation_status"] == "active"
        await _recv_type(patient, "handback")
        back = await _turn(patient, "你好", sid)
        assert back["reply"] != "" and back["intent"] == "greeting"

        # close with a disposition
        r = await c.post(f"/api/v1/staff/escalations/{eid}/close", json={"disposition": "maybe"}, headers=nurse)
        assert r.status_code == 422
        r = await c.post(f"/api/v1/staff/escalations/{eid}/close", json={"disposition": "handled", "note": "已电话随访"}, headers=nurse)
        assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["disposition"] == "handled"
        closed = await _recv_type(patient, "closed")
        assert closed["disposition"] == "handled"
        assert (await c.post(f"/api/v1/staff/escalations/{eid}/close", json={"disposition": "handled"}, headers=nurse)).status_code == 409
        assert (await c.post(f"/api/v1/staff/escalations/{eid}/takeover", headers=nurse)).status_code == 409

    # the transcript holds every turn in order, the staff's too
    db = Database(srv.settings.resolved_database_url)
    try:
        async with db.session() as s:
            from sqlalchemy import select

            turns = list(await s.scalars(select(Turn).where(Turn.conversation_id == sid).order_by(Turn.seq)))
    finally:
        await db.close()
    assert [t.role for t in turns] == ["patient", "assistant", "patient", "staff", "patient", "assistant"]
    assert turns[3].data["from"] == NURSE[0]

    actions = [(a.actor, a.action, a.reason) for a in await audit_rows(srv.settings, target_id=sid)]
    assert ("staff:nurse1", "conversation_opened", "处理升级") in actions
    assert ("staff:nurse1", "number_revealed", "回电患者") in actions
    assert ("staff:nurse1", "conversation_taken_over", None) in actions
    assert ("staff:nurse1", "staff_message", None) in actions
    assert ("staff:nurse1", "conversation_handed_back", None) in actions
    revealed = [a for a in await audit_rows(srv.settings, target_id=sid, action="number_revealed")]
    assert PHONE not in json.dumps(revealed[0].details) and revealed[0].details["masked"] == "138****5678"
    closes = await audit_rows(srv.settings, target_id=eid, action="escalation_closed")
    assert closes[0].actor == "staff:nurse1" and closes[0].details["disposition"] == "handled" and closes[0].reason == "已电话随访"


async def test_patient_disconnecting_during_takeover_loses_nothing(staff_server):
    srv = staff_server
    nurse = srv.login(NURSE)
    async with websockets.connect(srv.ws + "/ws/chat") as patient:
        first = await _turn(patient, "我要找人工客服")
    sid, eid = first["session_id"], first["escalation_id"]
    async with httpx.AsyncClient(base_url=srv.base, timeout=60) as c:
        assert (await c.post(f"/api/v1/staff/escalations/{eid}/assign", headers=nurse)).json()["assigned_to"] == NURSE[0]
        assert (await c.post(f"/api/v1/staff/escalations/{eid}/takeover", headers=nurse)).status_code == 200
        # the patient has gone; the message is still stored and the API says so plainly
        r = await c.post(f"/api/v1/staff/escalations/{eid}/message", json={"text": "您还在吗？"}, headers=nurse)
        assert r.status_code == 200 and r.json()["seq"] == 3
        # the patient comes back on the same session: still the nurse's, the assistant quiet, the words kept
        async with websockets.connect(srv.ws + "/ws/chat") as patient:
            back = await _turn(patient, "在的，刚才断网了", sid)
            assert back["reply"] == ""
            r = await c.post(f"/api/v1/staff/escalations/{eid}/message", json={"text": "好的，我们继续。"}, headers=nurse)
            assert (await _recv_type(patient, "staff"))["text"] == "好的，我们继续。"
        view = (await c.get(f"/api/v1/staff/conversations/{sid}", params={"reason": "核对"}, headers=nurse)).json()
        assert [(t["role"], t["text"]) for t in view["turns"][2:]] == [
            ("staff", "您还在吗？"), ("patient", "在的，刚才断网了"), ("staff", "好的，我们继续。")]
        assert view["status"] == "taken_over" and view["taken_over_by"] == NURSE[0]


def test_eval_export_turns_dispositions_into_cases(staff_server):
    import yaml

    srv = staff_server
    admin = srv.login(ADMIN)
    wrong = _chat(srv, f"转人工 我手机{PHONE}")
    missed = _chat(srv, "我想找个真人聊聊")
    for esc, disposition in ((wrong, "wrong_escalation"), (missed, "referred_to_emergency")):
        eid = esc["escalation_id"]
        r = _call(srv, "POST", f"/api/v1/staff/escalations/{eid}/close", admin, {"disposition": disposition})
        assert r.status_code == 200, r.text
    text = _call(srv, "GET", "/api/v1/staff/export/eval-cases", admin).text
    assert PHONE not in text
    suite = yaml.safe_load(text)
    cases = {c["id"]: c for c in suite["cases"]}
    w = cases["staff-" + wrong["escalation_id"].removeprefix("esc-")]
    assert w["turns"][-1]["expect"] == {"escalated": False} and "wrong_escalation" in w["tags"]
    m = cases["staff-" + missed["escalation_id"].removeprefix("esc-")]
    assert m["turns"][-1]["expect"]["triage"] == {"level": "emergency"} and "missed_red_flag" in m["tags"]
    as_json = _call(srv, "GET", "/api/v1/staff/export/eval-cases?format=json", admin).json()
    assert as_json["suite"] == "staff_dispositions"
