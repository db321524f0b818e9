"""The safety checks the dialogue manager runs on every turn, in one object.

Red-flag rules and the input screen run before any model; the reply guard runs on every outgoing
reply from every skill.
"""

from __future__ import annotations

from typing import Any

from assistant.safety import guard as _guard
from assistant.safety import redflags as _redflags


class SafetyHooks:
    def red_flags(self, text: str, context: dict[str, Any]) -> list[Any]:
        return _redflags.check(text, context)

    def screen(self, text: str, lang: str) -> Any:
        return _guard.screen_input(text, lang)

    def guard(self, reply: str, lang: str, user_text: str) -> Any:
        return _guard.guard_reply(reply, lang, user_text)
