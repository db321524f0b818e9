"""The dispatcher: collects what actions utter and assembles one reply.

Actions never decide how a reply travels. The engine streams the assembled, guarded reply over a
socket in sentence-sized deltas, or sends it whole (HTTP, WeChat, phone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk.executor import CollectingDispatcher


class ReplyDispatcher(CollectingDispatcher):
    """rasa-sdk's collecting dispatcher; kept as our own type so channels can extend it."""


@dataclass
class AssembledReply:
    text: str = ""
    intent: str | None = None
    triage: dict[str, Any] | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] | None = None
    appointment: dict[str, Any] | None = None
    payment: dict[str, Any] | None = None
    escalate: dict[str, Any] | None = None
    choices: list[Any] = field(default_factory=list)


_PRIORITY_ORDER = {"crisis": 0, "red_flag": 0, "critical_value": 0}


def assemble(messages: list[dict[str, Any]]) -> AssembledReply:
    out = AssembledReply()
    texts: list[str] = []
    seen_docs: set[tuple[str, str]] = set()
    for m in messages:
        if m.get("text"):
            texts.append(str(m["text"]).strip())
        custom = m.get("custom") or {}
        if not isinstance(custom, dict):
            continue
        if custom.get("intent"):
            out.intent = custom["intent"]
        for key in ("triage", "report", "appointment", "payment"):
            if custom.get(key) is not None:
                setattr(out, key, custom[key])
        for c in custom.get("citations") or []:
            k = (str(c.get("doc_id")), str(c.get("snippet", ""))[:40])
            if k not in seen_docs:
                seen_docs.add(k)
                out.citations.append(
                    {"doc_id": str(c.get("doc_id")), "title": str(c.get("title", "")), "snippet": str(c.get("snippet", ""))}
                )
        esc = custom.get("escalate")
        if esc:
            if out.escalate is None or int(esc.get("priority", 3)) < int(out.escalate.get("priority", 3)):
                out.escalate = dict(esc)
        if custom.get("choices"):
            out.choices = list(custom["choices"])
    out.text = "\n".join(t for t in texts if t)
    return out


_SENTENCE_END = re.compile(r"(?<=[。！？；!?;\n])|(?<=\.\s)")


def stream_chunks(text: str, max_chars: int = 24) -> list[str]:
    """Split a reply into sentence-sized deltas (long sentences in pieces) for streaming."""
    chunks: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        if not sentence:
            continue
        while len(sentence) > max_chars:
            chunks.append(sentence[:max_chars])
            sentence = sentence[max_chars:]
        if sentence:
            chunks.append(sentence)
    return chunks
