"""Errors of the WeChat Pay integration, each with a stable code."""

from __future__ import annotations


class WechatPayError(Exception):
    """A call to WeChat Pay failed: ``status`` is the HTTP status (0 = no answer), ``code`` WeChat's
    error code (``ORDERPAID``, ``SIGN_ERROR``, ...) or ours (``TIMEOUT``, ``BAD_RESPONSE_SIGNATURE``)."""

    def __init__(self, status: int, code: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(f"WeChat Pay {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retryable = retryable


class NotificationRejected(Exception):
    """A notification that must not be trusted (bad signature, stale, undecryptable, malformed)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
