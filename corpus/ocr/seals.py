"""Seals are not text: a red round seal (公章) is taken off a colour page before recognition.

An official seal is a red ring with the issuer's name set along its arc and a star inside, stamped over
the 落款. Recognised, its arc gives fragments of rotated characters, and where it covers the 落款 it
breaks the issuer's name and the date printed under it. A seal is found as a blob of red ink that is
round (its box about square), of a seal's size (25–65 mm across, measured against an A4 page's width
when the image does not say) and mostly empty (a ring, not a filled shape); inside its box the red pixels
are made white, so the black type under the seal stays. The red 版头 ("…文件") and the red rule under it
are long, not round: they stay. A grey scan has no red to tell a seal by; there the recogniser's low
confidence on the arc's fragments keeps them out (:mod:`corpus.ocr.pages`).
"""

from __future__ import annotations

import numpy as np

A4_WIDTH_MM = 210.0


def red_mask(image: np.ndarray) -> np.ndarray:
    """Pixels of red ink (RGB uint8 → bool): red clearly above green and blue."""
    rgb = image.astype(np.int16)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return (r > 120) & (r - g > 60) & (r - b > 50)


def remove_seals(image: np.ndarray, px_per_mm: float | None = None) -> tuple[np.ndarray, int]:
    """The page with each round red seal's red ink whitened, and how many seals there were. ``px_per_mm``:
    the image's scale, else the page is taken to be A4 wide."""
    import cv2

    if image.ndim != 3 or image.shape[2] != 3:
        return image, 0
    red = red_mask(image)
    if red.sum() < 100:
        return image, 0
    scale = px_per_mm or image.shape[1] / A4_WIDTH_MM
    # close the gaps between a seal's ring, letters and star, so that it is one blob
    k = max(3, int(3 * scale))
    closed = cv2.morphologyEx(red.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    out = image
    found = 0
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        if not (25 * scale <= max(w, h) <= 65 * scale and 0.75 <= w / h <= 1.33):
            continue
        box = red[y : y + h, x : x + w]
        if not 0.03 <= box.mean() <= 0.6:  # a ring with letters; a filled red disc is no seal
            continue
        if out is image:
            out = image.copy()
        out[y : y + h, x : x + w][box] = 255
        found += 1
    return out, found
