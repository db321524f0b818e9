"""ReportReader: the one entry point for reading a lab report (text, FHIR, PDF, photo) and interpreting it."""

from __future__ import annotations

import json
import logging
from typing import Any

from assistant.hospital import HospitalData
from assistant.services.reports.dictionary import ItemDictionary
from assistant.services.reports.explain import Explainer
from assistant.services.reports.fhir import FhirParser
from assistant.services.reports.judge import Judge
from assistant.services.reports.models import Interpretation, JudgedItem, ParsedReport
from assistant.services.reports.ocr import ImageError, OcrEngine
from assistant.services.reports.pdf import PdfError, pdf_text
from assistant.services.reports.text_parser import TextParser

log = logging.getLogger(__name__)


class ReportReader:
    def __init__(self, hospital: HospitalData) -> None:
        self.hospital = hospital
        self.dictionary = ItemDictionary(hospital)
        self.text_parser = TextParser(self.dictionary)
        self.fhir_parser = FhirParser(self.dictionary)
        self.judge = Judge(hospital, self.dictionary)
        self.explainer = Explainer(hospital)
        self.ocr = OcrEngine()

    # --- reading -------------------------------------------------------------------------------
    def parse_text(self, text: str) -> ParsedReport:
        stripped = (text or "").lstrip()
        if stripped.startswith("{") and '"resourceType"' in stripped:
            try:
                return self.parse_fhir(json.loads(stripped))
            except json.JSONDecodeError:
                pass
        return self.text_parser.parse(text or "")

    def parse_fhir(self, obj: Any) -> ParsedReport:
        if isinstance(obj, (str, bytes)):
            try:
                obj = json.loads(obj)
            except (json.JSONDecodeError, UnicodeDecodeError):
                r = ParsedReport(source="fhir")
                r.notes.append("invalid JSON")
                return r
        return self.fhir_parser.parse(obj)

    def parse_pdf(self, data: bytes) -> ParsedReport:
        try:
            text = pdf_text(data)
        except PdfError:
            r = ParsedReport(source="pdf")
            r.notes.append("PDF could not be opened")
            return r
        r = self.text_parser.parse(text)
        r.source = "pdf"
        if not text.strip():
            r.notes.append("the PDF has no text layer (a scanned PDF): please upload a photo instead")
        return r

    async def read_image(self, data: bytes) -> ParsedReport:
        """OCR a photo (in a worker thread). Raises ImageError for bytes that are not an image."""
        rows, notes, conf = await self.ocr.read(data, score=self._rows_score)
        r = self.text_parser.parse("\n".join(rows))
        r.source = "image"
        r.notes.extend(_NOTE_ZH.get(n, n) for n in notes)
        if not rows:
            r.notes.append(_NOTE_ZH["no_text"])
        elif not r.items:
            r.notes.append(_NOTE_ZH["photo_unclear"])
        log.debug("ocr rows=%d items=%d conf=%.2f", len(rows), len(r.items), conf)
        return r

    def _rows_score(self, rows: list[str]) -> int:
        return sum(1 for i in self.text_parser.parse("\n".join(rows)).items if i.code)

    # --- meaning -------------------------------------------------------------------------------
    def interpret(self, report: ParsedReport, sex: str | None = None, age: float | None = None,
                  lang: str = "zh") -> Interpretation:
        sex = _norm_sex(sex) or report.sex
        age = age if age is not None else report.age
        judged: list[JudgedItem] = []
        unjudged: list[JudgedItem] = []
        for item in report.items:
            j = self.judge.judge(item, sex, age, lang)
            (judged if j.flag else unjudged).append(j)
        return self.explainer.explain(report, judged, unjudged, lang)

    def looks_like_report(self, text: str) -> bool:
        return looks_like_report(text, self)


_NOTE_ZH = {
    "photo_rotated": "照片是横着或倒着拍的，我已旋转后识别",
    "photo_unclear": "照片不够清晰，部分文字可能识别不准",
    "no_text": "照片中没有识别到文字（可能太模糊、太暗或不是化验单）",
}


def _norm_sex(sex: str | None) -> str | None:
    if not sex:
        return None
    s = str(sex).strip().lower()
    if s in ("m", "male", "男", "man"):
        return "M"
    if s in ("f", "female", "女", "woman"):
        return "F"
    return None


def looks_like_report(text: str, reader: ReportReader | None = None) -> bool:
    """True when the text carries lab results (so the router can send it to the report action)."""
    if not text or len(text) < 3:
        return False
    if reader is None:
        from assistant.config import Settings

        reader = _default_reader(str(Settings().hospital_dir))
        if reader is None:
            return False
    parsed = reader.parse_text(text)
    known = [i for i in parsed.items if i.code]
    if len(known) >= 2:
        return True
    for i in known:
        short_code = len(i.name) <= 2 and i.name.isascii()
        if i.unit or i.ref_low is not None or i.ref_high is not None or i.mark or not short_code:
            return True
    return False


_READERS: dict[str, ReportReader] = {}


def _default_reader(hospital_dir: str) -> ReportReader | None:
    from assistant.hospital import cached_hospital

    if hospital_dir not in _READERS:
        try:
            _READERS[hospital_dir] = ReportReader(cached_hospital(hospital_dir))
        except FileNotFoundError:
            return None
    return _READERS[hospital_dir]


__all__ = ["ReportReader", "looks_like_report", "ImageError"]
