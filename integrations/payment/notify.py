"""Verifies and decrypts a WeChat Pay notification (payment or refund result).

Checks, in order: the four Wechatpay-* headers are there, the timestamp is within the allowed
clock skew (an old, replayed message is refused), the serial names a known platform key, the
RSA signature over ``timestamp\\nnonce\\nbody\\n`` is valid, and the resource decrypts with the
APIv3 key. Deduplicating by notification id is the caller's job (it owns the store).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integrations.payment import crypto
from integrations.payment.config import WechatPayConfig
from integrations.payment.errors import NotificationRejected


@dataclass(frozen=True)
class Notification:
    id: str
    event_type: str  # TRANSACTION.SUCCESS | REFUND.SUCCESS | REFUND.ABNORMAL | REFUND.CLOSED
    create_time: str
    summary: str
    resource: dict[str, Any]  # the decrypted transaction or refund
    original_type: str  # transaction | refund


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    raise NotificationRejected("missing_signature_headers", f"the notification has no {name} header")


def verify_signed(config: WechatPayConfig, headers: Mapping[str, str], body: str, now: datetime) -> None:
    """Raises NotificationRejected unless the body carries a valid, fresh platform signature."""
    timestamp = _header(headers, "Wechatpay-Timestamp")
    nonce = _header(headers, "Wechatpay-Nonce")
    signature = _header(headers, "Wechatpay-Signature")
    serial = _header(headers, "Wechatpay-Serial")
    try:
        ts = int(timestamp)
    except ValueError:
        raise NotificationRejected("bad_timestamp", "Wechatpay-Timestamp is not a number") from None
    if abs(now.timestamp() - ts) > config.max_clock_skew_s:
        raise NotificationRejected("stale_timestamp", "the notification's timestamp is too old or in the future (replay?)")
    key = config.platform_keys.get(serial)
    if key is None:
        raise NotificationRejected("unknown_platform_serial", f"no platform certificate with serial {serial}")
    if not crypto.verify(key, crypto.response_message(timestamp, nonce, body), signature):
        raise NotificationRejected("bad_signature", "the platform signature does not match (tampered?)")


def parse_notification(config: WechatPayConfig, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise NotificationRejected("malformed", "the notification body is not UTF-8") from None
    verify_signed(config, headers, text, now)
    try:
        envelope = json.loads(text)
        resource = envelope["resource"]
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise NotificationRejected("unsupported_algorithm", f"resource algorithm {resource.get('algorithm')!r}")
        plain = crypto.decrypt(config.apiv3_key, resource["nonce"], resource["ciphertext"], resource.get("associated_data"))
        data = json.loads(plain)
        return Notification(
            id=str(envelope["id"]),
            event_type=str(envelope["event_type"]),
            create_time=str(envelope.get("create_time", "")),
            summary=str(envelope.get("summary", "")),
            resource=data,
            original_type=str(resource.get("original_type", "")),
        )
    except NotificationRejected:
        raise
    except ValueError as exc:
        raise NotificationRejected("decrypt_failed", str(exc)) from None
    except (KeyError, TypeError, AttributeError):
        raise NotificationRejected("malformed", "the notification lacks id, event_type or resource") from None
