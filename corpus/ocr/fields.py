"""What OCR confuses in the lines that carry a document's fields, set right; nothing else is touched.

A recogniser reads the 六角括号 of a 文号 as square or round brackets, or one of each ("永政办发〔2025】12号"),
the 〇 of a Chinese-numeral date as a letter O or a digit 0 ("二O二五年"), 日 as 目 or 曰, and may give
full-width digits. Only a line that *is* a 文号 (with its 签发人 beside it) or *is* a date (a 落款 or
成文日期 line) is normalised, so that the metadata read from it is the document's, and a clause's text stays
as recognised:

>>> doc_number_line("永政办发〔2025】12号"), doc_number_line("吉政发(２０１７)８号")
('永政办发〔2025〕12号', '吉政发〔2017〕8号')
>>> date_line("二O二五年三月十八目"), date_line("2025年3月18曰")
('二〇二五年三月十八日', '2025年3月18日')

In running text only a cited 文号 read with two different brackets is set right (:func:`cited_doc_numbers`).
"""

from __future__ import annotations

import re
import unicodedata

_OPEN = "〔[［(（【{｛「"
_CLOSE = "〕]］)）】}｝」"
_DOC_NUMBER_LINE = re.compile(
    rf"^(?P<org>[\u4e00-\u9fff]{{1,12}}?)\s*[{re.escape(_OPEN)}]\s*(?P<year>(?:19|20)\d{{2}})\s*"
    rf"[{re.escape(_CLOSE)}]\s*(?P<no>\d{{1,4}})\s*号(?P<rest>(?:\s+|\t).*)?$"
)
_CN_ZERO = "〇零○ОOＯoо0"  # what 〇 is read as: Latin O/o, Cyrillic О/о, the circle ○, a digit 0
_CN = "一二三四五六七八九十廿卅"
_CN_DATE_LINE = re.compile(
    rf"^(?P<year>[{_CN}{_CN_ZERO}]{{4}})\s*年\s*(?P<month>[{_CN}{_CN_ZERO}]{{1,3}})\s*月\s*"
    rf"(?P<day>[{_CN}{_CN_ZERO}]{{1,3}})\s*[日目曰]$"
)
_ARABIC_DATE_LINE = re.compile(r"^(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*[日目曰]$")
_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def _zero(part: str) -> str:
    """A Chinese numeral with every reading of 〇 made 〇 (only when the rest is Chinese numerals)."""
    return "".join("〇" if c in _CN_ZERO else c for c in part)


def doc_number_line(line: str) -> str:
    """A 文号 line with 〔〕 and ASCII digits, or the line unchanged when it is not one."""
    m = _DOC_NUMBER_LINE.match(line.strip().translate(_DIGITS))
    if not m:
        return line
    return f"{m['org']}〔{m['year']}〕{int(m['no'])}号{m['rest'] or ''}"


def date_line(line: str) -> str:
    """A date line (二〇二五年三月十八日, 2025年3月18日) with 〇 and 日 set right, or the line unchanged."""
    s = line.strip()
    folded = unicodedata.normalize("NFKC", s).translate(_DIGITS)
    if _ARABIC_DATE_LINE.match(folded):
        return folded[:-1] + "日"
    m = _CN_DATE_LINE.match(s)
    if m and any(c in _CN for c in m["year"]):  # a year of Chinese numerals, not four digits
        return f"{_zero(m['year'])}年{_zero(m['month'])}月{_zero(m['day'])}日"
    return line


_CITED = re.compile(
    rf"(?<=[\u4e00-\u9fff])([{re.escape(_OPEN)}])\s*((?:19|20)\d{{2}})\s*([{re.escape(_CLOSE)}])(?=\s*\d{{1,4}}\s*号)"
)


def cited_doc_numbers(line: str) -> str:
    """文号 cited in running text with one bracket read as 〔 or 〕 and the other not: both made 六角括号
    ("吉市政办发〔2018】19号" → "吉市政办发〔2018〕19号"). Brackets read alike ("[2018]") are left as read: the
    document may well have typed them so."""

    def fix(m: re.Match[str]) -> str:
        if (m[1] == "〔") == (m[3] == "〕"):
            return m[0]
        return f"〔{m[2]}〕"

    return _CITED.sub(fix, line)


def field_line(line: str) -> str:
    """A line as the metadata should read it: a 文号 line or a date line normalised; in any other line,
    only a cited 文号 whose brackets were read as two different kinds (:func:`cited_doc_numbers`)."""
    fixed = doc_number_line(line)
    if fixed == line:
        fixed = date_line(line)
    return fixed if fixed != line else cited_doc_numbers(line)
