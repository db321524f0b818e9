"""Passive replies: the text-reply XML WeChat shows in the chat, and the bare ``success`` that means
"nothing to say now" (a later customer-service message may follow)."""

from __future__ import annotations

import re

SUCCESS = "success"
# WeChat truncates passive text replies beyond 2048 bytes; keep well under it.
MAX_REPLY_BYTES = 2000

_INVALID_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cdata(value: str) -> str:
    value = _INVALID_XML_CHARS.sub("", value)
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def clip_utf8(text: str, limit: int = MAX_REPLY_BYTES) -> str:
    """Cut text to at most ``limit`` UTF-8 bytes on a character boundary, marking the cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", errors="ignore") + "…"


def text_reply(to_user: str, from_user: str, content: str, create_time: int) -> str:
    """A passive text reply to ``to_user`` (the patient's OpenID) from ``from_user`` (the account)."""
    return (
        "<xml>"
        f"<ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(clip_utf8(content))}</Content>"
        "</xml>"
    )
