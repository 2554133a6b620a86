"""Traditional → simplified Chinese, as OpenCC folds it ("醫師多點執業" → "医师多点执业").

The indexed documents are simplified; a question typed in traditional characters is folded before it is
tokenised and embedded, so both the lexical and the relevance side see the words the clauses use. Phrase
conversions of OpenCC's ``t2s`` keep simplified text as it is.
"""

from __future__ import annotations

import threading
from typing import Any

_LOCK = threading.Lock()
_CONVERTER: dict[str, Any] = {}


def _converter() -> Any:  # noqa: ANN401 - opencc.OpenCC
    with _LOCK:
        if "t2s" not in _CONVERTER:
            import opencc

            _CONVERTER["t2s"] = opencc.OpenCC("t2s")
        return _CONVERTER["t2s"]


def to_simplified(text: str) -> str:
    """ "民營醫院能不能納入醫保定點" → "民营医院能不能纳入医保定点"; text without Chinese is returned as it is."""
    if not text or text.isascii():
        return text
    return _converter().convert(text)
