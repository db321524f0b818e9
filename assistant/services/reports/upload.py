"""An uploaded file → ParsedReport: sniffs the real type from the bytes (photo, PDF, FHIR JSON, text),
refuses oversized files and files that only pretend to be images, with a reason the patient can act on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.services.reports.models import ParsedReport
from assistant.services.reports.ocr import ImageError

if TYPE_CHECKING:
    from assistant.services.reports.reader import ReportReader

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".gif", ".bmp")


@dataclass
class UploadRejected(Exception):
    status: int
    code: str
    message_zh: str
    message_en: str

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh


def sniff(data: bytes) -> str:
    """jpeg | png | webp | heic | gif | pdf | json | text | binary | empty."""
    if not data:
        return "empty"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc", b"ftypheif"):
        return "heic"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.lstrip()[:5] == b"%PDF-":
        return "pdf"
    text = _decode_text(data)
    if text is None:
        return "binary"
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped[:1] in ("{", "["):
        try:
            json.loads(stripped)
            return "json"
        except json.JSONDecodeError:
            return "text"
    return "text"


def _decode_text(data: bytes) -> str | None:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for c in text[:4000] if ord(c) < 32 and c not in "\t\r\n\f")
        if controls <= max(2, len(text[:4000]) // 200):
            return text
    return None


def claims_image(filename: str | None, content_type: str | None) -> bool:
    return bool((content_type or "").lower().startswith("image/") or (filename or "").lower().endswith(IMAGE_EXTS))


async def read_upload(reader: ReportReader, data: bytes, filename: str | None = None,
                      content_type: str | None = None) -> ParsedReport:
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRejected(413, "file_too_large", f"文件太大（{len(data) / 1048576:.1f} MB），最大 10 MB。请拍一张普通大小的照片，或直接粘贴报告文字。",
                             f"The file is too large ({len(data) / 1048576:.1f} MB); the limit is 10 MB. Please send a normal-size photo or paste the report text.")
    kind = sniff(data)
    if kind == "empty":
        raise UploadRejected(422, "empty_file", "文件是空的，请重新选择报告照片或文件。", "The file is empty; please choose the report photo or file again.")
    if kind in ("heic", "gif"):
        raise UploadRejected(415, "unsupported_image", "暂不支持这种图片格式（如 HEIC/GIF），请用 JPG 或 PNG 照片，或在手机设置里选“兼容性最佳”后重新拍摄。",
                             "This image format (e.g. HEIC/GIF) is not supported; please send a JPG or PNG photo.")
    is_image = kind in ("jpeg", "png", "webp")
    if claims_image(filename, content_type) and not is_image:
        raise UploadRejected(415, "not_an_image", "这个文件的名称或类型标明是图片，但内容不是图片，无法识别。请重新拍照上传（JPG/PNG/WebP），或直接粘贴报告文字。",
                             "The file is named or labelled as an image, but its content is not an image. Please upload a real photo (JPG/PNG/WebP) or paste the report text.")
    if is_image:
        try:
            return await reader.read_image(data)
        except ImageError as e:
            raise UploadRejected(422, "unreadable_image", "图片已损坏或无法打开，请重新拍照上传。",
                                 "The image is damaged or cannot be opened; please take the photo again.") from e
    if kind == "pdf":
        return reader.parse_pdf(data)
    if kind == "json":
        text = _decode_text(data) or ""
        return reader.parse_fhir(text.lstrip("\ufeff"))
    if kind == "text":
        r = reader.parse_text(_decode_text(data) or "")
        return r
    raise UploadRejected(415, "unsupported_type", "无法识别这种文件。请上传报告照片（JPG/PNG/WebP）、PDF、FHIR JSON 或文本文件。",
                         "Unsupported file. Please upload a photo (JPG/PNG/WebP), a PDF, FHIR JSON or a text file.")
