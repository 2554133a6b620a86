"""Legacy Word .doc files (Word 97–2003, OLE2), through antiword, else catdoc, else LibreOffice headless.

All are optional (Debian packages): where none is installed, each .doc file is reported with how to
install one (``apt-get install antiword``). antiword prints a paragraph a line with ``-w 0`` and tables as
``|cell|cell|`` rows, which become tab-separated rows as the other readers give them; LibreOffice
(``soffice --convert-to txt``) writes a UTF-8 text file, a paragraph a line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from corpus.readers.base import ReadError, ReadResult

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_WORD_STREAM = "WordDocument".encode("utf-16-le")
_TIMEOUT_S = 300  # the worker's own limit (POLICY_SEARCH_READER_TIMEOUT_SECONDS) normally comes first


def _row(line: str) -> str:
    """antiword's table row "|序号 |重点任务 |" → "序号\\t重点任务"."""
    s = line.strip()
    if len(s) > 1 and s.startswith("|") and s.endswith("|"):
        return "\t".join(c.strip() for c in s[1:-1].split("|"))
    return line


def _commands(path: str) -> list[tuple[str, list[str], str | None]]:
    """(tool, command, the file it writes, or None for stdout), in order of preference."""
    out: list[tuple[str, list[str], str | None]] = []
    if exe := shutil.which("antiword"):
        out.append(("antiword", [exe, "-m", "UTF-8.txt", "-w", "0", path], None))
    if exe := shutil.which("catdoc"):
        out.append(("catdoc", [exe, "-d", "utf-8", "-w", path], None))
    if exe := shutil.which("soffice") or shutil.which("libreoffice"):
        outdir = os.path.dirname(path)
        profile = (
            f"-env:UserInstallation=file://{outdir}/profile"  # its own profile: runs beside a desktop one
        )
        cmd = [
            exe,
            profile,
            "--headless",
            "--convert-to",
            "txt:Text (encoded):UTF8",
            "--outdir",
            outdir,
            path,
        ]
        out.append(("soffice", cmd, os.path.splitext(path)[0] + ".txt"))
    return out


class DocReader:
    name = "doc"
    version = "1"
    suffixes = (".doc", ".dot")
    isolated = True

    def sniff(self, head: bytes) -> bool:
        return head.startswith(OLE2)

    def read(self, data: bytes, name: str) -> ReadResult:
        if _WORD_STREAM not in data:
            raise ReadError(
                "OLE2 复合文档里没有 WordDocument 流：不是 Word 文档（可能是 Excel、PowerPoint 或 WPS 文件）",
                "not_doc",
            )
        with tempfile.TemporaryDirectory(prefix="policy-search-doc-") as tmp:
            path = os.path.join(tmp, "file.doc")
            with open(path, "wb") as fh:
                fh.write(data)
            commands = _commands(path)
            if not commands:
                raise ReadError(
                    "读取 .doc 需要 antiword、catdoc 或 LibreOffice，本机都没有安装：apt-get install antiword"
                    "（或 catdoc、libreoffice-writer），或把文件另存为 .docx",
                    "doc_converter_missing",
                )
            errors = []
            for tool, cmd, written in commands:
                try:
                    done = subprocess.run(cmd, capture_output=True, timeout=_TIMEOUT_S, check=False)
                except subprocess.TimeoutExpired:
                    errors.append(f"{tool}: 超时")
                    continue
                output = done.stdout
                if written is not None:
                    try:
                        with open(written, "rb") as fh:
                            output = fh.read()
                    except OSError:
                        output = b""
                text = output.decode("utf-8-sig", errors="replace")
                if done.returncode == 0 and text.strip():
                    lines = [_row(ln) for ln in text.splitlines() if ln.strip() and ln.strip() != "[pic]"]
                    return ReadResult("\n".join(lines) + "\n", {"converter": tool})
                errors.append(f"{tool}: {done.stderr.decode('utf-8', 'replace').strip()[:200] or '没有输出'}")
        raise ReadError(f".doc 文件无法转换（{'；'.join(errors)}）", "doc_unreadable")
