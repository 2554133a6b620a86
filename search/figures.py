"""Figures in clauses: the number, its unit, the bound around it and what it measures, so that jurisdictions
can be lined up on them.

    "到2020年，按照每千常住人口不低于1.5张床位为社会办医院预留规划"
      → 1.5 张 ≥ (每千常住人口 … 床位)

Chinese numerals count (cn2an): "三个月内反馈" → 3 个月 ≤; "百分之三十" → 30 %. Years (到2020年), dates
(2018年4月28日), document numbers (〔2017〕44号), article numbers (第十条) and titles in 《》 are not figures:
a year says when, not how much. A measure is the words before the number in its phrase and the noun
after it, cut where the phrase goes on to something else (或, 和, 的 …): "设置20张床位以下或环境影响很小的"
measures "设置 … 床位", with the bound 以下 (≤).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cn2an

_CN_DIGITS = "零〇一二两三四五六七八九十百千万"
_NUMBER = (
    rf"(?:\d+(?:\.\d+)?(?:\s*[-—–~～至到]\s*\d+(?:\.\d+)?)?|[{_CN_DIGITS}]+(?:点[零一二三四五六七八九]+)?)"
)
_UNITS = (
    "个工作日|工作日|个月|小时|平方米|万元|亿元|元|年|天|日|%|％|张|人|名|家|个|所|床|亩|倍|项|次|周岁|岁|周"
)
_BEFORE = "不低于|不少于|不超过|不高于|不多于|超过|低于|高于|达到|至少|最多|最高|最低|提高到|控制在"
_AFTER = "以上|以下|以内|之内|内|左右|及以上|及以下"
# where the words after a figure stop naming what it measures
_CUT_AFTER = re.compile(
    r"(及以上|及以下|以上|以下|以内|之内|左右|或者|或|和|及|与|并|且|的|为|按|由|在|等|给予|达到|不低于|不少于)"
)
FIGURE = re.compile(
    rf"(?P<pre>(?:{_BEFORE})?)\s*(?:百分之(?P<pct>{_NUMBER})|(?P<num>{_NUMBER})\s*(?P<unit>{_UNITS}))"
    rf"(?P<post>(?:{_AFTER})?)"
)
_STOP = re.compile(r"[，。；：、,;:！？!?\n（）()]")
_LEADING = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇\d]+[条款项]\s*|到|至|按照|力争|确保|争取|全省|全市|全区|原则上|其中|并|且|在|于|对于|对)+"
)
_BOUND = {
    "不低于": "≥",
    "不少于": "≥",
    "至少": "≥",
    "最低": "≥",
    "以上": "≥",
    "及以上": "≥",
    "超过": ">",
    "高于": ">",
    "不超过": "≤",
    "不高于": "≤",
    "不多于": "≤",
    "最多": "≤",
    "最高": "≤",
    "以下": "≤",
    "及以下": "≤",
    "以内": "≤",
    "之内": "≤",
    "内": "≤",
    "控制在": "≤",
    "低于": "<",
    "左右": "≈",
}


@dataclass
class Figure:
    value: float
    value_text: str  # as written, digits: "1.5", "5-10", "3"
    unit: str
    bound: str  # "≥", "≤", ">", "<", "≈" or "="
    measure: str  # what it measures: the words around it within its phrase
    context: str  # the phrase it stands in
    start: int
    end: int


def _to_number(text: str) -> tuple[float, str] | None:
    text = text.strip()
    parts = re.split(r"\s*[-—–~～至到]\s*", text) if re.search(r"\d", text) else [text]
    values = []
    for part in parts:
        try:
            values.append(
                float(part) if re.fullmatch(r"\d+(?:\.\d+)?", part) else float(cn2an.cn2an(part, "smart"))
            )
        except Exception:  # noqa: BLE001 - cn2an rejects what is not a numeral in several ways
            return None
    if not values:
        return None
    shown = "-".join(f"{v:g}" for v in values)
    return values[0], shown


def _excluded(text: str, start: int, end: int, unit: str) -> bool:
    before, after = text[max(0, start - 12) : start], text[end : end + 3]
    if before.endswith("第"):  # 第十条, 第2款
        return True
    if unit == "年" and re.match(
        r"\s*(?:\d{1,2}|[一二三四五六七八九十]+)\s*月", after + text[end + 3 : end + 5]
    ):
        return True  # 2018年4月: a date
    if unit in ("月", "日") and re.search(r"\d\s*月?\s*$", before):  # 4月28日
        return True
    # inside 《…》 (a title) or 〔…〕 (a document number)
    return any(_inside(text, start, o, c) for o, c in (("《", "》"), ("〔", "〕"), ("[", "]")))


def _inside(text: str, pos: int, opening: str, closing: str) -> bool:
    """Whether ``pos`` lies after an unclosed bracket of one kind (``opening``/``closing``: its full- and
    half-width forms): "规划（2016-2020年" is inside （…）."""
    return max(text.rfind(c, 0, pos) for c in opening) > max(text.rfind(c, 0, pos) for c in closing)


def extract(text: str) -> list[Figure]:
    """Every figure of ``text``, in order."""
    out: list[Figure] = []
    for m in FIGURE.finditer(text):
        raw = m.group("pct") or m.group("num")
        unit = "%" if m.group("pct") else m.group("unit").replace("％", "%")
        if unit == "月" and not m.group("pct"):
            continue  # a bare 月 is a date part (4月); durations are 个月
        if raw in ("一", "两") and unit in ("个", "项", "次", "家", "所"):
            continue  # "一个", "一项": an article, not a quantity worth comparing
        if unit == "日" and "年" in text[max(0, m.start() - 8) : m.start()]:
            continue
        num = _to_number(raw)
        if num is None or _excluded(text, m.start(), m.end(), unit):
            continue
        value, shown = num
        if unit == "年" and 1949 <= value <= 2100:
            continue  # a year (到2020年, 规划（2016-2020年）): when, not how much
        lo = max((s.end() for s in _STOP.finditer(text, 0, m.start())), default=0)
        nxt = _STOP.search(text, m.end())
        hi = nxt.start() if nxt else len(text)
        pre = text[lo : m.start()].strip()
        post = text[m.end() : hi].strip()
        bound_word = m.group("post") or m.group("pre") or ""
        before = _LEADING.sub("", re.sub(rf"(?:{_BEFORE})$", "", pre)).strip()
        after, late_bound = _head_noun(post)
        bound_word = bound_word or late_bound
        measure = (before + " … " + after).strip(" …") or unit
        out.append(
            Figure(
                value=value,
                value_text=shown,
                unit=unit,
                bound=_BOUND.get(bound_word, "="),
                measure=measure,
                context=text[lo:hi].strip(),
                start=m.start(),
                end=m.end(),
            )
        )
    return out


def _head_noun(post: str, limit: int = 10) -> tuple[str, str]:
    """The words right after a figure that say what it counts, and a bound word that follows them:
    "床位以下或环境影响很小的" → ("床位", "以下"); "床位为社会办医院预留规划空间" → ("床位", "")."""
    cut = _CUT_AFTER.search(post)
    head = post[: cut.start()] if cut else post
    bound = cut.group(0) if cut and cut.group(0) in _BOUND and cut.start() == len(head) else ""
    if len(head) > limit:
        head = ""  # a whole clause, not a noun: the words before the figure say enough
    return head.strip(), bound


def _bigrams(s: str) -> set[str]:
    s = re.sub(r"[\s…]", "", s)
    return {s[i : i + 2] for i in range(len(s) - 1)} or {s}


def similar_measures(a: str, b: str, threshold: float = 0.2) -> bool:
    """Two figures measure the same thing when their measures share enough character pairs:
    "每千人口 … 床位" and "按照每千常住人口 … 床位为社会办医院预留规划" do (每千, 人口, 床位)."""
    ga, gb = _bigrams(a), _bigrams(b)
    return len(ga & gb) / max(1, min(len(ga), len(gb))) >= threshold * 2
