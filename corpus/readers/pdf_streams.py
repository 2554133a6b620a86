"""Refuse a PDF whose compressed streams inflate past a bound, before PDFium inflates them (issue 32).

A Flate stream of 2 MB can hold 2 GB of spaces (deflate reaches about 1:1000). PDFium inflates a page's
content stream whole, in memory, so such a file ran the reader's worker into its memory cap and PDFium
aborted (``reader_crashed`` at 2.0 GB). This check finds each stream of the file (``stream`` after a
dictionary, up to ``endstream``), inflates it through as many Flate layers as its dictionary names,
counting the output without keeping it (images are passed over: text extraction never inflates
them), and refuses the file (``pdf_stream_too_large``) at the first
stream that passes ``MAX_STREAM_BYTES``. It costs a pass of zlib over the file's Flate data (a 2 GB bomb
is refused after inflating 256 MB: 0.3 s on a quiet machine, 3 s on a loaded one); inflating stops for good after
``MAX_SCAN_BYTES`` in all (what is left is bounded by the worker's memory cap). Encrypted streams do not
inflate before PDFium decrypts them and are passed over here: the worker's cap answers for them.
"""

from __future__ import annotations

import re
import zlib

from corpus.readers.base import ReadError

MAX_STREAM_BYTES = 256 * 1024 * 1024  # a 600 dpi A4 colour scan is 105 MB raw; page text is kilobytes
MAX_SCAN_BYTES = 512 * 1024 * 1024  # inflated in all, then the check stops (0.5 to 5 s of zlib)
_STREAM = re.compile(rb">>\s*stream\r?\n")
_IMAGE = re.compile(rb"/Subtype\s*/Image")
_CHUNK = 1 << 20
_OUT = 16 << 20


def _layers(data: bytes, start: int) -> int:
    """How many Flate filters the dictionary before ``start`` names (0: not a Flate stream, or an image,
    which PDFium does not inflate to read text)."""
    obj = data.rfind(b"obj", max(0, start - 4096), start)
    head = data[obj if obj >= 0 else max(0, start - 4096) : start]
    if _IMAGE.search(head):
        return 0
    return min(4, head.count(b"/FlateDecode"))


def _inflated_size(data: bytes, start: int, end: int, layers: int, cap: int) -> int:
    """Bytes the stream ``data[start:end]`` inflates to through ``layers`` Flate layers, counted up to
    a little past ``cap``; what does not inflate (an encrypted or damaged stream) counts what it gave."""
    chain = [zlib.decompressobj() for _ in range(layers)]
    total = 0

    def feed(level: int, chunk: bytes) -> None:
        nonlocal total
        d = chain[level]
        while chunk and total <= cap:
            out = d.decompress(chunk, _OUT)
            chunk = d.unconsumed_tail
            if level + 1 < len(chain):
                feed(level + 1, out)
            else:
                total += len(out)
            if d.eof or not out:  # the stream's end (bytes after it stay in the tail), or no progress
                break

    try:
        for pos in range(start, end, _CHUNK):
            feed(0, data[pos : min(end, pos + _CHUNK)])
            if total > cap or chain[0].eof:
                break
    except zlib.error:
        pass
    return total


def check_streams(data: bytes, max_stream: int | None = None, max_scan: int | None = None) -> None:
    """:class:`ReadError` (``pdf_stream_too_large``) when a Flate stream of the PDF ``data`` inflates
    to more than ``max_stream`` bytes (default ``MAX_STREAM_BYTES``)."""
    max_stream = max_stream or MAX_STREAM_BYTES
    budget = max_scan or MAX_SCAN_BYTES
    for m in _STREAM.finditer(data):
        layers = _layers(data, m.start())
        if not layers:
            continue
        end = data.find(b"endstream", m.end())
        end = len(data) if end < 0 else end
        size = _inflated_size(data, m.end(), end, layers, min(max_stream, budget))
        if size > max_stream:
            raise ReadError(
                f"PDF 中一个 {(end - m.end()) / 1e6:.1f} MB 的压缩流解压后超过 {max_stream // (1024 * 1024)} MB"
                "（疑似压缩炸弹）：为免耗尽内存，不读取",
                "pdf_stream_too_large",
            )
        budget -= size
        if budget <= 0:
            return
