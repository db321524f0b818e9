"""A small server that speaks the contract's `/ws/chat`, `/ws/voice` and report-upload shapes with
scripted answers, so the page's rendering of every structured reply field (emergency triage, payment
QR, appointment, report table, choices) can be driven before each feature's real engine exists.

It serves the real page through the real `assistant.api.web` router. It records what it received
(`GET /_standin/log`) so tests can assert on what the page sent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import struct
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, UploadFile, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

from assistant.api import web

PAY_URL = "weixin://wxpay/bizpayurl?pr=StandIn0001"


def _reply(session_id: str, text: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "session_id": session_id,
        "reply": text,
        "intent": "greeting",
        "triage": None,
        "citations": [],
        "report": None,
        "appointment": None,
        "payment": None,
        "escalated": False,
        "escalation_id": None,
    }
    base.update(fields)
    return base


def scripted(session_id: str, text: str) -> dict[str, Any]:
    """The stand-in's answer to one patient turn (keyword-scripted)."""
    if "选项" in text or "choose" in text.lower():
        return _reply(session_id, "请选择就诊时间：\n1. 明天上午\n2. 明天下午\n3. 后天上午", intent="booking")
    if "字段" in text:
        return _reply(
            session_id,
            "您想上午还是下午来？",
            intent="booking",
            choices=["上午", {"label": "下午（13:30后）", "value": "下午"}],
        )
    if text in {"明天上午", "明天下午", "后天上午", "1", "2", "3"}:
        return _reply(
            session_id,
            f"已为您预约{text}，心血管内科。",
            intent="booking",
            appointment={
                "appointment_id": "apt-001",
                "status": "confirmed",
                "department": "cardiology",
                "doctor_id": "DR001",
                "start": "2026-11-24T09:00:00+08:00",
            },
        )
    if "胸痛" in text:
        return _reply(
            session_id,
            "您描述的胸痛可能很危险，请立即拨打120或前往急诊。",
            intent="triage",
            triage={"level": "emergency", "department": "emergency", "red_flags": ["chest_pain"]},
            escalated=True,
            escalation_id="esc-0001",
        )
    if "缴费" in text or "pay" in text.lower():
        return _reply(
            session_id,
            f"已为您创建缴费订单，请点击链接支付：{PAY_URL}",
            intent="payment",
            payment={
                "order_id": "ord-0001",
                "total": 262.0,
                "fund_pays": 127.32,
                "personal_account_pays": 86.68,
                "cash_pays": 48.0,
                "status": "created",
                "pay_url": PAY_URL,
            },
        )
    if "资料" in text or "source" in text.lower():
        return _reply(
            session_id,
            "门诊时间为工作日上午08:00-12:00，下午13:30-17:00。",
            intent="faq",
            citations=[
                {
                    "doc_id": "outpatient_guide",
                    "title": "门诊就医指南",
                    "snippet": "工作日上午 08:00-12:00，下午 13:30-17:00。",
                }
            ],
        )
    return _reply(session_id, f"收到：{text}。这是一条分几段流式发送的回复。")


def _tone(seconds: float, rate: int) -> bytes:
    n = int(seconds * rate)
    return b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(n))


def create_standin() -> FastAPI:
    app = FastAPI()
    app.include_router(web.router)
    app.state.log = {"chat": [], "uploads": [], "voice": []}
    counter = itertools.count(1)
    issued: set[str] = set()

    @app.get("/_standin/log")
    async def get_log() -> JSONResponse:
        return JSONResponse(app.state.log)

    @app.websocket("/ws/chat")
    async def ws_chat(ws: WebSocket) -> None:
        await ws.accept()
        try:
            while True:
                raw = await ws.receive_text()
                try:
                    data = json.loads(raw)
                    text = str(data["text"]).strip()
                except (ValueError, KeyError, TypeError):
                    await ws.send_json(
                        {"type": "error", "error": {"code": "invalid_json", "message": "bad request"}}
                    )
                    continue
                app.state.log["chat"].append(data)
                sid = data.get("session_id")
                if sid and sid not in issued:
                    await ws.send_json(
                        {
                            "type": "error",
                            "error": {"code": "unknown_session", "message": "unknown session_id"},
                        }
                    )
                    continue
                if not sid:
                    sid = f"s-standin-{next(counter)}"
                    issued.add(sid)
                if "断开" in text or "disconnect" in text.lower():
                    await ws.send_json({"type": "delta", "text": "正在"})
                    await ws.close(code=1011)
                    return
                reply = scripted(sid, text)
                body = reply["reply"]
                pieces = [body[i : i + 6] for i in range(0, len(body), 6)]
                delay = 0.25 if "慢" in text else 0.02
                for piece in pieces:
                    await ws.send_json({"type": "delta", "text": piece})
                    await asyncio.sleep(delay)
                await ws.send_json({"type": "reply", **reply})
                if "护士" in text:  # a staff member takes over and writes; later the session is closed
                    await asyncio.sleep(0.1)
                    await ws.send_json({"type": "staff", "text": "您好，我是护士小李，请问哪里不舒服？"})
                    await ws.send_json({"type": "closed"})
        except WebSocketDisconnect:
            return

    @app.post("/api/v1/reports/upload")
    async def upload(
        file: Annotated[UploadFile, File()],
        session_id: Annotated[str | None, Form()] = None,
        lang: Annotated[str, Form()] = "zh",
    ) -> JSONResponse:
        content = await file.read()
        app.state.log["uploads"].append(
            {
                "filename": file.filename,
                "size": len(content),
                "content_type": file.content_type,
                "session_id": session_id,
                "lang": lang,
            }
        )
        sid = session_id or f"s-standin-{next(counter)}"
        issued.add(sid)
        return JSONResponse(
            _reply(
                sid,
                f"已读取文件 {file.filename}（{len(content)} 字节）。请核对识别结果：",
                intent="report",
                report={
                    "items": [
                        {
                            "code": "WBC",
                            "name": "白细胞计数",
                            "value": 12.5,
                            "unit": "10^9/L",
                            "ref_low": 3.5,
                            "ref_high": 9.5,
                            "flag": "high",
                        },
                        {
                            "code": "K",
                            "name": "钾",
                            "value": 6.8,
                            "unit": "mmol/L",
                            "ref_low": 3.5,
                            "ref_high": 5.3,
                            "flag": "critical_high",
                        },
                        {
                            "code": "HGB",
                            "name": "血红蛋白",
                            "value": 135,
                            "unit": "g/L",
                            "ref_low": 130,
                            "ref_high": 175,
                            "flag": "normal",
                        },
                    ]
                },
            )
        )

    @app.websocket("/ws/voice")
    async def ws_voice(ws: WebSocket) -> None:
        await ws.accept()
        record: dict[str, Any] = {"start": None, "bytes": 0, "frames": 0, "stop": False, "odd_frames": 0}
        app.state.log["voice"].append(record)
        next_partial = 16000  # bytes: every 0.5 s of 16 kHz PCM16
        try:
            while True:
                msg = await ws.receive()
                if msg.get("type") == "websocket.disconnect":
                    return
                if msg.get("bytes") is not None:
                    chunk = msg["bytes"]
                    record["bytes"] += len(chunk)
                    record["frames"] += 1
                    record["odd_frames"] += len(chunk) % 2
                    if record["bytes"] >= next_partial:
                        next_partial += 16000
                        await ws.send_json(
                            {"type": "partial", "text": f"我头疼（{record['bytes'] / 32000:.1f}秒）"}
                        )
                    continue
                data = json.loads(msg.get("text") or "{}")
                if data.get("type") == "start":
                    record["start"] = data
                elif data.get("type") == "stop":
                    record["stop"] = True
                    await ws.send_json({"type": "final", "text": "我头疼两天了"})
                    sid = (
                        data.get("session_id")
                        or (record["start"] or {}).get("session_id")
                        or f"s-standin-{next(counter)}"
                    )
                    issued.add(sid)
                    await ws.send_json(
                        {
                            "type": "reply",
                            **_reply(
                                sid,
                                "头疼两天，建议到神经内科就诊。",
                                intent="triage",
                                triage={"level": "routine", "department": "neurology", "red_flags": []},
                            ),
                        }
                    )
                    await ws.send_json(
                        {"type": "speech_start", "sample_rate": 16000, "encoding": "pcm_s16le"}
                    )
                    audio = _tone(3.0, 16000)
                    # An odd split on purpose: the page must carry the odd byte over.
                    cut = len(audio) // 3 + 1
                    await ws.send_bytes(audio[:cut])
                    await ws.send_bytes(audio[cut:])
                    await ws.send_json({"type": "speech_end"})
        except WebSocketDisconnect:
            return

    return app
