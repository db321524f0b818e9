"""PDF report → text with pypdf (layout mode keeps table columns apart), for the text parser."""

from __future__ import annotations

import io
import logging

log = logging.getLogger(__name__)


class PdfError(ValueError):
    """The bytes are not a readable PDF."""


def pdf_text(data: bytes, max_pages: int = 20) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = reader.pages[:max_pages]
        chunks = []
        for page in pages:
            try:
                text = page.extract_text(extraction_mode="layout")
            except Exception:  # noqa: BLE001 - layout mode fails on some fonts; plain mode is the fallback
                text = page.extract_text()
            chunks.append(text or "")
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise PdfError(str(e)) from e
    return "\n".join(chunks)
