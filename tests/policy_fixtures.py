"""The hand-judged policy documents of tests/fixtures/policy_documents.txt (issue 21), and how they are scored.

Used by tests/test_real_text.py and scripts/measure_real_text.py (which runs the same scoring on any checkout,
so a before/after comparison reads the same file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "policy_documents.txt"
HELD_OUT = (
    Path(__file__).parent / "fixtures" / "policy_documents_heldout.txt"
)  # judged after the code was done
FIELDS = ("jurisdiction", "level", "issuer", "doc_number", "date", "status", "addressee")
NOT_HEADINGS = {"序言", "结语", "印发通知"}


@dataclass
class Judged:
    id: str
    text: str
    expected: dict[str, str | None]
    attachments: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


def _list(value: str) -> list[str]:
    return [x.strip() for x in value.split(" | ") if x.strip()]


def load_judged(path: Path = FIXTURES) -> list[Judged]:
    out: list[Judged] = []
    records = path.read_text(encoding="utf-8").split("\n=== ")[1:]
    for rec in records:
        head, _, text = rec.partition("\n---\n")
        lines = head.split("\n")
        values: dict[str, str] = {}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            values[key.strip()] = value.strip()
        out.append(
            Judged(
                id=lines[0].strip(),
                text=text.rstrip("\n") + "\n",
                expected={k: values.get(k) or None for k in FIELDS},
                attachments=_list(values.get("attachments", "")),
                headings=_list(values.get("headings", "")),
                outside=_list(values.get("outside", "")),
            )
        )
    return out


def heading_labels(doc: Any) -> list[str]:
    """Every heading label of a processed document's clauses, in order of first appearance."""
    seen: dict[str, None] = {}
    for c in doc.clauses:
        for label in c.heading_path:
            if label not in NOT_HEADINGS:
                seen.setdefault(label, None)
    return list(seen)


def _opens_a_line(fragment: str, text: str) -> bool:
    """A 落款, 抄送 or 附件 line is a line of its own: the fragment opens one of the clause's lines (or follows
    a sentence end: a scraped page runs lines together), and what follows it on the line is nothing, a date
    or a bracket — not a sentence that merely opens with the same name ("国家发展改革委《关于…》已经…")."""
    for line in text.split("\n"):
        for piece in [line, *line.split("。")[1:]]:
            piece = piece.strip().lstrip("（(")
            rest = piece[len(fragment) :]
            if piece.startswith(fragment) and (
                fragment in _PREFIXES or not rest or rest[0] in "：:（）() \t0123456789二〇"
            ):
                return True
    return False


_PREFIXES = {"抄送", "印发", "联系人", "此件公开发布", "此件主动公开"}


def score(j: Judged, doc: Any) -> dict[str, Any]:
    """What one processed document got right: each metadata field, headings lost / spurious, clauses that hold
    a 落款, 抄送/印发 or 附件-list line."""
    md = doc.metadata
    got = {k: getattr(md, k, None) for k in FIELDS}
    labels = heading_labels(doc)
    leaks = [frag for frag in j.outside if any(_opens_a_line(frag, c.text) for c in doc.clauses)]
    return {
        "fields": {k: got[k] == j.expected[k] for k in FIELDS},
        "got": got,
        "attachments": list(getattr(md, "attachments", []) or []) == j.attachments,
        "lost": [h for h in j.headings if h not in labels],
        "spurious": [h for h in labels if h not in j.headings],
        "headings_exact": labels == j.headings,
        "leaks": leaks,
    }
