"""Scans made from PDFs, for the OCR tests and benchmark: pages rendered with pypdfium2, degraded as a
scanner or a photocopier degrades them (grey paper, noise, blur, a small tilt, JPEG), stamped with a red
round seal, and written back as an image-only PDF, page images or a multi-page TIFF.

Rendering a PDF typeset with a font it does not embed (reportlab's STSong-Light) needs a Chinese font on
the machine (PDFium substitutes it): :func:`chinese_font` says whether there is one.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont


def chinese_font() -> str | None:
    """A font file with Chinese glyphs that fontconfig knows (PDFium substitutes with it), or None."""
    if shutil.which("fc-match") is None:
        return None
    done = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False)
    files = [line.split(":")[0].strip() for line in done.stdout.splitlines() if line.strip()]
    return sorted(files)[0] if files else None


def render(pdf: Path, dpi: int, pages: list[int] | None = None) -> list[Image.Image]:
    """The PDF's pages (``pages``: their numbers from 1; default all) as RGB images at ``dpi``."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        wanted = pages or list(range(1, len(doc) + 1))
        return [doc[n - 1].render(scale=dpi / 72).to_pil().convert("RGB") for n in wanted]
    finally:
        doc.close()


def degrade(
    img: Image.Image,
    noise: float = 12.0,
    blur: float = 0.0,
    skew: float = 0.0,
    paper: int = 232,
    seed: int = 0,
) -> Image.Image:
    """A scanned look: paper greyed to ``paper``, Gaussian noise of ``noise`` grey levels, a blur of
    ``blur`` pixels, turned by ``skew`` degrees (white corners, as a flatbed leaves them)."""
    arr = np.asarray(img.convert("RGB"), dtype=np.float32)
    arr = arr * (paper / 255.0)
    if blur:
        arr = np.asarray(
            Image.fromarray(arr.clip(0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(blur))
        )
        arr = arr.astype(np.float32)
    rng = np.random.default_rng(seed)
    arr = arr + rng.normal(0.0, noise, arr.shape[:2])[..., None]
    out = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    if skew:
        out = out.rotate(skew, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(paper,) * 3)
    return out


def stamp_seal(img: Image.Image, centre: tuple[int, int], diameter: int, name: str, font: str) -> Image.Image:
    """A red round seal (ring, the issuer's name along the upper arc, a star) stamped over ``centre``:
    multiplied onto the page, so the black type under it stays black."""
    size = diameter + 8
    seal = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(seal)
    red = (210, 30, 35)
    c = size / 2
    r = diameter / 2
    draw.ellipse((c - r, c - r, c + r, c + r), outline=red, width=max(3, diameter // 40))
    glyph = int(diameter * 0.12)
    face = ImageFont.truetype(font, glyph)
    n = len(name)
    for i, ch in enumerate(name):
        angle = math.radians(-200 + 220 * (i + 0.5) / n)  # along the arc over the star, left to right
        x, y = c + (r - glyph * 0.9) * math.cos(angle), c + (r - glyph * 0.9) * math.sin(angle)
        tile = Image.new("L", (glyph * 2, glyph * 2), 0)
        ImageDraw.Draw(tile).text((glyph / 2, glyph / 2), ch, font=face, fill=255)
        tile = tile.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        seal.paste(Image.new("RGB", tile.size, red), (int(x - glyph), int(y - glyph)), tile)
    star = [
        (c + r * 0.28 * math.cos(math.radians(-90 + k * 36)) * (1 if k % 2 == 0 else 0.4),
         c + r * 0.28 * math.sin(math.radians(-90 + k * 36)) * (1 if k % 2 == 0 else 0.4))
        for k in range(10)
    ]  # fmt: skip
    draw.polygon(star, fill=red)
    out = np.asarray(img.convert("RGB"), dtype=np.float32)
    x0, y0 = int(centre[0] - size / 2), int(centre[1] - size / 2)
    region = out[y0 : y0 + size, x0 : x0 + size]
    region *= np.asarray(seal, dtype=np.float32)[: region.shape[0], : region.shape[1]] / 255.0
    return Image.fromarray(out.clip(0, 255).astype(np.uint8))


def image_pdf(pages: list[Image.Image], path: Path, dpi: int) -> Path:
    """An image-only PDF (JPEG pages, no text layer), as a scanner writes one."""
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=dpi, quality=85)
    return path


def tiff(pages: list[Image.Image], path: Path, dpi: int) -> Path:
    """A multi-page TIFF (LZW), as a scanner files a notice."""
    pages[0].save(
        path, "TIFF", save_all=True, append_images=pages[1:], dpi=(dpi, dpi), compression="tiff_lzw"
    )
    return path
