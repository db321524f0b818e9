"""Photo → text lines with the packaged PP-OCR models (rapidocr + onnxruntime): the engine loads lazily,
once; recognition runs in a worker thread; table rows are rebuilt from the text boxes' coordinates."""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


class ImageError(ValueError):
    """The bytes are not a decodable image."""


@dataclass
class Box:
    text: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def h(self) -> float:
        return self.y1 - self.y0


def rows_from_boxes(boxes: list[Box]) -> list[str]:
    """Group boxes into table rows by vertical overlap (robust to slight rotation), left to right,
    cells joined by tabs."""
    if not boxes:
        return []
    boxes = sorted(boxes, key=lambda b: b.cy)
    heights = sorted(b.h for b in boxes)
    median_h = heights[len(heights) // 2] or 1.0
    rows: list[list[Box]] = []
    for b in boxes:
        placed = False
        for row in rows:
            # compare with the row's boxes nearest in x, so a slight tilt doesn't merge neighbouring rows
            near = min(row, key=lambda r: abs((r.x0 + r.x1) / 2 - (b.x0 + b.x1) / 2))
            ref_cy = near.cy + _slope(row) * (((b.x0 + b.x1) / 2) - ((near.x0 + near.x1) / 2))
            if abs(b.cy - ref_cy) < 0.55 * median_h:
                row.append(b)
                placed = True
                break
        if not placed:
            rows.append([b])
    out = []
    for row in sorted(rows, key=lambda r: sum(b.cy for b in r) / len(r)):
        row.sort(key=lambda b: b.x0)
        out.append("\t".join(b.text for b in row))
    return out


def _slope(row: list[Box]) -> float:
    if len(row) < 2:
        return 0.0
    a, b = min(row, key=lambda r: r.x0), max(row, key=lambda r: r.x0)
    dx = ((b.x0 + b.x1) - (a.x0 + a.x1)) / 2
    return 0.0 if dx <= 0 else max(-0.2, min(0.2, (b.cy - a.cy) / dx))


class OcrEngine:
    """Wraps RapidOCR; `await lines(image_bytes)` returns text rows plus a note list."""

    def __init__(self) -> None:
        self._engine: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._engine is None:
                from rapidocr import RapidOCR  # heavy import: only when the first photo arrives

                logging.getLogger("RapidOCR").setLevel(logging.WARNING)
                self._engine = RapidOCR(params={"Global.log_level": "warning"}) if _accepts_params() else RapidOCR()
                _one_orientation_per_page(self._engine)
                log.info("OCR engine loaded")
        return self._engine

    @staticmethod
    def decode(data: bytes) -> Any:
        """Bytes → RGB numpy array, or ImageError."""
        import numpy as np
        from PIL import Image, ImageOps, UnidentifiedImageError

        try:
            img = Image.open(io.BytesIO(data))
            img = ImageOps.exif_transpose(img)
            img = img.convert("RGB")
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
            raise ImageError(str(e)) from e
        w, h = img.size
        if w < 20 or h < 20:
            raise ImageError("image too small")
        scale = 2000 / max(w, h)
        if scale < 1:
            img = img.resize((int(w * scale), int(h * scale)))
        return np.asarray(img)[:, :, ::-1].copy()  # BGR like OpenCV

    def _run(self, arr: Any) -> list[Box]:
        engine = self._load()
        res = engine(arr)
        boxes: list[Box] = []
        if res is None or getattr(res, "boxes", None) is None or res.txts is None:
            return boxes
        for pts, txt, score in zip(res.boxes, res.txts, res.scores, strict=False):
            xs = [float(p[0]) for p in pts]
            ys = [float(p[1]) for p in pts]
            boxes.append(Box(text=str(txt), score=float(score), x0=min(xs), y0=min(ys), x1=max(xs), y1=max(ys)))
        return boxes

    def read_sync(self, data: bytes, score: Callable[[list[str]], int] | None = None) -> tuple[list[str], list[str], float]:
        """Rows of text, notes, mean confidence. `score(rows)` (how many results parse out of the rows)
        picks the page orientation: a sideways or upside-down photo is turned and read again."""
        import numpy as np

        arr = self.decode(data)
        h, w = arr.shape[:2]
        notes: list[str] = []
        boxes = self._run(arr)
        if score is not None and boxes:
            vertical = [b for b in boxes if b.h > 1.5 * (b.x1 - b.x0) and len(b.text) > 1]
            turns = (1, 3) if len(vertical) > len(boxes) / 2 else (0, 2)
            scored = [(score(rows_from_boxes(_turn(boxes, k, w, h))), -abs(k), k) for k in turns]
            best_score, _, best_k = max(scored)
            if best_k != 0:
                again = self._run(np.ascontiguousarray(np.rot90(arr, best_k)))
                if score(rows_from_boxes(again)) >= best_score:
                    boxes = again
                else:
                    boxes = _turn(boxes, best_k, w, h)
                notes.append("photo_rotated")
        conf = sum(b.score for b in boxes) / len(boxes) if boxes else 0.0
        low = [b for b in boxes if b.score < 0.6]
        if boxes and len(low) > len(boxes) / 3:
            notes.append("photo_unclear")
        return rows_from_boxes([b for b in boxes if b.score >= 0.45]), notes, conf

    async def read(self, data: bytes, score: Callable[[list[str]], int] | None = None) -> tuple[list[str], list[str], float]:
        return await asyncio.to_thread(self.read_sync, data, score)


def _turn(boxes: list[Box], k: int, w: int, h: int) -> list[Box]:
    """Box coordinates as they would be in the image turned k quarter-turns counter-clockwise (np.rot90)."""
    if k % 4 == 0:
        return boxes
    out = []
    for b in boxes:
        pts = [(b.x0, b.y0), (b.x1, b.y1)]
        if k % 4 == 1:
            pts = [(y, w - x) for x, y in pts]
        elif k % 4 == 2:
            pts = [(w - x, h - y) for x, y in pts]
        else:
            pts = [(h - y, x) for x, y in pts]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        out.append(Box(b.text, b.score, min(xs), min(ys), max(xs), max(ys)))
    return out


def page_orientation(labels: list[tuple[str, float]], widths: list[int]) -> bool:
    """Whether the page is upside down, by the text lines' angle votes weighted by line width.

    A photographed page has one orientation; the per-line classifier judges each line alone, and a
    short line that reads the same turned round ("9.8 ↓" turned is "↑8.6") can be voted upside down
    with 0.998 confidence. So the page's lines vote and every line follows the page."""
    flipped = sum(w for (label, _), w in zip(labels, widths, strict=True) if "180" in label)
    return flipped > sum(widths) / 2


def _one_orientation_per_page(engine: Any) -> None:
    """Make rapidocr's per-line angle step (RapidOCR.cls_and_rotate, rapidocr 3.10) turn all lines
    the way most of the page is turned."""
    per_line = getattr(engine, "cls_and_rotate", None)
    if per_line is None:  # another rapidocr: keep its own behaviour
        return

    def per_page(crops: list[Any]) -> tuple[list[Any], Any]:
        import numpy as np

        turned, result = per_line(crops)
        labels = list(getattr(result, "cls_res", None) or [])
        if len(labels) != len(crops):
            return turned, result
        upside_down = page_orientation(labels, [int(c.shape[1]) for c in crops])
        return [np.ascontiguousarray(c[::-1, ::-1]) if upside_down else c for c in crops], result

    engine.cls_and_rotate = per_page


def _accepts_params() -> bool:
    try:
        import inspect

        from rapidocr import RapidOCR

        return "params" in inspect.signature(RapidOCR.__init__).parameters
    except Exception:  # noqa: BLE001 - only a probe
        return False
