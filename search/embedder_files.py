"""Arrays tied to the embedder they were measured with (the query adapter, the language offset): one ``.npz``
holding the arrays, the embedder's fingerprint, a JSON ``info`` and the other engines' fingerprints it was
measured to suit (``applies_to``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def save_bound(
    path: Path, arrays: dict[str, np.ndarray], fingerprint: str, info: dict, applies_to: tuple[str, ...]
) -> None:
    np.savez_compressed(
        path,
        **{k: v.astype(np.float32) for k, v in arrays.items()},
        fingerprint=np.array(fingerprint),
        info=np.array(json.dumps(info, ensure_ascii=False, sort_keys=True)),
        applies_to=np.array(list(applies_to), dtype=str),
    )


def load_bound(path: Path, names: tuple[str, ...]) -> tuple[list[np.ndarray], str, dict, tuple[str, ...]]:
    """The arrays ``names``, the fingerprint, the info and ``applies_to`` (empty in files written before it).

    Raises OSError or KeyError when the file is missing or lacks one of them."""
    with np.load(path) as z:
        also = tuple(str(f) for f in z["applies_to"]) if "applies_to" in z.files else ()
        return [z[n] for n in names], str(z["fingerprint"]), json.loads(str(z["info"])), also


def suits(fingerprint: str, own: str, applies_to: tuple[str, ...]) -> bool:
    """Whether an embedder with ``fingerprint`` may use arrays measured with ``own`` (or one of ``applies_to``)."""
    return fingerprint in (own, *applies_to)
