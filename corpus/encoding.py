"""Turn file bytes into text, or say clearly why not.

UTF-8 (with or without BOM), UTF-16 with BOM, GB18030/GBK and Big5 are recognised; a charset the file
declares (a web page's ``<meta charset="gbk">``) is tried first. A file that is empty, binary, or cannot be
decoded with confidence raises :class:`UndecodableError` with the reason (Chinese) and a machine code.
Whether decoded text is *readable* (mojibake, control characters) is :mod:`corpus.garbage`'s question.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes


class UndecodableError(ValueError):
    """The bytes are not text we can read with confidence: ``reason`` for people, ``code`` for machines."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


_CJK = re.compile(r"[\u3400-\u9fff]")
# Characters of everyday official Chinese; a wrong decoding (Big5 read as GBK, say) produces rare ones.
_COMMON = set(
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后"
    "小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长"
    "知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最"
    "间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市"
    "眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计"
    "务社会服医疗机构办卫生健康保险管理制度规范支持鼓励发展建设推进落实加强完善政策条例办法省县区"
)

_COMMON_RE = re.compile("[" + "".join(sorted(_COMMON)) + "]+")


def chinese_score(text: str, sample: int = 2000) -> float:
    """Share of CJK characters that are common ones, over the first ``sample`` characters: high for a
    right decoding (policy text: 0.6–0.7; UTF-8 read as GBK, "鏀寔绀句細": 0.0)."""
    text = text[:sample]
    cjk = len(text) - len(_CJK.sub("", text))
    if not cjk:
        return 0.0
    return (len(text) - len(_COMMON_RE.sub("", text))) / cjk


# names pages declare, mapped to the codec that reads them (GB2312 and GBK pages use GB18030 characters)
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "big5-hkscs": "big5hkscs",
}


def codec_name(declared: str | None) -> str | None:
    """The Python codec for a declared charset, or None when Python does not know it.

    >>> codec_name("GB2312")
    'gb18030'
    """
    if not declared:
        return None
    name = declared.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Return (text, encoding name). ``declared`` (a page's charset) is tried first, after a BOM.

    >>> decode_bytes("医疗服务".encode("gb18030"))[1]
    'gb18030'
    """
    if not data.strip():
        raise UndecodableError("空文件", "empty")
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return _check_text(data.decode(name)), name
            except UnicodeDecodeError as exc:
                raise UndecodableError(
                    f"字节序标记（BOM）之后的 {name} 文本已损坏：{exc.reason}", "broken_after_bom"
                ) from exc
    nul = data.count(b"\x00")
    if nul > max(3, len(data) // 1000):
        raise UndecodableError("二进制文件（含 NUL 字节，且没有 UTF-16 字节序标记）", "binary")
    if nul:  # a stray NUL in text (a bad export): dropped, as the cleaner drops it inside JSONL records
        text, name = decode_bytes(data.replace(b"\x00", b""), declared)
        return text, f"{name} ({nul} NUL byte{'s' if nul > 1 else ''} removed)"
    codec = codec_name(declared)
    if codec:
        try:
            return _check_text(data.decode(codec)), codec
        except UnicodeDecodeError:
            pass  # a page that lies about its charset: detect it as if it had said nothing
    try:
        return _check_text(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    # UTF-8 with a few broken bytes (a cut-off last character, a damaged byte) is still UTF-8 text: read it
    # with the bad bytes replaced, and say so, rather than guessing another encoding or refusing the file
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")
    if 0 < bad <= max(3, len(lenient) // 1000) and chinese_score(lenient) >= 0.15:
        return _check_text(
            lenient
        ), f"utf-8 ({bad} undecodable byte sequence{'s' if bad > 1 else ''} replaced)"
    candidates: list[tuple[float, str, str]] = []
    for name in ("gb18030", "big5"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        candidates.append((chinese_score(text), name, text))
    guess = from_bytes(data).best()
    if guess is not None and guess.encoding not in ("gb18030", "big5", "utf_8"):
        text = str(guess)
        candidates.append((chinese_score(text), guess.encoding, text))
    candidates.sort(reverse=True)
    if not candidates or candidates[0][0] < 0.15:
        raise UndecodableError("无法可靠解码：不是 UTF-8、GB18030 或 Big5 编码的中文文本", "undecodable")
    score, name, text = candidates[0]
    return _check_text(text), name


def replaced_count(encoding: str) -> int:
    """How many byte sequences :func:`decode_bytes` replaced, from the encoding name it returned."""
    m = re.match(r"utf-8 \((\d+) undecodable", encoding)
    return int(m.group(1)) if m else 0


def removed_nul_count(encoding: str) -> int:
    """How many stray NUL bytes :func:`decode_bytes` dropped, from the encoding name it returned."""
    m = re.search(r"\((\d+) NUL bytes? removed\)", encoding)
    return int(m.group(1)) if m else 0


def _check_text(text: str) -> str:
    if not text.strip():
        raise UndecodableError("空文件", "empty")
    return text
