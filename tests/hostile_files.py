"""Hostile files, as an attacker would make them to cost a build time or memory (issue 32), each written
here from a few lines of code: none is stored in the repository.

- ``deep_divs.html``: a page of ``depth`` nested ``<div>`` (100,000 ≈ 1.1 MB) with a real clause at
  the bottom and one half way down;
- ``deep_divs.jsonl``: one record whose ``text`` is such markup (200,000 deep);
- ``nested_tables.html``: ``depth`` tables, each in the one cell of the table around it;
- ``big_page.html``: a saved 政府信息公开 page padded to ``size`` bytes (49 MB) with paragraphs of markup;
- ``flate_bomb.pdf``: a one-page PDF whose content stream inflates to ``size`` bytes (2 GB of spaces
  from 2 MB of Flate data) ahead of one line of text;
- ``record_bomb.jsonl.gz``: records around a line that inflates to ``size`` bytes (512 MB);
- ``rc4_empty_password.pdf``: a PDF encrypted with RC4 (128-bit, reportlab's standard security handler)
  whose user password is empty: any reader opens it.

``scripts/hostile_inputs.py`` times each one through ``inspect`` and the reindex path; the tests of
``tests/test_hostile_inputs.py`` use the same writers at the sizes the issue names where they are cheap,
and smaller where a limit can be lowered instead.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

CLAUSE = (
    "（三）放宽准入条件。社会力量举办医疗机构，除法律法规规定的情形外，不得设置床位规模、选址距离等前置条件。"
    "诊所设置实行备案管理，县卫生健康局在收到备案材料之日起15个工作日内完成审核。"
)
MIDDLE = "（四）推进医师多点执业。鼓励在职医师到社会办医疗机构多点执业，医师在第一执业地点以外的医疗机构执业，应当备案。"
TITLE = "永吉县促进社会办医持续健康规范发展实施方案"


def deep_markup(depth: int, tag: str = "div") -> str:
    """``depth`` nested elements, a clause half way down and one at the bottom."""
    half = depth // 2
    return (
        f"<{tag}>" * half
        + f"<p>{MIDDLE}</p>"
        + f"<{tag}>" * (depth - half)
        + f"<p>{CLAUSE}</p>"
        + f"</{tag}>" * depth
    )


def page(body: str, title: str = TITLE) -> str:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}_永吉县人民政府</title></head>'
        f"<body><h1>{title}</h1>{body}</body></html>"
    )


def write_deep_divs(path: Path, depth: int = 100_000) -> Path:
    path.write_text(page(deep_markup(depth)), encoding="utf-8")
    return path


def write_deep_record(path: Path, depth: int = 200_000) -> Path:
    rec = {"id": "deep-1", "title": TITLE, "text": deep_markup(depth)}
    path.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def nested_tables(depth: int) -> str:
    return "<table><tr><td>" * depth + f"<p>{CLAUSE}</p>" + "</td></tr></table>" * depth


def write_nested_tables(path: Path, depth: int = 20_000) -> Path:
    path.write_text(page(f"<p>{MIDDLE}</p>" + nested_tables(depth)), encoding="utf-8")
    return path


def write_big_page(path: Path, size: int = 49_000_000) -> Path:
    """A page of ``size`` bytes: the info table, then paragraphs of the clause (each numbered, so that no
    two are equal) until the size is reached."""
    head = page("").split("<body>")[0] + f'<body><h1>{TITLE}</h1><div id="zoom">'
    tail = "</div></body></html>"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(head)
        n, written = 0, len(head.encode())
        while written < size - len(tail):
            n += 1
            para = f"<p>{n}. {CLAUSE}</p>\n"
            fh.write(para)
            written += len(para.encode())
        fh.write(tail)
    return path


def write_record_bomb(path: Path, size: int = 512 * 1024 * 1024) -> Path:
    """A .jsonl.gz of three records whose middle line inflates to ``size`` bytes (a text of one letter
    repeated, ~1/1000 of it compressed); the records around it are ordinary."""
    ok = [
        json.dumps({"id": f"ok-{i}", "title": TITLE, "text": t}, ensure_ascii=False)
        for i, t in ((1, CLAUSE), (2, MIDDLE))
    ]
    with gzip.open(path, "wb", compresslevel=6) as fh:
        fh.write(ok[0].encode() + b"\n" + b'{"id": "bomb", "text": "')
        chunk = b"a" * (16 << 20)
        left = size
        while left > 0:
            fh.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
        fh.write(b'"}\n' + ok[1].encode() + b"\n")
    return path


def _pdf(objects: list[bytes], encrypt: bytes | None = None) -> bytes:
    """A PDF of ``objects`` (numbered from 1; object 1 the catalog), with its xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def write_flate_bomb(path: Path, size: int = 2 * 1024**3) -> Path:
    """A page whose content stream is ``size`` bytes of spaces (Flate, ~1/1000 of it), then a line of text."""
    comp = zlib.compressobj(9)
    chunk = b" " * (16 << 20)
    parts = []
    left = size
    while left > 0:
        parts.append(comp.compress(chunk[: min(left, len(chunk))]))
        left -= min(left, len(chunk))
    parts.append(comp.compress(b"\nBT /F1 12 Tf 72 720 Td (Flate bomb page) Tj ET\n"))
    parts.append(comp.flush())
    data = b"".join(parts)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    path.write_bytes(_pdf(objects))
    return path


def write_rc4_pdf(path: Path) -> Path:
    """The county plan's opening lines in a PDF encrypted with RC4-128, user password empty."""
    from reportlab.lib import pdfencrypt
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    enc = pdfencrypt.StandardEncryption("", ownerPassword="owner-secret", canPrint=1, canCopy=0, strength=128)
    c = canvas.Canvas(str(path), pagesize=(595, 842), encrypt=enc)
    c.setFont("STSong-Light", 22)
    c.drawString(120, 760, TITLE)
    c.setFont("STSong-Light", 14)
    y = 720
    for k in range(0, len(CLAUSE), 30):
        c.drawString(72, y, CLAUSE[k : k + 30])
        y -= 24
    c.showPage()
    c.save()
    return path
