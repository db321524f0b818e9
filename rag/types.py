"""Small typed records shared by the knowledge-base modules (chunks, hits, answers, reports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage: a few whole sentences under one heading path."""

    chunk_id: str
    doc_id: str
    title: str
    heading_path: tuple[str, ...]
    text: str
    kind: str = "doc"  # doc | record
    updated: str = ""
    source: str = ""

    @property
    def heading(self) -> str:
        return " > ".join(self.heading_path)

    def embed_text(self) -> str:
        """What the embedder sees: the heading path gives a short passage its context."""
        head = " > ".join([self.title, *self.heading_path[1:]]) if self.heading_path else self.title
        return f"{head}\n{self.text}"

    def metadata(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "heading": " > ".join(self.heading_path),
            "kind": self.kind,
            "updated": self.updated,
            "source": self.source,
        }

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
        heading = str(meta.get("heading") or "")
        return cls(
            chunk_id=chunk_id,
            doc_id=str(meta.get("doc_id", "")),
            title=str(meta.get("title", "")),
            heading_path=tuple(h for h in heading.split(" > ") if h),
            text=text,
            kind=str(meta.get("kind", "doc")),
            updated=str(meta.get("updated", "")),
            source=str(meta.get("source", "")),
        )


@dataclass(frozen=True)
class LoadedDocument:
    """A source file turned into Markdown-like text plus its identity."""

    doc_id: str
    title: str
    text: str
    updated: str = ""
    source: str = ""
    fmt: str = "md"
    # Pre-split records (CSV rows): each becomes exactly one chunk.
    records: tuple[tuple[tuple[str, ...], str], ...] = ()


@dataclass
class Hit:
    chunk: Chunk
    score: float  # fused (reciprocal rank) score
    dense: float = 0.0  # cosine similarity, 0 when the dense side did not return it
    lexical: float = 0.0  # BM25 score, 0 when the lexical side did not return it
    rank: int = 0
    lexical_lead: bool = False  # one of the few passages BM25 scores far above the rest (see rag.retriever)

    @property
    def doc_id(self) -> str:
        return self.chunk.doc_id


@dataclass
class GroundedAnswer:
    text: str
    citations: list[dict[str, str]] = field(default_factory=list)
    abstained: bool = False
    confidence: float = 0.0
    source: Literal["extractive", "llm"] = "extractive"


@dataclass
class IngestReport:
    documents: list[str] = field(default_factory=list)
    chunks: int = 0
    replaced: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "path: reason"
    seconds: float = 0.0

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds > 0 else 0.0
