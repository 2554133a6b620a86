"""A document's force at a date (issue 30): 现行有效, 已失效, 已废止, 尚未施行 or 未知, computed at search
time from what indexing stored (``effective_date``, ``expires_on``, ``repealed_by``, the page's 有效性 cell
``validity``) and the request's ``as_of`` (default today). Nothing here is stored: the same document is
现行有效 today and 尚未施行 at a date before its 施行.

In this order, the first that holds:

1. a draft (征求意见稿) is in force at no date: 未知;
2. repealed by an indexed document whose 施行 (else its date) is on or before ``as_of``: 已废止;
3. ``as_of`` after its last day in force (``expires_on``): 已失效;
4. ``as_of`` before its 施行, or (no 施行 stated) before its own date: 尚未施行;
5. a page's 有效性 cell that says 失效 / 废止 speaks for the day it was read: from today on, 已失效 / 已废止;
6. 施行 on or before ``as_of``: 现行有效;
7. a page's cell that says 有效, or a stated last day not yet passed, from the document's date on: 现行有效;
8. nothing stated: 未知.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

IN_FORCE = "现行有效"
EXPIRED = "已失效"
REPEALED = "已废止"
NOT_YET = "尚未施行"
UNKNOWN = "未知"
STATUSES = (IN_FORCE, EXPIRED, REPEALED, NOT_YET, UNKNOWN)
# the status as a machine code, beside the Chinese word (exports and CSS classes)
CODES = {
    IN_FORCE: "in_force",
    EXPIRED: "expired",
    REPEALED: "repealed",
    NOT_YET: "not_yet",
    UNKNOWN: "unknown",
}

_CELL = {
    "有效": IN_FORCE,
    "现行有效": IN_FORCE,
    "是": IN_FORCE,
    "失效": EXPIRED,
    "已失效": EXPIRED,
    "否": EXPIRED,
    "废止": REPEALED,
    "已废止": REPEALED,
}


def today() -> dt.date:
    """The default ``as_of``: the server's local date when the request is answered."""
    return dt.date.today()


def repealed_on(meta: Mapping[str, Any]) -> str | None:
    """The day a document's repeal takes hold: the repealing document's 施行, else its date ("" when the
    repeal carries no date at all: repealed whatever the date asked)."""
    link = meta.get("repealed_by")
    if not link:
        return None
    return link.get("effective_date") or link.get("date") or ""


def status_of(meta: Mapping[str, Any], as_of: dt.date, now: dt.date | None = None) -> str:
    """The status of the document whose stored metadata is ``meta`` at ``as_of`` (see the module's rules).

    >>> status_of({"effective_date": "2024-06-01", "expires_on": "2029-05-31"}, dt.date(2025, 1, 1))
    '现行有效'
    """
    if meta.get("status") == "draft":
        return UNKNOWN
    day = as_of.isoformat()
    gone = repealed_on(meta)
    if gone is not None and gone <= day:
        return REPEALED
    expires, effective, date = meta.get("expires_on"), meta.get("effective_date"), meta.get("date")
    if expires and day > expires:
        return EXPIRED
    if (effective and day < effective) or (not effective and date and day < date):
        return NOT_YET
    cell = _CELL.get((meta.get("validity") or "").strip())
    if cell in (EXPIRED, REPEALED) and as_of >= (now or today()):
        return cell
    if effective:
        return IN_FORCE
    if (cell == IN_FORCE or expires) and (not date or day >= date):
        return IN_FORCE
    return UNKNOWN


def in_force(meta: Mapping[str, Any], as_of: dt.date) -> bool:
    return status_of(meta, as_of) == IN_FORCE


__all__ = ["CODES", "STATUSES", "in_force", "repealed_on", "status_of", "today"]
