"""Turn :class:`Filters` into the set of documents a search may return (a :class:`DocFilter`).

How each filter matches is declared on its field (``match``) in ``search.models.Filters``:

- ``prefix``: "辽宁省" matches "辽宁省" and "辽宁省/沈阳市" (any of the given values);
- ``one_of``: the metadata value is one of the given values;
- ``substring``: the given text occurs in the metadata value (issuer);
- ``date_from`` / ``date_to``: the document's date is in range; undated documents are excluded unless
  ``include_undated`` (``undated``) is set;
- ``drafts``: false excludes documents whose status is "draft".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from index.protocols import DocFilter, FieldCondition
from search.models import Filters


def _prefix(meta: dict, name: str, want: list[str], f: Filters) -> bool:
    jur = meta.get(name) or ""
    return any(jur == j or jur.startswith(j + "/") for j in want)


def _date(meta: dict, name: str, want: Any, f: Filters) -> bool:
    date = meta.get("date")
    if not date:
        return f.include_undated
    return date >= want.isoformat() if name == "date_from" else date <= want.isoformat()


MATCHERS: dict[str, Callable[[dict, str, Any, Filters], bool]] = {
    "prefix": _prefix,
    "one_of": lambda meta, name, want, f: meta.get(name) in want,
    "substring": lambda meta, name, want, f: want in (meta.get(name) or ""),
    "date_from": _date,
    "date_to": _date,
    "drafts": lambda meta, name, want, f: want or meta.get("status") != "draft",
    "undated": lambda meta, name, want, f: True,  # read by the date matchers
}


def _conditions(name: str, kind: str, want: Any, f: Filters) -> list[FieldCondition]:
    """The same test as ``MATCHERS[kind]``, as metadata conditions an engine evaluates itself (Milvus)."""
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
    return []  # "undated": read by the date conditions


def _active_fields(f: Filters) -> list[tuple[str, str, Any]]:
    out = []
    for name, field in Filters.model_fields.items():
        value = getattr(f, name)
        default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
        if value != default:
            out.append((name, field.json_schema_extra["match"], value))  # type: ignore[index]
    return out


def doc_matches(meta: dict[str, Any], f: Filters) -> bool:
    return all(MATCHERS[kind](meta, name, value, f) for name, kind, value in _active_fields(f))


def doc_filter(
    filters: Filters, doc_ids: Sequence[str], doc_meta: Sequence[dict[str, Any]]
) -> DocFilter | None:
    """None when no filter is active (search everything), else the documents that may be returned."""
    active = _active_fields(filters)
    if not active:
        return None
    return DocFilter(
        (
            k
            for k, meta in zip(doc_ids, doc_meta)
            if all(MATCHERS[kind](meta, n, v, filters) for n, kind, v in active)
        ),
        [c for n, kind, v in active for c in _conditions(n, kind, v, filters)],
    )


def undated_excluded(filters: Filters, doc_meta: Sequence[dict[str, Any]]) -> int:
    """How many documents only the date filter's "undated are out" rule excludes (0 without a date filter)."""
    if filters.include_undated or not (filters.date_from or filters.date_to):
        return 0
    loose = filters.model_copy(update={"include_undated": True})
    return sum(1 for m in doc_meta if not m.get("date") and doc_matches(m, loose))
