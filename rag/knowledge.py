"""The knowledge base facade the rest of the product calls: ingest, delete, list, search and answer.

Blocking work (embedding, Chroma, BM25, jieba) runs in worker threads; the embedding model is loaded
once per process. An in-memory mirror of the chunks feeds BM25 and is reloaded when another process
(e.g. ``patient-assistant ingest``) changes the index.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from rag.answer import abstain, clamp_confidence, extractive_answer
from rag.chunking import chunk_document
from rag.generate import generate_answer
from rag.index import ChunkIndex, embed_passages
from rag.ingest import UnsupportedFormat, expand, load_path
from rag.lexical import BM25Index, init_jieba
from rag.retriever import DEFAULT_CALIBRATION, Assessment, Calibration, Retriever
from rag.types import Chunk, GroundedAnswer, Hit, IngestReport, LoadedDocument

log = logging.getLogger(__name__)
EMBED_BATCH = 1024  # texts per embedding call: the embedder sorts them by length and batches peers
VERSION_CHECK_S = 2.0
ANSWER_HITS = 8  # extraction reads the first four (and BM25's leaders); citations may also come from the rest


class KnowledgeBase:
    def __init__(self, settings: Settings, hospital: Any = None, collection: str = "hospital_kb",
                 calibration: Calibration = DEFAULT_CALIBRATION) -> None:
        self.settings = settings
        self.hospital = hospital
        self.collection = collection
        self.calibration = calibration
        self._index: ChunkIndex | None = None
        self._chunks: dict[str, Chunk] = {}
        self._bm25 = BM25Index()
        self._retriever: Retriever | None = None
        self._lock = threading.RLock()
        self._load_lock = asyncio.Lock()
        self._version = ""
        self._checked = 0.0
        self._ready = False

    # --- lifecycle --------------------------------------------------------------------------------

    def ready(self) -> bool:
        return self._ready

    async def ensure_loaded(self) -> None:
        """Open the index; on first start with an empty index, ingest the sample hospital."""
        async with self._load_lock:
            if self._ready:
                return
            await asyncio.to_thread(self._open)
            if not self._chunks:
                root = Path(self.hospital.root) if self.hospital is not None else Path(self.settings.hospital_dir)
                if root.is_dir():
                    log.info("knowledge base empty: ingesting the sample hospital from %s", root)
                    await asyncio.to_thread(self._ingest_sync, [root], False)
            self._ready = True

    def _open(self) -> None:
        words: list[str] = []
        if self.hospital is not None:
            words = [d.name_zh for d in self.hospital.departments.values()]
        init_jieba(words)
        with self._lock:
            if self._index is None:
                self._index = ChunkIndex(self.settings, self.collection)
            self._reload_mirror()

    def _reload_mirror(self) -> None:
        assert self._index is not None
        chunks = {c.chunk_id: c for c in self._index.all_chunks()}
        bm25 = BM25Index()
        for c in chunks.values():
            bm25.add(c.chunk_id, f"{c.heading} {c.text}")
        self._chunks, self._bm25 = chunks, bm25
        self._retriever = Retriever(self._index, bm25, chunks, self.calibration)
        self._version = self._index.version()
        self._checked = time.monotonic()

    def _maybe_refresh(self) -> None:
        """Pick up changes made by other processes (checked at most every couple of seconds)."""
        if self._index is None or time.monotonic() - self._checked < VERSION_CHECK_S:
            return
        with self._lock:
            self._checked = time.monotonic()
            try:
                if self._index.version() != self._version:
                    log.info("knowledge base changed elsewhere: reloading")
                    self._reload_mirror()
            except Exception:  # noqa: BLE001 - a transient index error must not break answering
                log.warning("could not check the knowledge base version", exc_info=True)

    # --- ingestion --------------------------------------------------------------------------------

    async def ingest(self, paths: list[Path], progress: bool = True) -> IngestReport:
        await self._ensure_open()
        return await asyncio.to_thread(self._ingest_sync, [Path(p) for p in paths], progress)

    async def _ensure_open(self) -> None:
        if self._index is None:
            async with self._load_lock:
                if self._index is None:
                    await asyncio.to_thread(self._open)

    async def ingest_documents(self, docs: list[LoadedDocument], progress: bool = True) -> IngestReport:
        """Ingest already-loaded documents (programmatic sources, benchmarks)."""
        await self._ensure_open()
        return await asyncio.to_thread(self._ingest_docs, docs, progress, IngestReport(), time.perf_counter())

    def _ingest_sync(self, paths: list[Path], progress: bool) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        docs = []
        for path in expand(paths):
            try:
                docs.extend(load_path(path))
            except (UnsupportedFormat, OSError, ValueError) as exc:
                report.skipped.append(f"{path}: {exc}")
        return self._ingest_docs(docs, progress, report, started)

    def _ingest_docs(self, docs: list[LoadedDocument], progress: bool, report: IngestReport,
                     started: float) -> IngestReport:
        from tqdm import tqdm

        chunks_by_doc = {d.doc_id: chunk_document(d) for d in docs}
        all_chunks = [c for cs in chunks_by_doc.values() for c in cs]
        vectors: list[np.ndarray] = []
        bar = tqdm(total=len(all_chunks), desc="ingest", unit="chunk", disable=not progress)
        for i in range(0, len(all_chunks), EMBED_BATCH):
            part = all_chunks[i : i + EMBED_BATCH]
            vectors.extend(embed_passages([c.embed_text() for c in part]))
            bar.update(len(part))
        bar.close()
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(all_chunks), -1) if vectors else None
        assert self._index is not None
        with self._lock:
            stale: dict[str, list[str]] = {}  # one pass over the mirror, not one per document
            for cid, c in self._chunks.items():
                if c.doc_id in chunks_by_doc:
                    stale.setdefault(c.doc_id, []).append(cid)
            for doc_id in chunks_by_doc:
                if self._index.delete_doc(doc_id):
                    report.replaced.append(doc_id)
                for cid in stale.get(doc_id, ()):
                    self._chunks.pop(cid)
                    self._bm25.remove(cid)
                report.documents.append(doc_id)
            if all_chunks and matrix is not None:
                self._index.upsert(all_chunks, matrix)  # in large batches: Chroma's cost is per call
            for c in all_chunks:
                self._chunks[c.chunk_id] = c
                self._bm25.add(c.chunk_id, f"{c.heading} {c.text}")
            report.chunks = len(all_chunks)
            if docs:
                self._version = self._index.bump_version()
        report.seconds = time.perf_counter() - started
        log.info("ingested %d documents, %d chunks in %.1fs", len(report.documents), report.chunks, report.seconds)
        return report

    async def delete(self, doc_id: str) -> bool:
        await self._ensure_open()
        return await asyncio.to_thread(self._delete_sync, doc_id)

    def _delete_sync(self, doc_id: str) -> bool:
        assert self._index is not None
        with self._lock:
            removed = self._index.delete_doc(doc_id)
            for cid in [k for k, c in self._chunks.items() if c.doc_id == doc_id]:
                self._chunks.pop(cid)
                self._bm25.remove(cid)
            if removed:
                self._version = self._index.bump_version()
        return removed > 0

    async def list_documents(self) -> list[dict]:
        await self._ensure_open()
        await asyncio.to_thread(self._maybe_refresh)
        docs: dict[str, dict] = {}
        with self._lock:
            for c in self._chunks.values():
                d = docs.setdefault(c.doc_id, {"doc_id": c.doc_id, "title": c.title, "updated": c.updated,
                                               "source": c.source, "kind": c.kind, "chunks": 0})
                d["chunks"] += 1
        return sorted(docs.values(), key=lambda d: d["doc_id"])

    # --- retrieval and answers --------------------------------------------------------------------

    def _assess(self, query: str, k: int) -> Assessment:
        self._maybe_refresh()
        with self._lock:
            retriever = self._retriever
        assert retriever is not None
        return retriever.assess(query, k)

    def idf(self, term: str) -> float:
        return self._bm25.idf(term)

    async def search(self, query: str, k: int = 5) -> list[Hit]:
        await self._ensure_open()
        return (await asyncio.to_thread(self._assess, query, k)).hits

    async def answer(self, question: str, lang: str = "zh", llm: Any = None) -> GroundedAnswer:
        """A short grounded reply with citations, or an abstention when the documents do not answer."""
        lang = "en" if lang == "en" else "zh"
        if not question or not question.strip():
            return abstain(lang, 0.0)
        await self._ensure_open()
        found = await asyncio.to_thread(self._assess, question.strip(), max(self.settings.retrieval_top_k, ANSWER_HITS))
        hits, conf = found.hits, clamp_confidence(found.confidence)
        if not hits or conf < self.calibration.threshold:
            return abstain(lang, conf)
        if llm is not None:
            generated = await generate_answer(llm, question, hits, lang, conf)
            if generated is not None:
                return generated
        return await asyncio.to_thread(extractive_answer, question, hits, lang, conf, self.idf)
