"""The OCR engine: PP-OCRv4's Chinese text detection, direction and recognition models, shipped inside the
``rapidocr-onnxruntime`` wheel (15 MB, no download at run time) and run on ONNX Runtime.

One page image in (RGB, ``numpy`` uint8, H×W×3), its text boxes out: four corner points in the image's
pixels, the recognised text and the recognition confidence (0–1, the model's mean character probability).

The direction model decides for the page, not for each line (:func:`upside_down`). Detection runs on
the page scaled down to at most ``det_side`` pixels on its long side (the DB detector
finds text lines just as well at ~110 dpi, and its cost grows with the pixels); each line is then cut
from the full-resolution page for recognition, so the DPI the page was rendered at is what recognition
sees. rapidocr's own ``__call__`` detects and crops at one scale and drops lines under a confidence of 0.5
without a word; here every line comes back with its confidence, and the caller decides
(:mod:`corpus.ocr.pages`).
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

DET_SIDE = 1280  # long side of the image the detector sees (pixels)
# rapidocr's detector scales an image up until its short side is 736 pixels ("limit_type: min"): a strip of
# one line (165 × 1300) became 736 × 5,800 and held 1 GB. An image is scaled up only while its long side
# stays within DET_SIDE, and padded with white to DET_SHORT, which the detector then leaves as it is.
DET_SHORT = 736
MIN_SIDE = 8  # pixels: an image thinner than this holds no line of text
MAX_THREADS = 8  # threads per model when the settings say 0 (one per core, at most this)
REC_BATCH = 1  # lines per recognition run: long lines padded to one width cost more than one at a time

Points = list[tuple[float, float]]  # top-left, top-right, bottom-right, bottom-left


class OcrUnavailable(RuntimeError):
    """The OCR engine cannot be loaded (``rapidocr-onnxruntime`` or OpenCV missing or broken)."""


@dataclass
class OcrBox:
    """One detected text line: its corners in page pixels, its text, its confidence (0–1)."""

    points: Points
    text: str
    score: float


def engine_version() -> str:
    """What the engine's output depends on, for cache keys: the package's version and these settings."""
    try:
        version = metadata.version("rapidocr-onnxruntime")
    except metadata.PackageNotFoundError:
        version = "missing"
    return f"rapidocr-onnxruntime {version}; det {DET_SIDE}, padded to {DET_SHORT}; page direction; rec"


def _padded(image: np.ndarray, short: int) -> np.ndarray:
    """``image`` with white added below and to the right up to ``short`` pixels on each side (the boxes found
    keep their coordinates)."""
    h, w = image.shape[:2]
    if h >= short and w >= short:
        return image
    out = np.full((max(h, short), max(w, short), image.shape[2]), 255, dtype=image.dtype)
    out[:h, :w] = image
    return out


def upside_down(directions: list, widths: list[int], threshold: float = 0.9) -> bool:
    """Whether a page is upside down: most of its text (by line width) is classified as turned by 180°
    with confidence. The direction model is asked per line, but only the page's majority turns anything:
    alone, it takes a line of brackets and digits ("（2015—2020年）的通知》（辽政办发〔2015〕107号）") for
    upside down, and that line, turned, is lost."""
    turned = sum(
        w for (label, score, *_), w in zip(directions, widths) if "180" in str(label) and score > threshold
    )
    return turned > 0.5 * sum(widths)


class OcrEngine:
    """The three models, loaded once (~0.3 s). ``threads``: ONNX Runtime threads per model, 0 = one per
    core (at most :data:`MAX_THREADS`). Raises :class:`OcrUnavailable` when the package cannot be imported."""

    def __init__(self, threads: int = 0, det_side: int = DET_SIDE) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:  # OpenCV without libGL raises ImportError too
            raise OcrUnavailable(f"{type(exc).__name__}: {exc}") from exc
        # each of the three models has its own thread pool: at most MAX_THREADS each by default, so that a
        # many-core machine does not fill the reader worker's address space with thread stacks
        threads = threads or min(os.cpu_count() or 1, MAX_THREADS)
        options: dict[str, int] = {"rec_batch_num": REC_BATCH, "intra_op_num_threads": threads}
        self._ocr = RapidOCR(**options)
        self.det_side = det_side

    @staticmethod
    def models() -> list[Path]:
        """The model files the package ships (named in the README and the benchmark)."""
        import rapidocr_onnxruntime

        return sorted((Path(rapidocr_onnxruntime.__file__).parent / "models").glob("*.onnx"))

    @staticmethod
    def fingerprint() -> str:
        """Engine version plus a hash of its model files: a new model never reads from an old cache."""
        h = hashlib.blake2b(engine_version().encode(), digest_size=12)
        try:
            for path in OcrEngine.models():
                h.update(path.name.encode())
                h.update(str(path.stat().st_size).encode())
        except (ImportError, OSError):
            pass
        return h.hexdigest()

    def recognize(self, image: np.ndarray, turned: bool = False) -> list[OcrBox]:
        """Every text line of a page (RGB uint8), top to bottom as detected; lines of any confidence. A
        page scanned upside down is turned and read the right way up (its boxes are then the turned
        page's)."""
        import cv2

        h, w = image.shape[:2]
        scale = min(1.0, self.det_side / max(h, w))
        if min(h, w) < MIN_SIDE or min(h, w) * scale < 2:
            return []  # a hairline (1 × 30,000): no line of text fits, and OpenCV cannot scale it
        if scale == 1.0:  # small: up towards DET_SHORT on the short side, the long side within det_side
            scale = max(1.0, min(DET_SHORT / min(h, w), self.det_side / max(h, w)))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        small = (
            cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation) if scale != 1 else image
        )
        found, _ = self._ocr.text_det(_padded(small, DET_SHORT))
        if found is None or len(found) == 0:
            return []
        boxes = [np.asarray(b, dtype=np.float32) / scale for b in found]
        crops = self._ocr.get_crop_img_list(image, boxes)
        try:
            _, directions, _ = self._ocr.text_cls(crops)
            widths = [c.shape[1] for c in crops]
            if not turned and upside_down(directions, widths, self._ocr.text_cls.cls_thresh):
                return self.recognize(np.ascontiguousarray(image[::-1, ::-1]), turned=True)
            results, _ = self._ocr.text_rec(crops)
        except Exception as exc:  # ONNX Runtime reports a failed allocation as its own error
            if "alloc" in str(exc).lower():
                raise MemoryError(str(exc)[:200]) from exc
            raise
        return [
            OcrBox([(float(x), float(y)) for x, y in box], str(text), float(score))
            for box, (text, score, *_) in zip(boxes, results)
        ]


@functools.cache
def shared_engine(threads: int = 0) -> OcrEngine:
    """One engine per process and thread count, made on first use: the PDF and the image reader of a
    worker share it (two would hold the models twice inside the worker's memory cap)."""
    return OcrEngine(threads)
