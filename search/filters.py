"""Turn :class:`Filters` into a boolean mask over clauses (computed per document, then spread)."""

from __future__ import annotations

from typing import Any

import numpy as np

from search.models import Filters


def _doc_matches(meta: dict[str, Any], f: Filters) -> bool:
    jur = meta.get("jurisdiction") or ""
    if f.jurisdiction and not any(jur == j or jur.startswith(j + "/") for j in f.jurisdiction):
        return False
    if f.province and meta.get("province") not in f.province:
        return False
    if f.city and meta.get("city") not in f.city:
        return False
    if f.level and meta.get("level") not in f.level:
        return False
    if f.issuer and f.issuer not in (meta.get("issuer") or ""):
        return False
    if f.doc_type and meta.get("doc_type") not in f.doc_type:
        return False
    if f.law_level and meta.get("law_level") not in f.law_level:
        return False
    if not f.include_drafts and meta.get("status") == "draft":
        return False
    if f.date_from or f.date_to:
        date = meta.get("date")
        if not date:
            return False
        if f.date_from and date < f.date_from.isoformat():
            return False
        if f.date_to and date > f.date_to.isoformat():
            return False
    return True


def clause_mask(
    filters: Filters, doc_meta: list[dict[str, Any]], clause_doc: np.ndarray
) -> np.ndarray | None:
    """None when no filter is active (search everything), else True where a clause may be returned."""
    if not filters.active():
        return None
    docs = np.array([_doc_matches(m, filters) for m in doc_meta], dtype=bool)
    return docs[clause_doc]
