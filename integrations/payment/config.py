"""The merchant's WeChat Pay settings in memory: ids, the signing key, the APIv3 key, the platform keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from integrations.payment import crypto


@dataclass
class WechatPayConfig:
    mchid: str
    appid: str
    merchant_serial_no: str
    private_key: rsa.RSAPrivateKey
    apiv3_key: bytes
    platform_keys: dict[str, rsa.RSAPublicKey] = field(default_factory=dict)
    api_base: str = "https://api.mch.weixin.qq.com"
    timeout_s: float = 10.0
    max_retries: int = 2
    backoff_s: float = 0.2
    max_clock_skew_s: int = 300

    def __post_init__(self) -> None:
        if len(self.apiv3_key) != 32:
            raise ValueError("the APIv3 key must be 32 bytes")

    @classmethod
    def from_settings(cls, settings: Any) -> WechatPayConfig | None:
        """Built from ``PA_WECHATPAY_*``; None (payment off) unless every required value is set."""
        needed = (
            "wechatpay_mchid",
            "wechatpay_appid",
            "wechatpay_cert_serial_no",
            "wechatpay_private_key_path",
            "wechatpay_apiv3_key",
            "wechatpay_platform_cert_path",
        )
        if not all(getattr(settings, name, None) for name in needed):
            return None
        return cls(
            mchid=settings.wechatpay_mchid,
            appid=settings.wechatpay_appid,
            merchant_serial_no=settings.wechatpay_cert_serial_no,
            private_key=crypto.load_private_key(Path(settings.wechatpay_private_key_path).read_bytes()),
            apiv3_key=settings.wechatpay_apiv3_key.encode("utf-8"),
            platform_keys=crypto.load_platform_keys(
                Path(settings.wechatpay_platform_cert_path).read_bytes(),
                getattr(settings, "wechatpay_platform_public_key_id", None),
            ),
            api_base=getattr(settings, "wechatpay_api_base", None) or "https://api.mch.weixin.qq.com",
        )
