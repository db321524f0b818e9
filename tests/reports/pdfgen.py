"""Writes small text-layer PDFs of lab reports for the tests (no PDF library needed): a Type0 font using
Adobe's predefined STSong-Light / UniGB-UCS2-H encoding, the way many Chinese LIS exports are made."""

from __future__ import annotations


def _hex(s: str) -> str:
    return "<" + s.encode("utf-16-be").hex().upper() + ">"


def make_pdf(rows: list[list[str]], col_x: list[int] | None = None, title: str = "检验报告单") -> bytes:
    """One page; each row's cells placed at fixed x positions (a table), 18 pt apart."""
    col_x = col_x or [40, 200, 290, 350, 430, 500]
    lines = ["BT", "/F1 14 Tf", f"1 0 0 1 40 800 Tm {_hex(title)} Tj", "ET"]
    y = 770
    for row in rows:
        for x, cell in zip(col_x, row, strict=False):
            if cell:
                lines += ["BT", "/F1 10 Tf", f"1 0 0 1 {x} {y} Tm {_hex(cell)} Tj", "ET"]
        y -= 18
    content = "\n".join(lines).encode("ascii")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 7 0 R /DW 1000 /W [1 95 500] >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)
