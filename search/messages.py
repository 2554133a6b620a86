"""What the search layer tells a user, in Chinese, each under a machine code.

A notice is a :class:`Notice`: a ``str`` (the Chinese text, what the page and the CLI show) that carries
its ``code`` (what a program reads: ``SearchResponse.notice_codes`` lists them beside ``notices``). The text is
Chinese only: no machine code and no parameter name in it (issue 28). What a user can do about a notice is
each surface's own: the page links "包含它们", the CLI names ``--include-undated`` (:data:`CLI_HINTS`), an API
client reads the code.

    notice("undated_excluded", count=2)  →  "日期筛选排除了 2 份未注明日期的文件"   (code "undated_excluded")
"""

from __future__ import annotations

import re
from typing import Any

TEMPLATES: dict[str, str] = {
    "query_too_long": "查询过长：{chars} 个字符，上限为 {limit} 个字符",
    "query_empty": "查询不能为空",
    "traditional_folded": "已将繁体字转为简体检索：{q}",
    "place_preferred": "问题提到了{place}：该地区的条款排在前面，其他地区的条款仍然列出",
    "place_not_indexed": "问题提到了{place}，但索引中没有该地区的文件：列出的是全国及其他地区的条款",
    "english_translated": "英文词语的中文译法由首批结果选定，并据此重新排序：{words}",
    "undated_excluded": "日期筛选排除了 {count} 份未注明日期的文件",
    "date_range_reversed": "起始日期 {date_from} 晚于截止日期 {date_to}，没有文件能够匹配",
    "no_document_matches": "没有文件符合筛选条件",
    "no_strong_match": (
        "没有强相关条款：最相关条款的相关度为 {best:.2f}，低于阈值 {floor:.2f}；"
        "以下是最接近的条款，可能与主题无关"
    ),
    "no_jurisdiction_over_floor": "没有地区有相关度达到阈值 {floor:.2f} 的条款",
    "jurisdictions_without_candidates": "{count} 个地区没有任何候选条款：{names}",
    "weak_ranked_last": "相关度低于阈值 {floor:.2f} 的条款（弱匹配）排在达到阈值的条款之后",
    "document_not_found": "没有 id 为“{id}”的文件",
    "clause_not_found": "没有 id 为“{id}”的条款",
    "no_reranker": "本安装没有重排序模型（search/data/reranker.npz），不能使用重排序",
    "encoder_busy": "有 {waiting} 个查询正在等待编码，请稍后重试",
}


# what the command line adds to a notice: the flag that acts on it
CLI_HINTS: dict[str, str] = {"undated_excluded": "（加 --include-undated 可包含它们）"}


class Notice(str):
    """A message for the user (Chinese) that remembers its machine code."""

    code: str

    def __new__(cls, text: str, code: str) -> Notice:
        obj = super().__new__(cls, text)
        obj.code = code
        return obj


def notice(code: str, **values: Any) -> Notice:
    return Notice(TEMPLATES[code].format(**values), code)


def code_of(message: str, default: str = "notice") -> str:
    return getattr(message, "code", default)


# An English sentence: three or more words of Latin letters with spaces between them. A technical name
# ("include_undated=true", "max_query_chars", "YYYY-MM-DD") is one word and does not count.
_ASCII_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:,? +[A-Za-z]{2,}){2,}")


def ascii_sentences(text: str) -> list[str]:
    """The English sentences (three or more Latin words in a row) in ``text``: a user-facing message
    should have none."""
    return _ASCII_SENTENCE.findall(text)


# A machine code or a parameter name: "traditional_folded", "include_undated=true", "date_from > date_to".
_MACHINE_CODE = re.compile(r"[A-Za-z]+(?:_[A-Za-z]+)+|\w+\s*[=<>]\s*\w+")


def machine_codes(text: str) -> list[str]:
    """The machine codes and parameter names in ``text``: a notice should have none (they go in
    ``notice_codes``)."""
    return _MACHINE_CODE.findall(text)


__all__ = ["CLI_HINTS", "Notice", "TEMPLATES", "ascii_sentences", "code_of", "machine_codes", "notice"]
