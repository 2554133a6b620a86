"""Reading order of a recognised page: the detector's text boxes → the PDF reader's lines.

The detector returns one box per run of text (a line, or a cell of a table row) in no reliable order.
This module puts them in the order a reader reads them, and hands them on as
:class:`corpus.readers.pdf.Line` in PDF points (origin bottom left), so that a scanned page goes through
the same layout logic as a page with a text layer (:func:`corpus.readers.pdf.join_lines`: wrapped lines
joined, a centred title set over several lines made one, page numbers dropped):

- **Skew.** The page's tilt is read from the long boxes' top edges (their median angle) and every box is
  turned back by it, so that a line's left edge and indent are where they were typed.
- **Rows.** Boxes whose vertical middles fall inside each other's extent are one row, read left to right;
  cells set apart by more than a character's height are joined by a tab (a table row: one line), as
  the PDF reader does; a 落款 set flush right stays a line of its own.
- **Columns.** A band of rows that splits at one gutter into two columns of running text (both sides
  several lines, lines long, the left one's lines ending together at the gutter) is read column by column,
  the left one first; a table (short cells) keeps its rows; a centred title or a line across the gutter
  ends the band.
- **Size.** A line's font size is read from its characters' pitch, not its box's height (see :func:`em`).
- **Spaces** the recogniser puts between Chinese characters are removed (spaces between Latin words stay).
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.ocr.engine import OcrBox
from corpus.readers.pdf import Line, _glue

_WIDE = r"\u2e80-\u9fff\u3000-\u303f\uff00-\uffef\U00020000-\U0002ffff"
_SPACE_BY_WIDE = re.compile(rf"(?<=[{_WIDE}])\s+|\s+(?=[{_WIDE}])")


@dataclass
class Rect:
    """A box turned upright: pixels, y down."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def mid(self) -> float:
        return (self.y0 + self.y1) / 2


def tidy(text: str) -> str:
    """The recogniser's text without the spaces it puts beside Chinese characters: "关 于 印发" → "关于印发"."""
    return _SPACE_BY_WIDE.sub("", text.strip())


def skew(boxes: Sequence[OcrBox]) -> float:
    """The page's tilt in radians (positive: lines fall to the right), from boxes at least 4× as wide as
    high; 0 when there are none."""
    angles = []
    for b in boxes:
        (x0, y0), (x1, y1), _, (_, y3) = b.points
        width, height = math.hypot(x1 - x0, y1 - y0), abs(y3 - y0)
        if width >= 4 * max(height, 1.0):
            angles.append(math.atan2(y1 - y0, x1 - x0))
    return statistics.median(angles) if angles else 0.0


def upright(boxes: Sequence[OcrBox], width: float, height: float) -> list[Rect]:
    """Boxes turned back by the page's skew about its centre, as upright rectangles."""
    angle = skew(boxes)
    cos, sin = math.cos(-angle), math.sin(-angle)
    cx, cy = width / 2, height / 2
    out = []
    for b in boxes:
        pts = [
            (cx + (x - cx) * cos - (y - cy) * sin, cy + (x - cx) * sin + (y - cy) * cos) for x, y in b.points
        ]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        out.append(Rect(min(xs), min(ys), max(xs), max(ys), b.text))
    return out


def rows(rects: Sequence[Rect]) -> list[list[Rect]]:
    """Rects grouped into rows top to bottom (a rect joins a row when its middle lies inside the row's
    extent), each row left to right."""
    out: list[list[Rect]] = []
    top = bottom = 0.0
    for r in sorted(rects, key=lambda r: (r.mid, r.x0)):
        if out and top <= r.mid <= bottom:
            out[-1].append(r)
            top, bottom = min(top, r.y0), max(bottom, r.y1)
        else:
            out.append([r])
            top, bottom = r.y0, r.y1
    for row in out:
        row.sort(key=lambda r: r.x0)
    return out


def _gutter(band: list[list[Rect]], width: float) -> float | None:
    """An x in the middle of the page that no rect of ``band`` crosses, with text on both sides of it in
    most rows; None when there is none."""
    rects = [r for row in band for r in row]
    best: tuple[int, float] | None = None
    for i in range(30, 71, 2):
        x = width * i / 100
        if any(r.x0 < x < r.x1 for r in rects):
            continue
        both = sum(1 for row in band if any(r.x1 <= x for r in row) and any(r.x0 >= x for r in row))
        if best is None or both > best[0]:
            best = (both, x)
    return best[1] if best else None


def _running_text(side: list[Rect]) -> bool:
    """Lines of running text: several, long, and most of them wrapped at the column's edge."""
    if len(side) < 3:
        return False
    edge = max(r.x1 for r in side)
    if statistics.median(len(r.text) for r in side) < 8:
        return False
    size = statistics.median(r.height for r in side)
    return sum(1 for r in side if r.x1 >= edge - 1.5 * size) >= 0.5 * len(side)


def column_order(all_rows: list[list[Rect]], width: float) -> list[list[Rect]]:
    """Rows in reading order: a band of rows set in two columns becomes the left column's rows, then the
    right column's (see the module docstring); every other row stays as it is."""
    out: list[list[Rect]] = []
    i = 0
    while i < len(all_rows):
        j = i
        band: list[list[Rect]] = []
        gutter: float | None = None
        # the longest run of rows from i that share a gutter
        while j < len(all_rows):
            trial = _gutter([*band, all_rows[j]], width)
            if trial is None:
                break
            band.append(all_rows[j])
            gutter = trial
            j += 1
        if gutter is not None and len(band) >= 3:
            left = [r for row in band for r in row if r.x1 <= gutter]
            right = [r for row in band for r in row if r.x0 >= gutter]
            if _running_text(left) and _running_text(right):
                out += rows(left) + rows(right)
                i = j
                continue
        out.append(all_rows[i])
        i += 1
    return out


def row_text(row: list[Rect]) -> str:
    """One row's text: cells set apart by more than a character's width joined by a tab."""
    size = em(row)
    cells: list[str] = [tidy(row[0].text)]
    for prev, r in zip(row, row[1:]):
        if r.x0 - prev.x1 > size:
            cells.append(tidy(r.text))
        else:
            cells[-1] = _glue(cells[-1], tidy(r.text))
    return "\t".join(c for c in cells if c)


def _units(text: str) -> float:
    """A text's width in ems: a Chinese character or full-width mark 1, a digit, Latin letter or ASCII
    mark ½ (as Chinese fonts set them)."""
    return sum(0.5 if c.isascii() else 1.0 for c in text if not c.isspace())


def em(row: list[Rect]) -> float:
    """The font size of a row, in pixels: its characters' pitch (a box's width over its ems, less the
    detector's margin), which tells a 20 pt title from 16 pt body text where box heights do not (they
    vary by a fifth with what the line holds); a row of under two ems, by its box height."""
    units = sum(_units(r.text) for r in row)
    if units < 2:
        return statistics.median(r.height for r in row) / 1.15
    inked = sum(r.x1 - r.x0 - 0.14 * r.height for r in row)
    return inked / units


def page_lines(boxes: Sequence[OcrBox], width: int, height: int, dpi: float, page: int) -> list[Line]:
    """A page's boxes (pixels of a ``width`` × ``height`` image at ``dpi``) as lines in reading order, in
    PDF points."""
    pt = 72.0 / dpi
    out = []
    for row in column_order(rows(upright(boxes, width, height)), width):
        text = row_text(row)
        if not text:
            continue
        x0, x1 = min(r.x0 for r in row), max(r.x1 for r in row)
        y0, y1 = min(r.y0 for r in row), max(r.y1 for r in row)
        out.append(Line(text, x0 * pt, x1 * pt, (height - y0) * pt, (height - y1) * pt, em(row) * pt, page))
    return out
