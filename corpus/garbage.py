"""Refuse text that is not text, repair mojibake that can be repaired.

Every reader's output and every JSONL record's ``text`` goes through :func:`check_text` before anything
is indexed. Kinds it recognises (each with a machine code beside a Chinese reason):

=========================  ==================================================================  ==========
code                       what it looks like                                                  outcome
=========================  ==================================================================  ==========
empty                      nothing but whitespace                                              refused
garbage_word_binary        a Word .doc read as text: control characters, "ÐÏà¡±á", bjbj       refused
garbage_pdf_source         a PDF's source read as text: "%PDF-1.7 … obj … endobj"              refused
garbage_zip                a .docx/.xlsx (ZIP) read as text: "PK\\x03\\x04 … [Content_Types]"   refused
garbage_control            mostly control characters (any binary file read as text)            refused
garbage_gbk_as_utf8        GBK bytes decoded as UTF-8 with replacement: runs of U+FFFD         refused
garbage_replacement        many U+FFFD replacement characters (bytes lost earlier)             refused
garbage_kunjinkao          锟斤拷 / 烫烫烫 / 屯屯屯: U+FFFD or uninitialised memory seen as GBK    refused
garbage_private_use        private-use characters (a PDF font without a Unicode map)           refused
garbage_base64             one long Base64 run: an attachment's bytes, not its text            refused
garbage_latin1             Latin-1 noise no repair turns into Chinese                          refused
garbage_utf8_as_gbk        rare-character mojibake ("鍙戞枃") that does not decode back           refused
garbage_font_map           a PDF font without a Unicode map, read as runs of ASCII codes          refused
                           ("北京市人民政府公报!"#$%&'()*+,-./#$%&'01#$23…")
garbage_url_only           a record that is only a web address (nothing to index)              refused
garbage_file_name_only     a record that is only a file name ("关于…的通知.pdf")                 refused
repaired_utf8_as_latin1    UTF-8 read as Latin-1/cp1252 ("æ”¯æŒ")                            ftfy repairs
repaired_utf8_as_gbk       UTF-8 read as GBK ("鏀寔绀句細鍔炲尰" → "支持社会办医")              repaired
repaired_gbk_as_latin1     GBK read as Latin-1 ("Ö§³ÖÉç»á" → "支持社会")                       repaired
=========================  ==================================================================  ==========

A repair is made only when it is exact (the bytes round-trip) and the result reads as common Chinese,
and it is reported as a warning beside the indexed document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import ftfy

from corpus.encoding import chinese_score

_CJK = re.compile(r"[\u3400-\u9fff]")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{200,}={0,2}")
_KUNJINKAO = re.compile(r"锟斤拷|烫烫烫|屯屯屯")
_WORD_SIGNS = (
    "ÐÏ\x11à¡±\x1aá",
    "ÐÏà¡±á",
    "bjbj",
    "WordDocument",
    "Microsoft Word",
    "Root Entry",
    "MSWordDoc",
)
_ZIP_SIGNS = ("PK\x03\x04", "[Content_Types].xml", "word/document.xml", "xl/workbook.xml")


class GarbageError(ValueError):
    """Text that must not be indexed: ``reason`` in Chinese for people, ``code`` for machines."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass
class Checked:
    text: str
    warnings: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # one per warning


_C0 = re.compile(
    r"[\x00-\x08\x0b\x0e-\x1b\x7f]"
)  # control characters no text has (tab, LF, CR, FF, FS–US: space)
_LATIN1 = re.compile(r"[\x80-\xff]")  # C1 controls and Latin-1 letters: the signs of mojibake
_PUA = re.compile(r"[\ue000-\uf8ff]")
_CJK_RUNS = re.compile(r"[\u3400-\u9fff]+")


def _shares(text: str) -> dict[str, float]:
    """Counts and shares among the characters (regular expressions, not a Python loop over characters:
    LawRefBook's 19 M characters are checked in a few seconds)."""
    n = max(1, len(text))
    control = len(_C0.findall(text))
    fffd = text.count("\ufffd")
    return {
        "n": n,
        "control_count": control,
        "control": control / n,
        "fffd_count": fffd,
        "fffd": fffd / n,
        "pua": len(_PUA.findall(text)) / n,
        "latin1": len(_LATIN1.findall(text)) / n,
        "cjk": (len(text) - len(_CJK_RUNS.sub("", text))) / n,
    }


def _fffd_runs(text: str) -> float:
    """Mean length of runs of U+FFFD: GBK characters read as UTF-8 leave pairs and longer runs."""
    runs = [len(m.group(0)) for m in re.finditer("\ufffd+", text)]
    return sum(runs) / len(runs) if runs else 0.0


def _try_repairs(text: str) -> tuple[str, str, str] | None:
    """(repaired text, code, warning) for mojibake that decodes back exactly into readable Chinese."""
    before = chinese_score(text)
    fixed = ftfy.fix_encoding(text)
    if fixed != text and chinese_score(fixed) >= max(0.3, before + 0.2):
        return fixed, "repaired_utf8_as_latin1", "乱码已由 ftfy 修复：UTF-8 文本曾被按 Latin-1/cp1252 解码"
    for wrong, right, code, what in (
        ("gb18030", "utf-8", "repaired_utf8_as_gbk", "UTF-8 文本曾被按 GBK 解码"),
        ("latin-1", "gb18030", "repaired_gbk_as_latin1", "GBK 文本曾被按 Latin-1 解码"),
        ("cp1252", "gb18030", "repaired_gbk_as_latin1", "GBK 文本曾被按 cp1252 解码"),
    ):
        try:
            again = text.encode(wrong).decode(right)
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if chinese_score(again) >= max(0.3, before + 0.2):
            return again, code, f"乱码已修复：{what}"
    return None


# a run of printable ASCII/Latin-1 codes with two or more of the symbols official text hardly uses
_CODE_RUN = re.compile(r"[\x21-\x7e\xa1-\xff]{8,}")
_RARE_SYMBOL = re.compile(r"[!\"#$&'*+<=>?@\[\\\]^_`{|}~]")
_ADDRESS = re.compile(r"https?://|www\.|\.(?:s?html?|jsp|aspx?|php|pdf|docx?|xlsx?)|@[A-Za-z0-9-]+\.")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_FONT_MAP_MIN = 40
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"，。；]+", re.IGNORECASE)
_FILE_NAME = re.compile(
    r"^(?:附件\s*\d*\s*[：:]?\s*)?[^\n/\\]{1,120}\.(?:pdf|docx?|wps|xlsx?|et|txt|s?html?|ofd|jpe?g|png|tiff?|zip|rar|7z)$",
    re.IGNORECASE,
)


def _font_map_share(text: str) -> float:
    """Share of the non-space characters that stand in runs of character codes: a PDF font whose glyphs were
    never mapped to Unicode reads as its glyph numbers from "!" on (`!"#$%&'()*'(+,-./'(0123…`), many
    different codes in a row. Markdown's table rules ("|-----|"), comments and web addresses are not such
    runs: they repeat few characters or are addresses."""
    # a comment ("<!-- INFO END -->") is markup, and squeezing out the spaces would glue its words into one run
    compact = re.sub(r"\s+", "", _COMMENT.sub("", text))
    if not compact:
        return 0.0
    bad = 0
    for m in _CODE_RUN.finditer(compact):
        run = m.group(0)
        if (
            _ADDRESS.search(run)
            or len(_RARE_SYMBOL.findall(run)) < 2
            or len(set(run)) < min(0.4 * len(run), 24)
        ):
            continue
        bad += len(run)
    # a short text's one odd run is no font: a broken map garbles every line, and a page holds hundreds of codes
    return bad / len(compact) if bad >= _FONT_MAP_MIN else 0.0


def _not_a_text(text: str) -> GarbageError | None:
    """A record that only names where its text is: a web address, a file name."""
    stripped = text.strip()
    if _URL.search(stripped) and len(re.sub(r"\s", "", _URL.sub("", stripped))) <= 12:
        return GarbageError("只有网址，没有正文（请给出网页或文件本身）", "garbage_url_only")
    if "\n" not in stripped and _FILE_NAME.match(stripped):
        return GarbageError("只有文件名，没有正文（请给出文件本身）", "garbage_file_name_only")
    return None


def check_text(text: str) -> Checked:
    """The text to index and what to warn about, or :class:`GarbageError` with the reason.

    >>> check_text("\\x01\\x02\\x03\\x04" * 50 + "正文")
    Traceback (most recent call last):
    corpus.garbage.GarbageError: 控制字符过多：像是二进制文件被当作文本读取
    """
    if not text.strip():
        raise GarbageError("空文本", "empty")
    head = text.lstrip()[:4096]
    if (named := _not_a_text(text)) is not None:
        raise named
    s = _shares(text)
    if head.startswith("%PDF-") or (
        "endobj" in text[:200_000] and " obj" in text[:200_000] and s["cjk"] < 0.05
    ):
        raise GarbageError("像是 PDF 文件的源码被当作文本读取（请直接给出 .pdf 文件）", "garbage_pdf_source")
    if head.startswith("PK\x03\x04") or (s["control"] > 0.01 and any(z in head for z in _ZIP_SIGNS[1:])):
        raise GarbageError("像是 ZIP 压缩包（.docx/.xlsx）被当作文本读取（请直接给出原文件）", "garbage_zip")
    if s["control_count"] > max(3, s["n"] // 100):
        if any(sign in text[:100_000] for sign in _WORD_SIGNS):
            raise GarbageError(
                "像是 Word 二进制文件（.doc）被当作文本读取（请直接给出 .doc 文件）", "garbage_word_binary"
            )
        raise GarbageError("控制字符过多：像是二进制文件被当作文本读取", "garbage_control")
    if any(w in text for w in ("锟斤拷", "烫烫烫", "屯屯屯")) and len(_KUNJINKAO.findall(text)) >= 2:
        raise GarbageError(
            "含“锟斤拷/烫烫烫”类乱码：替换字符或未初始化内存又被按 GBK 解码，无法修复", "garbage_kunjinkao"
        )
    if s["fffd_count"] > 3 and s["fffd"] > 0.05:
        if _fffd_runs(text) >= 1.5 and s["cjk"] < 0.2:
            raise GarbageError(
                "像是 GBK 编码的字节被当作 UTF-8 解码（成串的替换字符 U+FFFD），原字节已丢失，无法修复",
                "garbage_gbk_as_utf8",
            )
        raise GarbageError("替换字符 U+FFFD 过多：文本在此前的解码中已损坏", "garbage_replacement")
    if s["pua"] > 0.1:
        raise GarbageError(
            "私用区字符过多：字体没有 Unicode 映射（常见于 PDF），文字层不可用", "garbage_private_use"
        )
    longest = max((len(m.group(0)) for m in _BASE64_RUN.finditer(text)), default=0) if s["cjk"] < 0.5 else 0
    if longest > 0.5 * s["n"]:
        raise GarbageError("像是 Base64 编码的二进制数据，不是正文", "garbage_base64")
    suspicious = s["latin1"] > 0.05 or (s["cjk"] > 0.2 and chinese_score(text) < 0.2)
    repaired = _try_repairs(text) if suspicious else None
    if repaired is not None:
        fixed, code, warning = repaired
        return Checked(fixed, [warning], [code])
    if _font_map_share(text[:200_000]) > 0.15:
        raise GarbageError(
            "字体缺少 Unicode 映射（常见于 PDF）：文字层是成串的字形编号（如 !\"#$%&'()*+），不是正文",
            "garbage_font_map",
        )
    if suspicious and s["latin1"] > 0.2 and s["cjk"] < 0.05:
        raise GarbageError(
            "Latin-1 乱码过多：像是二进制或 GBK 字节被当作 Latin-1 解码，且无法修复", "garbage_latin1"
        )
    if suspicious and s["cjk"] > 0.2 and chinese_score(text) < 0.1:
        raise GarbageError(
            "汉字乱码（“鍙戞枃”类）：像是 UTF-8 文本被按 GBK 解码，且无法还原", "garbage_utf8_as_gbk"
        )
    return Checked(text)
