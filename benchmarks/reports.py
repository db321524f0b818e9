"""Seconds per report for the report reader: pasted text (parse + interpret), FHIR, PDF, and photos
(OCR with the packaged PP-OCR model, first load timed separately). Run: .venv/bin/python benchmarks/reports.py"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "reports"))

from pdfgen import make_pdf  # noqa: E402
from render import render_photo  # noqa: E402
from scoring import CASES, load_yaml  # noqa: E402

from assistant.config import Settings  # noqa: E402
from assistant.hospital import cached_hospital  # noqa: E402
from assistant.services.reports import ReportReader  # noqa: E402


def _timed(fn, items, repeat: int = 1) -> list[float]:
    out = []
    for it in items:
        t = time.perf_counter()
        for _ in range(repeat):
            fn(it)
        out.append((time.perf_counter() - t) / repeat)
    return out


def _line(label: str, secs: list[float]) -> str:
    return (f"{label:<28} n={len(secs):<3} mean={statistics.mean(secs):.4f}s  median={statistics.median(secs):.4f}s  "
            f"max={max(secs):.4f}s")


async def main(photo_limit: int | None = None) -> None:
    reader = ReportReader(cached_hospital(str(Settings().hospital_dir)))
    texts = load_yaml("text_reports.yaml")
    fhirs = [json.loads((CASES / "fhir" / c["file"]).read_text(encoding="utf-8")) for c in load_yaml("fhir_reports.yaml")]
    pdfs = [make_pdf(c["rows"], **({"col_x": c["cols"]} if "cols" in c else {})) for c in load_yaml("pdf_reports.yaml")]
    photos = load_yaml("photo_reports.yaml")[:photo_limit]

    print(_line("text (parse+interpret)", _timed(lambda c: reader.interpret(reader.parse_text(c["text"])), texts, 20)))
    print(_line("FHIR (parse+interpret)", _timed(lambda o: reader.interpret(reader.parse_fhir(o)), fhirs, 20)))
    print(_line("PDF (parse+interpret)", _timed(lambda b: reader.interpret(reader.parse_pdf(b)), pdfs, 5)))

    images = [render_photo(c) for c in photos]
    t = time.perf_counter()
    reader.ocr._load()
    print(f"{'OCR model load (once)':<28} {time.perf_counter() - t:.2f}s")
    secs = []
    for data in images:
        t = time.perf_counter()
        reader.interpret(await reader.read_image(data))
        secs.append(time.perf_counter() - t)
    print(_line("photo (OCR+parse+interpret)", secs))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else None))
