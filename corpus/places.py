"""A clause's place in its document, as the stable part of its id.

The place is read from the numbering of the heading path, not from a running count, so that inserting or
editing one clause leaves the ids of the others alone:

- 吉林市 五、加大政策支持 › （十二）加强人力资源保障 → ``五/(十二)``
- a law's 第一章 总则 › 第三条 → ``第一章/第三条``
- text before the first heading → ``序言``; 结语; 附件1：… → ``附件1``
- the second part of a clause split at sentence ends → ``五/(十二)~2``
- a second block under the same path (rare) → ``五/(十二)@2``
"""

from __future__ import annotations

import re

from corpus.headings import heading_number

_UNSAFE = re.compile(r"[\s/~@:?#%\\]+")


def heading_marker(label: str) -> str:
    """The numbering of one heading ("（十二）加强人力资源保障" → "(十二)"); unnumbered labels are kept short."""
    return heading_number(label) or _UNSAFE.sub("_", label.strip())[:24] or "_"


def clause_places(paths: list[list[str]], parts: list[int]) -> list[str]:
    """Places of a document's clauses, in order; unique within the document."""
    out: list[str] = []
    blocks: dict[str, int] = {}
    last_block: str | None = None
    for path, part in zip(paths, parts):
        base = "/".join(heading_marker(h) for h in path) or "_"
        if part == 1:
            blocks[base] = blocks.get(base, 0) + 1
            last_block = base if blocks[base] == 1 else f"{base}@{blocks[base]}"
        block = last_block or base
        out.append(block if part == 1 else f"{block}~{part}")
    return out
