"""The one module that speaks the OpenAI-compatible API (vLLM in production, llama.cpp's server here):
chat completions, streamed tokens, JSON replies, timeouts, retries and a health check."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from openai import APIConnectionError, APIError, APITimeoutError, AsyncOpenAI

from assistant.config import Settings

log = logging.getLogger(__name__)


class LLMUnavailable(RuntimeError):
    """The server could not be reached, timed out or failed; callers fall back to extractive answers."""


class LLMClient:
    def __init__(self, base_url: str, model: str, api_key: str = "not-needed", timeout_s: float = 20.0,
                 max_retries: int = 1) -> None:
        self.base_url = base_url.rstrip("/")
        if not self.base_url.endswith("/v1"):
            self.base_url += "/v1"
        self.model = model
        self.timeout_s = timeout_s
        self._client = AsyncOpenAI(base_url=self.base_url, api_key=api_key or "not-needed",
                                   timeout=timeout_s, max_retries=max_retries)

    @classmethod
    def from_settings(cls, settings: Settings, base_url: str | None = None) -> LLMClient:
        url = base_url or settings.llm_base_url
        if not url:
            raise ValueError("no LLM base URL: set PA_LLM_BASE_URL or start the embedded server")
        return cls(url, settings.llm_model, settings.llm_api_key, settings.llm_timeout_s)

    async def close(self) -> None:
        await self._client.close()

    async def chat(self, messages: list[dict[str, str]], *, max_tokens: int = 256, temperature: float = 0.2,
                   json_mode: bool = False, timeout_s: float | None = None) -> str:
        """One completion, whole."""
        kwargs: dict[str, Any] = {}
        if json_mode:
            kwargs["response_format"] = {"type": "json_object"}
        try:
            resp = await self._client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens,  # type: ignore[arg-type]
                temperature=temperature, timeout=timeout_s or self.timeout_s, **kwargs)
        except (APIConnectionError, APITimeoutError, APIError, httpx.HTTPError) as exc:
            raise LLMUnavailable(f"{type(exc).__name__}: {exc}") from exc
        return (resp.choices[0].message.content or "").strip()

    async def chat_json(self, messages: list[dict[str, str]], **kwargs: Any) -> dict[str, Any]:
        """A completion constrained to a JSON object, parsed."""
        text = await self.chat(messages, json_mode=True, **kwargs)
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LLMUnavailable(f"the model did not return JSON: {text[:80]!r}") from exc
        if not isinstance(value, dict):
            raise LLMUnavailable("the model returned JSON that is not an object")
        return value

    async def stream(self, messages: list[dict[str, str]], *, max_tokens: int = 256, temperature: float = 0.2,
                     timeout_s: float | None = None) -> AsyncIterator[str]:
        """Tokens as they are generated."""
        try:
            resp = await self._client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens,  # type: ignore[arg-type]
                temperature=temperature, stream=True, timeout=timeout_s or self.timeout_s)
            async for event in resp:  # type: ignore[union-attr]
                if event.choices and event.choices[0].delta and event.choices[0].delta.content:
                    yield event.choices[0].delta.content
        except (APIConnectionError, APITimeoutError, APIError, httpx.HTTPError) as exc:
            raise LLMUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def health(self, timeout_s: float = 3.0) -> bool:
        """True when the server answers its model list within the timeout and serves our model."""
        try:
            models = await self._client.models.list(timeout=timeout_s)
        except Exception:  # noqa: BLE001 - any failure means not healthy
            return False
        ids = [m.id for m in models.data]
        return not ids or self.model in ids or len(ids) == 1
