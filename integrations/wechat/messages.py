"""Parse WeChat callback XML (refusing DTDs and entities before anything else) into a typed message:
text, voice, image, video, location, link, events (subscribe, unsubscribe, CLICK, VIEW, SCAN, LOCATION…)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

HANDLED_EVENTS = frozenset({"subscribe", "unsubscribe", "click", "view", "scan", "location"})


class XmlRejected(ValueError):
    """The body is not acceptable XML. ``code`` says why: ``xml_forbidden`` (DTD/entities) or ``malformed_xml``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _element_to_value(el: Element) -> Any:
    children = list(el)
    if not children:
        return (el.text or "").strip()
    out: dict[str, Any] = {}
    for child in children:
        value = _element_to_value(child)
        if child.tag in out:  # repeated tags (e.g. <item> in SendPicsInfo) become a list
            prev = out[child.tag]
            out[child.tag] = (prev if isinstance(prev, list) else [prev]) + [value]
        else:
            out[child.tag] = value
    return out


def parse_xml(data: bytes | str) -> dict[str, Any]:
    """The children of the root ``<xml>`` element as a dict. DOCTYPEs, entities and external
    references are refused outright (defusedxml, ``forbid_dtd``), before any content is read."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise XmlRejected("xml_forbidden", f"XML with a DTD or entities is refused ({type(e).__name__})") from e
    except (ParseError, ValueError, TypeError) as e:
        raise XmlRejected("malformed_xml", "the body is not well-formed XML") from e
    if root.tag != "xml":
        raise XmlRejected("malformed_xml", "the root element must be <xml>")
    value = _element_to_value(root)
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class WeChatMessage:
    """One inbound message or event. ``fields`` keeps everything the XML carried."""

    msg_type: str  # text | voice | image | video | shortvideo | location | link | event | (anything else)
    from_user: str  # the sender's OpenID
    to_user: str  # the account's original ID (or a WeCom CorpID)
    create_time: int
    msg_id: str | None = None
    event: str | None = None  # lower-cased event name for msg_type == "event"
    event_key: str | None = None
    content: str | None = None  # text
    recognition: str | None = None  # voice: WeChat's own speech recognition, when enabled
    media_id: str | None = None
    media_format: str | None = None  # voice: amr | speex
    pic_url: str | None = None
    agent_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def dedup_key(self) -> str:
        """WeChat retries carry the same MsgId; events have none, so FromUserName + CreateTime.
        The sender and type are part of the key too, so ids reused by different senders never collide."""
        if self.msg_id:
            return f"msg:{self.from_user}:{self.msg_type}:{self.msg_id}"
        return f"evt:{self.from_user}:{self.create_time}:{self.event or self.msg_type}"

    @property
    def kind(self) -> str:
        """``text``, ``voice``, ``image``, ``event:<name>`` or the raw type for anything else."""
        return f"event:{self.event}" if self.msg_type == "event" else self.msg_type


def _s(fields: dict[str, Any], name: str) -> str | None:
    v = fields.get(name)
    if v is None or isinstance(v, (dict, list)):
        return None
    v = str(v)
    return v if v != "" else None


def message_from_fields(fields: dict[str, Any]) -> WeChatMessage:
    """Build the typed message; anything without a MsgType becomes type ``unknown`` (replied ``success``)."""
    try:
        create_time = int(str(fields.get("CreateTime") or "0").strip())
    except ValueError:
        create_time = 0
    msg_type = (_s(fields, "MsgType") or "unknown").strip().lower()
    event = _s(fields, "Event")
    return WeChatMessage(
        msg_type=msg_type,
        from_user=_s(fields, "FromUserName") or "",
        to_user=_s(fields, "ToUserName") or "",
        create_time=create_time,
        msg_id=_s(fields, "MsgId") or _s(fields, "MsgID"),
        event=event.strip().lower() if event else None,
        event_key=_s(fields, "EventKey"),
        content=_s(fields, "Content"),
        recognition=_s(fields, "Recognition"),
        media_id=_s(fields, "MediaId"),
        media_format=(_s(fields, "Format") or "").lower() or None,
        pic_url=_s(fields, "PicUrl"),
        agent_id=_s(fields, "AgentID"),
        fields=fields,
    )


def parse_message(data: bytes | str) -> WeChatMessage:
    return message_from_fields(parse_xml(data))
