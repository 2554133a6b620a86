"""Word .docx files, through python-docx.

Paragraphs and tables come out in the order of the body: a paragraph a line, a table row a line of its
cells joined by tabs (a merged cell once), in its place among the paragraphs. Numbers Word draws itself
(automatic numbering, "一、" / "（一）" / "1." list levels) are written out in front of their paragraph,
because they are the document's headings. Page headers and footers (page numbers), text boxes, comments
and footnotes are not body text and are left out.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from corpus.readers.base import ReadError, ReadResult

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _chinese(n: int) -> str:
    import cn2an

    return cn2an.an2cn(n)


def _format(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "ideographTraditional", "taiwaneseCounting"):
        return _chinese(n)
    if fmt in ("lowerLetter", "upperLetter"):
        s = chr(ord("a") + (n - 1) % 26)
        return s.upper() if fmt == "upperLetter" else s
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese"):
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)
    if fmt == "none":
        return ""
    return str(n)  # decimal, decimalZero, decimalFullWidth …


class Numbering:
    """Counts Word's automatic numbering as it is met, and writes out each numbered paragraph's label."""

    def __init__(self, document: Any) -> None:
        self.levels: dict[tuple[str, int], tuple[int, str, str]] = {}  # (numId, ilvl) → start, fmt, text
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        abstract = {a.get(f"{_W}abstractNumId"): a for a in root.iter(f"{_W}abstractNum")}
        for num in root.iter(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            a = abstract.get(ref.get(f"{_W}val")) if ref is not None else None
            if a is None:
                continue
            for lvl in a.iter(f"{_W}lvl"):
                start = lvl.find(f"{_W}start")
                fmt = lvl.find(f"{_W}numFmt")
                text = lvl.find(f"{_W}lvlText")
                self.levels[(num.get(f"{_W}numId"), int(lvl.get(f"{_W}ilvl", "0")))] = (
                    int(start.get(f"{_W}val")) if start is not None else 1,
                    fmt.get(f"{_W}val") if fmt is not None else "decimal",
                    text.get(f"{_W}val") if text is not None else "",
                )

    def label(self, p: Any) -> str:
        ppr = p.find(f"{_W}pPr")
        numpr = ppr.find(f"{_W}numPr") if ppr is not None else None
        if numpr is None:
            return ""
        num_id = numpr.find(f"{_W}numId")
        ilvl = numpr.find(f"{_W}ilvl")
        nid = num_id.get(f"{_W}val") if num_id is not None else None
        level = int(ilvl.get(f"{_W}val")) if ilvl is not None else 0
        if nid is None or (nid, level) not in self.levels:
            return ""
        counts = self.counters.setdefault(nid, [0] * 9)
        for k in range(level + 1, 9):
            counts[k] = 0  # a higher level restarts the ones below it
        counts[level] += 1
        text = self.levels[(nid, level)][2]
        for k in range(level + 1):
            start, fmt, _ = self.levels.get((nid, k), (1, "decimal", ""))
            value = start + max(counts[k], 1) - 1
            text = text.replace(f"%{k + 1}", _format(value, fmt))
        return text


def _blocks(body: Any) -> Iterator[Any]:
    """Paragraphs and tables of the body in order, including those inside content controls (w:sdt)."""
    for child in body.iterchildren():
        if child.tag in (f"{_W}p", f"{_W}tbl"):
            yield child
        elif child.tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _blocks(content)


def _table_rows(table: Any) -> Iterator[str]:
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a cell merged across columns comes back once per column
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(p.text.strip() for p in cell.paragraphs if p.text.strip()))
        if any(cells):
            yield "\t".join(cells)


class DocxReader:
    name = "docx"
    version = "1"
    suffixes = (".docx", ".docm")
    isolated = True

    def sniff(self, head: bytes) -> bool:
        return head.startswith(b"PK\x03\x04") and b"word/" in head

    def read(self, data: bytes, name: str) -> ReadResult:
        from docx import Document
        from docx.opc.exceptions import PackageNotFoundError
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                if "word/document.xml" not in z.namelist():
                    raise ReadError("ZIP 压缩包里没有 word/document.xml：不是 Word 文档（.docx）", "not_docx")
            doc = Document(io.BytesIO(data))
        except ReadError:
            raise
        except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
            raise ReadError(f"Word 文档（.docx）已损坏，无法打开：{exc}", "docx_damaged") from exc
        numbering = Numbering(doc)
        lines: list[str] = []
        for block in _blocks(doc.element.body):
            if block.tag == f"{_W}tbl":
                lines.extend(_table_rows(Table(block, doc)))
                continue
            text = Paragraph(block, doc).text.strip()
            if text:
                lines.append(numbering.label(block) + text)
        return ReadResult("\n".join(lines) + "\n" if lines else "")
