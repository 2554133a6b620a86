"""Character-level normalisation: one set of rules for document text and query text.

Two forms: *display* text stays readable Chinese (full-width brackets and commas, half-width digits and
Latin letters: "（十二）到2020年"); *match* text (NFKC, lower case) is what tokenizers and highlighters compare,
so "（一）" and "(一)", "ＡＢＣ" and "abc" meet.

:func:`normalize_text` is the display form of any text that enters the system: the cleaner applies the
same per-character rules to documents (:func:`invisible`, :func:`display_char`, :data:`LINE_ENDS`) and
``search.models.Question`` applies it to every query, so "医师\u200b多点执业" and "医师多点执业" are one
question. Query-side folding (traditional → simplified, :mod:`corpus.fold`) runs after it, in
``HybridSearcher.prepare``.
:func:`terminal_safe` is for text printed to a terminal (the CLI).
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


# Characters that carry no text: zero-width spaces and joiners, the soft hyphen, byte-order marks and
# direction marks/overrides. Deleted (a zero-width space inside 医师多点执业 would split the term).
_INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069"
    "\u3164\ufeff\uffa0"
)
LINE_ENDS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")  # what str.splitlines() breaks at
_SPACES = frozenset(
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f"
)


def invisible(ch: str) -> bool:
    """A character deleted from documents and queries: zero-width/format characters, and control
    characters (NUL, ESC and the other C0/C1 controls) other than tab and line ends."""
    code = ord(ch)
    if ch in _INVISIBLE:
        return True
    return (code < 0x20 or 0x7F <= code <= 0x9F) and ch != "\t" and ch not in LINE_ENDS


def display_char(ch: str) -> str:
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E and ch not in _KEEP_FULL:
        return chr(code - 0xFEE0)
    if ch in _SPACES:
        return " "
    return ch


def normalize_text(text: str) -> str:
    """The display form of text from outside (a query, a field): invisible and control characters
    deleted, line ends and odd spaces made plain spaces' kin, full-width letters and digits half-width.

    >>> normalize_text("医师\u200b多点\x00执业 ＡＢＣ")
    '医师多点执业 ABC'
    """
    return "".join("\n" if ch in LINE_ENDS else display_char(ch) for ch in text if not invisible(ch))


_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def terminal_safe(text: str, keep: str = "") -> str:
    """Text that can be printed to a terminal: control characters (an ESC sequence in a document would
    recolour the screen or move the cursor), zero-width characters and direction overrides shown as
    their code, ``\\u001b`` (which is also a valid escape inside JSON text); characters in ``keep``
    (say "\\r" for a progress bar) pass."""
    return _UNPRINTABLE.sub(lambda m: m.group() if m.group() in keep else f"\\u{ord(m.group()):04x}", text)


def match_text(text: str) -> str:
    """The form used for tokenising and matching: NFKC, lower case, no whitespace runs."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).lower()


def squash(text: str) -> str:
    """NFKC with all whitespace removed: the form for "do these two passages share a run" checks."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
