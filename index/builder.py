"""Build an index directory from processed documents, atomically.

Everything is written into a temporary sibling directory; only when every file is complete is it renamed
into place (the previous index is moved aside first and removed after). A failure leaves the previous
index serving and no debris.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from corpus.models import Document
from index.cache import EmbeddingCache, embed_with_cache
from index.dense import DenseIndex
from index.embedder import Embedder
from index.lexical import LexicalIndex
from index.manifest import Manifest
from index.passages import passage_text
from index.store import write_store
from index.tokenizer import ChineseTokenizer

log = logging.getLogger(__name__)

STORE_FILE = "clauses.sqlite"
VECTORS_FILE = "vectors.faiss"
LEXICAL_DIR = "bm25"


class EmptyCorpusError(ValueError):
    """Nothing to index: no document produced a clause."""


@dataclass
class BuildOptions:
    passage_template: str = "auto"
    lexical_template: str = "contextual"
    max_clause_chars: int = 250


def corpus_fingerprint(documents: Sequence[Document]) -> str:
    h = hashlib.sha1()
    for d in documents:
        h.update(d.id.encode())
        h.update(hashlib.sha1(d.text.encode("utf-8")).digest())
    return h.hexdigest()[:16]


def build_index(
    documents: Sequence[Document],
    out_dir: Path,
    embedder: Embedder,
    cache: EmbeddingCache | None = None,
    options: BuildOptions | None = None,
    tokenizer: ChineseTokenizer | None = None,
    progress: Callable[[int], None] | None = None,
    extra: dict | None = None,
) -> Manifest:
    options = options or BuildOptions()
    documents = [d for d in documents if d.clauses]
    if not documents:
        raise EmptyCorpusError("no clauses to index: every document was empty or skipped")
    t0 = time.perf_counter()
    tokenizer = tokenizer or ChineseTokenizer()
    pairs = [(d, c) for d in documents for c in d.clauses]
    dense_texts = [
        passage_text(d.metadata.title, c, options.passage_template, law=bool(d.metadata.law_level))
        for d, c in pairs
    ]
    lexical_texts = [
        passage_text(d.metadata.title, c, options.lexical_template, law=bool(d.metadata.law_level))
        for d, c in pairs
    ]

    over_window = [
        t
        for t in dense_texts
        if len(t) > embedder.max_tokens // 2 and embedder.count_tokens(t) > embedder.max_tokens
    ]
    if over_window:
        log.warning(
            "%d passages exceed the embedder's %d-token window and are truncated by it",
            len(over_window),
            embedder.max_tokens,
        )

    t_embed = time.perf_counter()
    vectors, fresh = embed_with_cache(embedder, dense_texts, cache, progress=progress)
    t_embed = time.perf_counter() - t_embed
    tokenized = tokenizer.tokenize_many(lexical_texts)

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        n_rows = write_store(tmp / STORE_FILE, documents)
        assert n_rows == len(pairs) == len(vectors)
        dense = DenseIndex.build(vectors)
        dense.save(tmp / VECTORS_FILE)
        LexicalIndex.build(tokenized).save(tmp / LEXICAL_DIR)
        manifest = Manifest(
            embedder_name=embedder.name,
            embedder_fingerprint=embedder.fingerprint,
            dimension=embedder.dim,
            tokenizer=tokenizer.fingerprint,
            corpus_fingerprint=corpus_fingerprint(documents),
            documents=len(documents),
            clauses=len(pairs),
            vector_index=dense.kind,
            passage_template=options.passage_template,
            max_clause_chars=options.max_clause_chars,
            build={
                "lexical_template": options.lexical_template,
                "seconds": round(time.perf_counter() - t0, 2),
                "embed_seconds": round(t_embed, 2),
                "embedded_now": fresh,
                "from_cache": len(pairs) - fresh,
                "passages_over_window": len(over_window),
                **(extra or {}),
            },
        )
        manifest.save(tmp)
        _swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _swap_into_place(tmp: Path, out_dir: Path) -> None:
    for f in tmp.rglob("*"):
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
    old = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(out_dir, old)
    try:
        os.replace(tmp, out_dir)
    except BaseException:
        if old is not None:
            os.replace(old, out_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
