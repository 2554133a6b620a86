"""The responsible units named in a clause's trailing parenthesis.

"（责任单位：市卫生健康委、市医疗保障局。列第一位的为牵头单位，下同）" → units
["市卫生健康委", "市医疗保障局"], lead "市卫生健康委", and the 下同 rule carries on to later clauses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TRAILING = re.compile(r"[（(]([^（）()]{2,200})[）)]\s*$")
_CUE = re.compile(r"负责|责任单位|责任部门|牵头单位|配合单位|牵头")
_PREFIX = re.compile(r"^(责任单位|责任部门|牵头单位|牵头部门|配合单位|配合部门|协办单位|责任主体)[:：]\s*")
_TAIL = re.compile(r"(按职责分工|按职责|分别|共同|按照职责)?(负责|牵头)$")


@dataclass
class Responsibility:
    units: list[str]
    lead_rule: bool  # "列第一位的为牵头单位"
    carries_on: bool  # "下同"
    lead: str | None = None  # named by "牵头单位：…"


def parse_responsibility(text: str) -> Responsibility | None:
    m = _TRAILING.search(text.strip())
    if not m or not _CUE.search(m.group(1)):
        return None
    inner = m.group(1)
    main, _, note = inner.partition("。")
    lead_rule = "第一位" in note and "牵头" in note
    carries_on = "下同" in note
    units: list[str] = []
    lead: str | None = None
    # "牵头单位：省卫生计生委，配合单位：辽宁保监局" names roles; a plain list names units only
    for segment in re.split(r"[，,；;](?=[^，,；;]{2,6}[:：])", main.strip()):
        role = _PREFIX.match(segment.strip())
        names = _TAIL.sub("", _PREFIX.sub("", segment.strip())).strip()
        found = [re.sub(r"等$", "", u.strip()) for u in re.split(r"[、，,；;]", names) if u.strip()]
        if role and role.group(1).startswith("牵头") and found and lead is None:
            lead = found[0]
        units.extend(u for u in found if u)
    return Responsibility(units, lead_rule, carries_on, lead)
