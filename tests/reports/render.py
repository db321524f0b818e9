"""Renders lab-report photos for the tests from row specs (cases/photo_reports.yaml) with Debian's Noto CJK
fonts, then degrades them like a phone photo: rotation, blur, uneven light, noise, JPEG compression."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
FONTS = {"sans": ("NotoSansCJK-Regular.ttc", 2), "serif": ("NotoSerifCJK-Regular.ttc", 2), "bold": ("NotoSansCJK-Bold.ttc", 2)}


def _font(kind: str, size: int) -> ImageFont.FreeTypeFont:
    name, index = FONTS.get(kind, FONTS["sans"])
    path = FONT_DIR / name
    if not path.exists():
        path = FONT_DIR / FONTS["sans"][0]
    return ImageFont.truetype(str(path), size, index=index)


def render_clean(spec: dict[str, Any]) -> Image.Image:
    size = int(spec.get("font_size", 26))
    font = _font(spec.get("font", "sans"), size)
    title_font = _font("bold", size + 8)
    cols: list[int] = spec.get("cols", [40, 330, 470, 640, 800])
    rows: list[list[str]] = spec["rows"]
    line_h = int(size * 1.9)
    width = spec.get("width", max(cols) + 260)
    header = spec.get("header", ["滨江示例人民医院 检验报告单", "姓名: 某某  性别: 男  年龄: 45岁  标本: 血清"])
    height = 60 + line_h * (len(rows) + len(header) + 2)
    img = Image.new("RGB", (width, height), (250, 250, 246))
    d = ImageDraw.Draw(img)
    y = 30
    for i, h in enumerate(header):
        d.text((cols[0], y), h, font=title_font if i == 0 else font, fill=(20, 20, 20))
        y += line_h
    if spec.get("grid"):
        d.line((cols[0] - 10, y - 8, width - 30, y - 8), fill=(60, 60, 60), width=2)
    for r, row in enumerate(rows):
        for x, cell in zip(cols, row, strict=False):
            if cell:
                d.text((x, y), cell, font=font, fill=(15, 15, 25))
        y += line_h
        if spec.get("grid") and r == 0:
            d.line((cols[0] - 10, y - 10, width - 30, y - 10), fill=(60, 60, 60), width=1)
    d.text((cols[0], y + 10), "检验者: 王某  审核者: 赵某  本报告仅对所检标本负责", font=_font("sans", max(16, size - 6)), fill=(40, 40, 40))
    return img


def degrade(img: Image.Image, spec: dict[str, Any], seed: int) -> bytes:
    rnd = random.Random(seed)
    aug = spec.get("aug", {})
    w, h = img.size
    if aug.get("light"):
        # uneven lighting: darken towards one corner
        grad = Image.linear_gradient("L").resize((w, h)).rotate(rnd.choice([0, 90, 180, 270]))
        shade = Image.new("RGB", (w, h), (70, 65, 55))
        img = Image.composite(shade, img, grad.point(lambda v: int(v * aug["light"])))
    if aug.get("noise"):
        import numpy as np

        arr = np.asarray(img).astype("int16")
        noise = np.random.default_rng(seed).normal(0, aug["noise"], arr.shape)
        img = Image.fromarray(np.clip(arr + noise, 0, 255).astype("uint8"))
    if aug.get("rotate"):
        img = img.rotate(aug["rotate"], expand=True, fillcolor=(205, 200, 190), resample=Image.BICUBIC)
    if aug.get("blur"):
        img = img.filter(ImageFilter.GaussianBlur(aug["blur"]))
    if aug.get("scale"):
        img = img.resize((int(img.width * aug["scale"]), int(img.height * aug["scale"])), Image.BILINEAR)
    buf = io.BytesIO()
    fmt = aug.get("format", "JPEG")
    if fmt == "JPEG":
        img.save(buf, "JPEG", quality=int(aug.get("quality", 60)))
    else:
        img.save(buf, fmt)
    return buf.getvalue()


def render_photo(spec: dict[str, Any], seed: int = 7) -> bytes:
    return degrade(render_clean(spec), spec, seed)


if __name__ == "__main__":  # write the photos to a directory to look at them
    import sys

    import yaml

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/report-photos")
    out.mkdir(parents=True, exist_ok=True)
    specs = yaml.safe_load((Path(__file__).parent / "cases" / "photo_reports.yaml").read_text(encoding="utf-8"))
    for s in specs:
        (out / f"{s['id']}.jpg").write_bytes(render_photo(s))
    print(f"wrote {len(specs)} photos to {out}")
