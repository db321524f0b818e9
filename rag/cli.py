"""``patient-assistant ingest PATH...``: the synchronous entry point the CLI calls."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from assistant.config import Settings
from rag.types import IngestReport


def ingest_main(paths: Sequence[str | Path], settings: Settings, progress: bool = True) -> IngestReport:
    """Ingest files or directories (a hospital directory means its docs and data), replacing any
    earlier version of each document, and print a summary."""
    from rag.knowledge import KnowledgeBase

    async def run() -> IngestReport:
        kb = KnowledgeBase(settings)
        return await kb.ingest([Path(p) for p in paths], progress=progress)

    report = asyncio.run(run())
    print(f"ingested {len(report.documents)} documents ({report.chunks} chunks) in {report.seconds:.1f}s"
          + (f"; replaced: {', '.join(report.replaced)}" if report.replaced else ""))
    for skipped in report.skipped:
        print(f"skipped {skipped}")
    return report
