"""WeChat Pay API v3: request signing, response and notification verification, AES-GCM resources,
and the merchant client (orders, queries, closes, refunds). The only module that speaks to WeChat Pay."""

from integrations.payment.client import WechatPayClient
from integrations.payment.config import WechatPayConfig
from integrations.payment.errors import NotificationRejected, WechatPayError
from integrations.payment.notify import Notification, parse_notification

__all__ = [
    "Notification",
    "NotificationRejected",
    "WechatPayClient",
    "WechatPayConfig",
    "WechatPayError",
    "parse_notification",
]
