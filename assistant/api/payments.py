"""WeChat Pay notifications (payment and refund results) and order look-up for the web page.

Answers as WeChat Pay expects: 200 with no body when the message is taken (or already was),
4xx/5xx with ``{"code": "FAIL", "message": ...}`` when it is refused, so WeChat Pay retries.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/payments", tags=["payments"])

MAX_BODY = 64 * 1024


async def _notify(request: Request) -> Response:
    payments = getattr(request.app.state.services, "payments", None)
    if payments is None:
        return JSONResponse({"code": "FAIL", "message": "payment is not configured"}, status_code=503)
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"code": "FAIL", "message": "body too large"}, status_code=413)
    result = await payments.handle_notification(dict(request.headers), body)
    log.info("wechatpay notification: %s %s", result.outcome, result.code or "")
    if result.body is None:
        return Response(status_code=200)
    return JSONResponse(result.body, status_code=result.status_code)


@router.post("/wechatpay/notify")
async def wechatpay_notify(request: Request) -> Response:
    return await _notify(request)


@router.post("/wechatpay/refund-notify")
async def wechatpay_refund_notify(request: Request) -> Response:
    return await _notify(request)


@router.get("/orders/{order_id}")
async def get_order(order_id: str, request: Request) -> JSONResponse:
    """The order's contract ``payment`` fields and link, for the web page to poll after showing the QR code.

    Order ids are unguessable (timestamp + 48 random bits) and the answer carries no personal data.
    """
    payments = getattr(request.app.state.services, "payments", None)
    view = None if payments is None else await payments.get_order(order_id)
    if view is None:
        return JSONResponse({"error": {"code": "unknown_order", "message": f"no order {order_id}"}}, status_code=404)
    return JSONResponse(view.payment_json())
