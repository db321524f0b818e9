"""Lab report reading (检查结果解读): parse pasted text, FHIR, PDF or photos; flag values; explain them."""

from assistant.services.reports.models import Interpretation, JudgedItem, ParsedReport, ReadItem
from assistant.services.reports.ocr import ImageError
from assistant.services.reports.reader import ReportReader, looks_like_report

__all__ = ["ReportReader", "looks_like_report", "ParsedReport", "ReadItem", "Interpretation", "JudgedItem", "ImageError"]
