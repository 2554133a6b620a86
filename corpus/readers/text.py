"""Plain text and Markdown files, in any common Chinese encoding (see :mod:`corpus.encoding`)."""

from __future__ import annotations

from corpus.encoding import UndecodableError, decode_bytes, removed_nul_count, replaced_count
from corpus.models import Note
from corpus.readers.base import ReadError, ReadResult


class TextReader:
    name = "text"
    version = "1"
    suffixes = (".txt", ".md", ".text", ".markdown")
    isolated = False  # decoding is linear in the file's size, which POLICY_SEARCH_MAX_FILE_BYTES bounds

    def sniff(self, head: bytes) -> bool:
        return False  # the reader of last resort: any file no other reader claims

    def read(self, data: bytes, name: str) -> ReadResult:
        try:
            text, encoding = decode_bytes(data)
        except UndecodableError as exc:
            raise ReadError(exc.reason, exc.code) from exc
        warnings = []
        if n := replaced_count(encoding):
            warnings.append(Note(f"按 UTF-8 读取，{n} 处无法解码的字节已替换为 U+FFFD", "bytes_replaced"))
        if n := removed_nul_count(encoding):
            warnings.append(Note(f"删除了 {n} 个 NUL 字节（文本中混入的空字符）", "nul_removed"))
        fmt = "markdown" if name.lower().endswith((".md", ".markdown")) else "plain"
        return ReadResult(text, {"encoding": encoding}, warnings, fmt)
