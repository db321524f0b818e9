"""Structured logging: one JSON object a line, with patient identifiers masked.

Rule (after livekit's REVIEW.md): sensitive values never appear in a log message body. Put them in
``extra={"pii": {...}}``; the formatter masks ID and phone numbers there and drops free text unless
the logger is at DEBUG. Message bodies are masked too, as a last line of defence.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from assistant.safety.pii import mask_text

_STD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": mask_text(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key in _STD or key.startswith("_"):
                continue
            if key == "pii":
                out["pii"] = _mask_pii(value, debug=record.levelno <= logging.DEBUG)
            else:
                out[key] = value if isinstance(value, int | float | bool | type(None)) else mask_text(str(value))
        if record.exc_info:
            out["exc"] = mask_text(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False)


def _mask_pii(value: Any, *, debug: bool) -> Any:
    if isinstance(value, dict):
        masked: dict[str, Any] = {}
        for k, v in value.items():
            if k in {"text", "reply", "message"} and not debug:
                masked[k] = f"<{len(str(v))} chars>"
            else:
                masked[k] = mask_text(str(v)) if v is not None else None
        return masked
    return mask_text(str(value))


def setup_logging(level: str = "INFO", json_format: bool = True) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_pa", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler._pa = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if json_format else logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "chromadb", "jieba", "urllib3", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
