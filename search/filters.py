"""Turn :class:`Filters` into the set of documents a search may return (a :class:`DocFilter`).

How each filter matches is declared on its field (``match``) in ``search.models.Filters``:

- ``prefix``: "辽宁省" matches "辽宁省" and "辽宁省/沈阳市" (any of the given values);
- ``one_of``: the metadata value is one of the given values;
- ``substring``: the given text occurs in the metadata value (issuer);
- ``date_from`` / ``date_to``: the document's date is in range; undated documents are excluded unless
  ``include_undated`` (``undated``) is set;
- ``drafts``: false excludes documents whose status is "draft";
- ``in_force``: only documents 现行有效 at ``as_of`` (``search.validity_status``), by key: engines that
  filter on their own fields (Milvus) get the keys, as for 主题分类.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from index.protocols import DocFilter, FieldCondition
from search.models import Filters
from search.validity_status import in_force, today


def _conditions(name: str, kind: str, want: Any, f: Filters) -> list[FieldCondition]:
    """One filter as metadata conditions: evaluated here for the embedded backend's key sets, and by
    Milvus on its own scalar fields, so both backends select the same documents."""
    if kind == "prefix":
        return [FieldCondition(name, "prefix", tuple(want))]
    if kind == "one_of":
        return [FieldCondition(name, "in", tuple(want))]
    if kind == "substring":
        return [FieldCondition(name, "contains", (want,))]
    if kind in ("date_from", "date_to"):
        op = "ge" if kind == "date_from" else "le"
        return [FieldCondition("date", op, (want.isoformat(),), or_empty=f.include_undated)]
    if kind == "drafts":
        return [] if want else [FieldCondition("status", "ne", ("draft",))]
    return []  # "undated": read by the date conditions; "in_force": by doc_filter (a status at as_of)


def _active_fields(f: Filters) -> list[tuple[str, str, Any]]:
    out = []
    for name, field in Filters.model_fields.items():
        value = getattr(f, name)
        default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
        kind = field.json_schema_extra["match"]  # type: ignore[index]
        if value != default and kind != "as_of":  # as_of selects nothing: it dates the statuses
            out.append((name, kind, value))
    return out


def conditions(f: Filters) -> list[FieldCondition]:
    return [c for name, kind, value in _active_fields(f) for c in _conditions(name, kind, value, f)]


def doc_matches(meta: dict[str, Any], f: Filters) -> bool:
    return all(c.matches(meta) for c in conditions(f))


def doc_filter(
    filters: Filters, doc_ids: Sequence[str], doc_meta: Sequence[dict[str, Any]]
) -> DocFilter | None:
    """None when no filter is active (search everything), else the documents that may be returned."""
    if not _active_fields(filters):
        return None
    conds = conditions(filters)
    keep = (k for k, meta in zip(doc_ids, doc_meta) if all(c.matches(meta) for c in conds))
    if filters.in_force_only:  # a status at a date is no stored field: engines filter on these keys
        as_of = filters.as_of or today()
        allowed = {k for k, meta in zip(doc_ids, doc_meta) if in_force(meta, as_of)}
        return DocFilter((k for k in keep if k in allowed), None)
    return DocFilter(keep, conds)


def undated_excluded(filters: Filters, doc_meta: Sequence[dict[str, Any]]) -> int:
    """How many documents only the date filter's "undated are out" rule excludes (0 without a date filter)."""
    if filters.include_undated or not (filters.date_from or filters.date_to):
        return 0
    loose = filters.model_copy(update={"include_undated": True})
    return sum(1 for m in doc_meta if not m.get("date") and doc_matches(m, loose))
