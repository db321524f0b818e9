"""Chinese-aware chunking: split on Markdown headings, then on sentence ends (。！？；), never mid-sentence.

Each chunk keeps its heading path. Table rows become self-describing lines ("列名：值，…") so a row
retrieved alone still says what its numbers mean.
"""

from __future__ import annotations

import re

from langchain_text_splitters import MarkdownHeaderTextSplitter

from rag.types import Chunk, LoadedDocument

MAX_CHARS = 220  # soft limit per chunk; a single longer sentence stays whole
_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]

# A sentence ends after a Chinese 。！？； (or ASCII ;!?), or after an English full stop followed by a
# space, but never inside brackets. Decimal points ("0.5元") and times ("08:00") never end a sentence.
_ENDS = set("。！？；;!?")
_CLOSERS = set("”’」』\"'")
_OPEN, _CLOSE = set("(（[【"), set(")）]】")
_TABLE_SEP = re.compile(r"^\|?\s*:?-{2,}")


def split_sentences(text: str) -> list[str]:
    """Split a line of text into sentences, keeping each terminator with its sentence."""
    out: list[str] = []
    depth = 0
    start = 0
    n = len(text)
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        if depth:
            continue
        end = ch in _ENDS or (ch == "." and i + 1 < n and text[i + 1].isspace() and i > 0 and not text[i - 1].isdigit())
        if end:
            j = i + 1
            while j < n and text[j] in _CLOSERS:
                j += 1
            out.append(text[start:j].strip())
            start = j
    out.append(text[start:].strip())
    return [p for p in out if p]


def weight(text: str) -> float:
    """Length in 'Chinese characters': an ASCII character counts half."""
    return sum(0.5 if ch.isascii() else 1.0 for ch in text)


def _cells(line: str) -> list[str]:
    return [c.strip().replace("**", "") for c in line.strip().strip("|").split("|")]


def _units(body: str) -> list[str]:
    """Break a section body into indivisible units: sentences, list items' sentences, table rows."""
    units: list[str] = []
    header: list[str] | None = None
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            header = None
            continue
        if line.startswith("|"):
            if _TABLE_SEP.match(line):
                continue
            cells = _cells(line)
            if header is None:
                header = cells
                continue
            pairs = [f"{h}：{c}" if h else c for h, c in zip(header, cells, strict=False) if c and c != "—"]
            units.append("，".join(pairs) + "。")
            continue
        header = None
        line = re.sub(r"^(?:[-*+]|\d+[.)、])\s+", "", line)  # list markers
        line = line.lstrip("> ").replace("**", "")
        units.extend(split_sentences(line))
    return units


def _pack(units: list[str], max_chars: int) -> list[str]:
    chunks: list[str] = []
    buf: list[str] = []
    size = 0.0
    for unit in units:
        w = weight(unit)
        if buf and size + w > max_chars:
            chunks.append(_join(buf))
            buf, size = [], 0
        buf.append(unit)
        size += w
    if buf:
        chunks.append(_join(buf))
    return chunks


def _join(units: list[str]) -> str:
    out = ""
    for u in units:
        if not out:
            out = u
        elif out.endswith((":", "：")):
            out += "\n" + u  # a lead-in ("收费标准:") keeps its own line
        elif out[-1].isascii() and out[-1] not in "。；;" or (u[:1].isascii() and u[:1].isalpha()):
            out += " " + u
        elif out.endswith(("。", "！", "？", "；", ";", ".", "!", "?")):
            out += u
        else:
            out += "\n" + u
    return out


def chunk_document(doc: LoadedDocument, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """Turn a loaded document into chunks with stable ids ``<doc_id>#<n>``."""
    pieces: list[tuple[tuple[str, ...], str]] = []
    if doc.records:
        pieces = [(path, text) for path, text in doc.records]
    else:
        splitter = MarkdownHeaderTextSplitter(_HEADERS, strip_headers=True)
        for section in splitter.split_text(doc.text):
            path = tuple(section.metadata[k] for _, k in _HEADERS if k in section.metadata)
            for text in _pack(_units(section.page_content), max_chars):
                pieces.append((path, text))
    return [
        Chunk(
            chunk_id=f"{doc.doc_id}#{i:04d}",
            doc_id=doc.doc_id,
            title=doc.title,
            heading_path=path or (doc.title,),
            text=text,
            kind="record" if doc.records else "doc",
            updated=doc.updated,
            source=doc.source,
        )
        for i, (path, text) in enumerate(pieces)
    ]
