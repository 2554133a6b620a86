"""Which indexed document repeals which (issue 30): the ``repeals`` a text states (``corpus.validity``,
by 文号 and/or title) resolved to documents of the same generation, so that the repealed one carries
``repealed_by`` {id, title, doc_number, date, effective_date}.

Resolved over the whole store each time a generation is written (after its documents are in), never
per document: a repealing document added by a later incremental build marks one indexed long before, and
removing it unmarks it. The answer lives in the store's ``repealed_by`` table; :class:`index.store.
ClauseStore` merges it into each document's metadata when it opens.

A reference resolves to a document that

- has the 文号 it names ("长住金管规[2022]8号" = "长住金管规〔2022〕8号"), else the title it names (the title
  as indexed, the title inside "关于印发《…》的通知", or the part from 关于 on);
- is not the repealing document itself, is dated no later than it, and is no draft (a draft repeals
  nothing either);
- is of the same jurisdiction or one above/below it, or has none (a title must match within one
  jurisdiction line: "关于调整住房公积金政策的通知" names a different document in every city).

When several documents fit, the latest before the repealing one is taken (the version it replaces).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

TABLE = "repealed_by"
_SCHEMA = f"""
DROP TABLE IF EXISTS {TABLE};
CREATE TABLE {TABLE} (key TEXT PRIMARY KEY, by_key TEXT NOT NULL, link TEXT NOT NULL);
"""


def number_key(doc_number: str | None) -> str:
    """A 文号 as compared: brackets, spaces and 第 out ("中国人民银行公告〔2019〕第16号" = "…公告2019 16号")."""
    return re.sub(r"[\s〔〕\[\]［］()（）【】第]", "", doc_number or "")


def title_keys(title: str | None) -> set[str]:
    """The forms a title is known by: itself, the title inside a cover notice ("…关于印发《X》的通知" → X),
    and its part from 关于 on, all without 《》〈〉, quotes, brackets and spaces."""
    if not title:
        return set()
    t = re.sub(r"^原", "", title.strip())
    forms = {t}
    inner = re.search(r"(?:印发|转发|发布)[《〈<]?(.+?)[》〉>]?的(?:通知|决定)$", t)
    if inner:
        forms.add(inner.group(1))
    if "关于" in t:
        forms.add(t[t.index("关于") :])
    return {k for k in (re.sub(r"[\s《》〈〉<>“”\"'()（）]", "", f) for f in forms) if len(k) >= 6}


def _related(a: str | None, b: str | None, loose: bool) -> bool:
    """Same jurisdiction, or one inside the other; ``loose``: either may be unknown."""
    if not a or not b:
        return loose or (not a and not b)
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _date(meta: Mapping[str, Any]) -> str:
    return meta.get("effective_date") or meta.get("date") or ""


def resolve(docs: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, tuple[str, dict[str, Any]]]:
    """``{repealed key: (repealing key, link)}`` over ``docs`` (key, metadata); ``link`` is what the repealed
    document shows: {id, title, doc_number, date, effective_date} of the one that repeals it. A document
    repealed twice keeps the earliest repeal."""
    docs = [(k, m) for k, m in docs]
    by_number: dict[str, list[str]] = defaultdict(list)
    by_title: dict[str, list[str]] = defaultdict(list)
    meta = dict(docs)
    for key, m in docs:
        if m.get("status") == "draft":
            continue
        if m.get("doc_number"):
            by_number[number_key(m["doc_number"])].append(key)
        for t in title_keys(m.get("title")):
            by_title[t].append(key)
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for key, m in docs:
        refs = m.get("repeals") or []
        if not refs or m.get("status") == "draft":
            continue
        when = m.get("date") or _date(m)
        link = {
            "id": key,
            "title": m.get("title"),
            "doc_number": m.get("doc_number"),
            "date": m.get("date"),
            "effective_date": m.get("effective_date"),
        }
        for ref in refs:
            target = _target(key, m, when, ref, meta, by_number, by_title)
            if target is None:
                continue
            old = out.get(target)
            if old is None or (_date(link) or "9999") < (_date(old[1]) or "9999"):
                out[target] = (key, link)
    return out


def _target(
    key: str,
    m: Mapping[str, Any],
    when: str,
    ref: Mapping[str, Any],
    meta: Mapping[str, Mapping[str, Any]],
    by_number: Mapping[str, list[str]],
    by_title: Mapping[str, list[str]],
) -> str | None:
    jur = m.get("jurisdiction")

    def fits(other: str, loose: bool) -> bool:
        o = meta[other]
        before = not when or not o.get("date") or o["date"] <= when
        return other != key and before and _related(jur, o.get("jurisdiction"), loose)

    found = [o for o in by_number.get(number_key(ref.get("doc_number")), []) if fits(o, True)]
    if not found and ref.get("title"):
        named = {o for t in title_keys(ref["title"]) for o in by_title.get(t, [])}
        found = [o for o in sorted(named) if fits(o, False)]
    if not found:
        return None
    return max(found, key=lambda o: (meta[o].get("date") or "", o))


def write_repeals(path: Path) -> int:
    """Resolve the repeals of every document in the store at ``path`` and write its ``repealed_by`` table
    (replacing the one an incremental build copied). Returns how many documents are repealed."""
    db = sqlite3.connect(str(path))
    try:
        docs = [(k, json.loads(m)) for k, m in db.execute("SELECT key, metadata FROM documents")]
        found = resolve(docs)
        db.executescript(_SCHEMA)
        db.executemany(
            f"INSERT INTO {TABLE} VALUES (?,?,?)",
            [(k, by, json.dumps(link, ensure_ascii=False)) for k, (by, link) in sorted(found.items())],
        )
        db.commit()
        return len(found)
    finally:
        db.close()


def read_repealed_by(db: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """``{key: link}`` from an open store (empty for a store written before issue 30)."""
    has = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (TABLE,)).fetchone()
    if not has:
        return {}
    return {r[0]: json.loads(r[1]) for r in db.execute(f"SELECT key, link FROM {TABLE}")}


__all__ = ["TABLE", "number_key", "read_repealed_by", "resolve", "title_keys", "write_repeals"]
