"""Readiness of the components the service depends on (store, bus, index, speech model, LLM)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Check = Callable[[], Awaitable[bool | str]]


class Readiness:
    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def add(self, name: str, check: Check) -> None:
        self._checks[name] = check

    async def check(self) -> dict[str, bool | str]:
        out: dict[str, bool | str] = {}
        for name, fn in self._checks.items():
            try:
                out[name] = await fn()
            except Exception:
                out[name] = False
        return out
