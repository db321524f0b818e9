"""Request and response models of the outside contract (../shared/CONTRACT.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Intent = Literal["triage", "booking", "report", "payment", "faq", "greeting", "human", "out_of_scope"]
Level = Literal["emergency", "urgent", "routine", "self_care"]


class ChatRequest(BaseModel):
    session_id: str | None = None
    text: str
    lang: Literal["zh", "en"] | None = None
    channel: Literal["web", "wechat", "phone"] | None = None


class Triage(BaseModel):
    level: Level
    department: str | None = None
    red_flags: list[str] = Field(default_factory=list)


class Citation(BaseModel):
    doc_id: str
    title: str
    snippet: str


class ChatReply(BaseModel):
    session_id: str
    reply: str
    intent: Intent
    triage: Triage | None = None
    citations: list[Citation] = Field(default_factory=list)
    report: dict[str, Any] | None = None
    appointment: dict[str, Any] | None = None
    payment: dict[str, Any] | None = None
    escalated: bool = False
    escalation_id: str | None = None


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody
