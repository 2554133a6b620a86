"""Character-level normalisation.

Two forms: *display* text stays readable Chinese (full-width brackets and commas, half-width digits and
Latin letters: "（十二）到2020年"); *match* text (NFKC, lower case) is what tokenizers and highlighters compare,
so "（一）" and "(一)", "ＡＢＣ" and "abc" meet.
"""

from __future__ import annotations

import re
import unicodedata

_CJK_CHAR = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_PUNCT = r"\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2018-\u201f\u2026\u2014"
CJK_OR_PUNCT = re.compile(f"[{_CJK_CHAR}{_CJK_PUNCT}]")
CJK = re.compile(f"[{_CJK_CHAR}]")

# One-to-one so that offsets survive: full-width ASCII letters/digits/symbols -> half-width, but the
# brackets, comma, colon, semicolon, question and exclamation marks of Chinese prose stay full-width.
_KEEP_FULL = set("（），：；？！")


def display_char(ch: str) -> str:
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E and ch not in _KEEP_FULL:
        return chr(code - 0xFEE0)
    if ch in "\u00a0\u2002\u2003\u2009\u200b\ufeff":
        return " "
    return ch


def match_text(text: str) -> str:
    """The form used for tokenising and matching: NFKC, lower case, no whitespace runs."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).lower()


def squash(text: str) -> str:
    """NFKC with all whitespace removed: the form for "do these two passages share a run" checks."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
