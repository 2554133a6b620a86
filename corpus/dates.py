"""Dates as policy documents write them, read into ISO form.

Forms read (anywhere in a string; :func:`iso_date` takes the first):

- Arabic digits: "2025年3月18日", "2025 年 3 月 18 日", "2025-03-18", "2025.3.18", "2025/3/18";
- full-width digits: "２０２５年３月１８日" (NFKC-folded first);
- Chinese numerals, as 落款 are signed: "二〇二五年三月十八日", with 〇, 零, ○, О or Ｏ for zero, 十/廿/卅 in the
  day ("二〇二一年六月廿八日"), and mixed forms ("二0二五年"). Numerals go through cn2an.

A date line (:func:`is_date_line`) is a line that is a complete date and nothing else but a bracket or a
"印发"; "2025年6月底前，各乡镇完成摸底登记。" (a timetable) is not one.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import cn2an

_ZERO = "〇零○ОOＯ0"
_CN_DIGIT = "〇零○ОOＯ一二三四五六七八九0-9"
_CN_SMALL = "一二三四五六七八九十廿卅〇零两"
_ARABIC = re.compile(r"((?:19|20)\d{2})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})\s*日?")
_CHINESE = re.compile(
    rf"([{_CN_DIGIT}]{{4}})\s*年\s*([{_CN_SMALL}\d]{{1,3}})\s*月\s*([{_CN_SMALL}\d]{{1,3}})\s*日"
)
_DIGIT = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | dict.fromkeys(_ZERO, "0")
_LINE = re.compile(
    rf"^[（(]?\s*(?:(?:19|20)\d{{2}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日|"
    rf"[{_CN_DIGIT}]{{4}}\s*年\s*[{_CN_SMALL}\d]{{1,3}}\s*月\s*[{_CN_SMALL}\d]{{1,3}}\s*日|"
    rf"(?:19|20)\d{{2}}-\d{{1,2}}-\d{{1,2}})\s*[）)]?\s*(?:印发)?$"
)
DATE_AT_END = re.compile(
    rf"((?:19|20)\d{{2}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日|"
    rf"[{_CN_DIGIT}]{{4}}\s*年\s*[{_CN_SMALL}\d]{{1,3}}\s*月\s*[{_CN_SMALL}\d]{{1,3}}\s*日)\s*$"
)


def _small(text: str) -> int | None:
    """A month or day: "十八" → 18, "廿八" → 28, "卅一" → 31, "三十" → 30, "08" → 8."""
    if text.isdigit():
        return int(text)
    t = text.replace("廿", "二十").replace("卅", "三十").replace("〇", "零")
    try:
        return int(cn2an.cn2an(t, "strict"))
    except (ValueError, KeyError):
        return None


def _in_range(y: int, m: int | None, d: int | None) -> bool:
    return m is not None and d is not None and 1900 <= y <= 2100 and 1 <= m <= 12 and 1 <= d <= 31


def _valid(y: int, m: int | None, d: int | None) -> str | None:
    """ "YYYY-MM-DD" for a day the calendar has (2024-02-29 yes, 2023-02-30 no: a stored date must parse)."""
    if not _in_range(y, m, d):
        return None
    try:
        return dt.date(y, m, d).isoformat()  # type: ignore[arg-type]
    except ValueError:
        return None


def _first_date(text: str) -> tuple[int, int | None, int | None] | None:
    """Year, month and day of the first date written in ``text``, as written (not checked)."""
    text = unicodedata.normalize("NFKC", text) if not text.isascii() else text
    found: list[tuple[int, tuple[int, int | None, int | None]]] = []
    m = _ARABIC.search(text)
    if m:
        found.append((m.start(), (int(m.group(1)), int(m.group(2)), int(m.group(3)))))
    m = _CHINESE.search(text)
    if m:
        year = "".join(_DIGIT.get(c, c) for c in m.group(1))
        if year.isdigit():
            found.append((m.start(), (int(year), _small(m.group(2)), _small(m.group(3)))))
    return min(found, key=lambda x: x[0])[1] if found else None


def iso_date(text: str | None) -> str | None:
    """The first date in ``text`` as "YYYY-MM-DD", or None (also when that date names a day the calendar
    lacks: "2023年2月30日").

    >>> iso_date("二〇二五年三月十八日"), iso_date("2019 年 4 月 1 日"), iso_date("二〇二一年六月廿八日")
    ('2025-03-18', '2019-04-01', '2021-06-28')
    """
    parts = _first_date(text) if text else None
    return _valid(*parts) if parts else None


def is_date_line(line: str) -> bool:
    """A line that is one complete date and nothing more (a 落款 or 成文日期 line).

    >>> is_date_line("二〇二五年三月十八日"), is_date_line("2025年6月底前，各乡镇完成摸底登记。")
    (True, False)
    >>> is_date_line("二〇二三年二月三十日")  # as signed: the line's role, though no day of the calendar
    True
    """
    s = unicodedata.normalize("NFKC", line).strip()
    if not _LINE.match(s):
        return False
    parts = _first_date(s)  # a 落款 signed 二〇二三年二月三十日 is still the 落款's date line, though no date
    return parts is not None and _in_range(*parts)


_STAMP = r"(?:19|20)\d{2}\s*(?:[-./]\s*\d{1,2}\s*[-./]\s*\d{1,2}|年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)"
_CLOCK = r"(?:\s*\d{1,2}\s*[:：]\s*\d{2}(?:\s*[:：]\s*\d{2})?)?"
# a web page's date line, as CMS templates and WeChat print it
_PAGE_DATE = [
    # 发布日期：2023-02-05 10:04 / 发布时间:2023-12-1110:39 / 时间：2023-04-24 / 发表时间:2022-06-0110:17
    re.compile(rf"(?:发布|发表|公布|更新|公开|印发|信息)?(?:日期|时间)\s*[:：]\s*({_STAMP}){_CLOCK}"),
    # 2023-04-25 21:03 来源：新华 / 2023-02-04作者: / 韶关发布2023-01-2009:26发表于广东
    re.compile(
        rf"({_STAMP}){_CLOCK}\s*(?:来源|作者|点击|浏览|阅读|发表于|字号|编辑|【|\[|分享|信息来源|文章来源|责任编辑)"
    ),
    # 来源：中国经济网 2023年02月15日 / 文章来源:营业管理部 2023-01-1613:21:07
    re.compile(rf"(?:来源|文章来源|信息来源)\s*[:：][^\n]{{0,30}}?({_STAMP}){_CLOCK}\s*$"),
    # a date alone on its line with its weekday, as news pages close: 2025年6月20日(星期五)
    re.compile(rf"^({_STAMP})\s*[(（]\s*(?:星期|周)[一二三四五六日天]\s*[)）]$"),
    # a stamp alone on its line, with its time: 2023-03-2811:44
    re.compile(rf"^({_STAMP})\s*\d{{1,2}}\s*[:：]\s*\d{{2}}(?:\s*[:：]\s*\d{{2}})?$"),
]


def page_date(line: str) -> str | None:
    """The date a web page's date line gives (its 发布 date), or None for any other line.

    >>> page_date("发布日期：2023-02-05 10:04"), page_date("2023-04-25 21:03 来源：新华")
    ('2023-02-05', '2023-04-25')
    >>> page_date("韶关发布2023-01-2009:26发表于广东"), page_date("2025年6月底前，各乡镇完成摸底登记。")
    ('2023-01-20', None)
    """
    s = unicodedata.normalize("NFKC", line).strip()
    if len(s) > 120:
        return None
    for pattern in _PAGE_DATE:
        m = pattern.search(s)
        if m:
            return iso_date(m.group(1))
    return None
