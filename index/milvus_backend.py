"""The Milvus backend: a collection holds each clause's vector, its lexical text with a jieba analyzer
feeding a BM25 function into a sparse field, and a scalar field per filter (INVERTED indexes). Two thin
views implement ``VectorIndex`` and ``LexicalIndex`` over it, keyed by clause id.

Generations share the collection, Lucene-style: a row carries the generation number that added it
(``born``) and the one that removed it (``died``), and a generation sees ``born <= n < died``. An
incremental reindex writes only what changed, in place: the new and changed clauses are upserted as rows
born at the next number, the removed ones are upserted with ``died`` set to it. The generation being
served does not see either until ``CURRENT`` names the new one; the previous generation keeps seeing its
rows, so rollback works; rows no kept generation sees are deleted after the switch. The next build undoes
what a killed build (or a generation rolled back from) wrote. A full build makes a new collection; the
one it replaces is dropped once no kept generation names it. The generation directory holds a small
``milvus.json`` (collection, generation number, row count), covered by the manifest's checksums.

Lexical scores are the generation's own (issue 23): Milvus's BM25 function only *finds* candidates (its
statistics count every row of the collection, a killed build's uncommitted rows and deleted rows not yet
compacted included); each candidate is then scored with the same BM25 as the embedded backend, from the
clause's stored tokens and the document frequencies and total length recorded for the generation
(``df.json``). So a killed build or a purge changes no score of the generation being served; what can
still move is which clauses Milvus offers at the margin of a candidate list (BENCHMARKS.md).

What Milvus Lite 3.2 does differently from the embedded backend (seen here): BM25 scores come back as
negative distances; IDF is per segment and counts rows of other generations until they are deleted;
no ``filter_params`` or partial update, so expressions are built with quoted literals and a removed row is
upserted whole; one process per local ``.db`` folder (a service and a reindex share a server).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.bm25 import bm25_idf
from index.manifest import IndexError_
from index.protocols import DocFilter, FieldCondition

MILVUS_FILE = "milvus.json"
DF_FILE = "df.json"
# county joined in issue 21: collections made before it lack the field (see _scalars_of)
SCALARS = (
    "jurisdiction",
    "province",
    "city",
    "level",
    "issuer",
    "doc_type",
    "law_level",
    "date",
    "status",
    "county",
)
ID_LEN, DOC_LEN, TEXT_LEN, SCALAR_LEN = 4096, 4096, 65535, 1024  # bytes, as Milvus counts
INSERT_BATCH = 1000
MAX_LIMIT = 16384  # Milvus's top-k ceiling
ROW_CACHE = 20_000  # rows (vector + token text) kept per opened generation, about 40 MB
QUERY_REPEAT = 4  # a query term of weight w is sent round(w·4) times: BM25 counts query terms
K1, B = 1.2, 0.75  # BM25 parameters: Milvus's defaults and the embedded backend's
CANDIDATES = 2  # Milvus is asked for this many times k candidates, which are then scored exactly


class MilvusBackendError(IndexError_):
    """The collection a generation names is missing or does not match it, or Milvus cannot be reached:
    one line for the user (an ``IndexError_``), never a traceback."""


class _QuietKnown(logging.Filter):
    """Log records of Milvus Lite that are not errors for the user: its in-process gRPC server answers
    the RPCs it lacks with UNIMPLEMENTED, which pymilvus handles, but grpc logs each with a traceback (~45
    per reindex); pymilvus warns that it lacks the MVCC timestamp RPC on every query iterator; and a
    folder locked by another process is logged with a traceback before the client fails, which
    :meth:`MilvusConfig.client` turns into one line. Every other record is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, NotImplementedError) and "not implemented" in str(exc).lower():
            return False
        if "mvccTs" in str(record.msg):  # Milvus Lite has no MVCC timestamp RPC; the client's is used
            return False
        return not (exc is not None and _locked_folder(exc))


_QUIET = _QuietKnown()


def _locked_folder(exc: BaseException) -> bool:
    return type(exc).__name__ == "DataDirLockedError" or "holds the lock" in str(exc)


def _folder_held(uri: str) -> bool:
    """Does another process hold the Milvus Lite folder ``uri`` (its ``LOCK`` file, flock)?"""
    import fcntl
    import os

    lock = Path(uri) / "LOCK"
    if not lock.exists():
        return False
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


@dataclass
class MilvusConfig:
    """Where the collections live. ``uri``: a local path (Milvus Lite, ``….db``) or ``http://host:port``;
    empty means "the URI the generation was built with". ``prefix`` names this index directory's
    collections, so several index directories can share one server."""

    uri: str = ""
    token: str = ""
    prefix: str = "policy_search"
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def client(self, uri: str | None = None):  # noqa: ANN201 - pymilvus.MilvusClient
        """One client per URI for this process (Milvus Lite allows one per local folder and process)."""
        from pymilvus import MilvusClient

        uri = self.uri or uri or ""
        if not uri:
            raise MilvusBackendError(
                "no Milvus URI: set POLICY_SEARCH_MILVUS_URI (a path or http://host:port)"
            )
        with self._lock:
            got = self._clients.get(uri)
            if got is None:
                local = not uri.startswith(("http://", "https://", "tcp://", "unix:"))
                if local:
                    Path(uri).parent.mkdir(parents=True, exist_ok=True)
                for name in (
                    "grpc._server",
                    "milvus_lite.server_manager",
                    "pymilvus.client.iterator.query_iterator",
                ):
                    logging.getLogger(name).addFilter(_QUIET)
                try:
                    got = self._clients[uri] = MilvusClient(uri=uri, token=self.token or "")
                except Exception as exc:
                    if local and (_locked_folder(exc) or _folder_held(uri)):
                        raise MilvusBackendError(
                            f"Milvus Lite 数据目录 {uri} 正被另一个进程使用（例如 policy-search serve；一个目录同时只能由一个进程打开）；"
                            "请先停止该进程再运行，或改用 Milvus 服务器：milvus-lite server --host 127.0.0.1 --port 19530，"
                            "并设置 POLICY_SEARCH_MILVUS_URI=http://127.0.0.1:19530（milvus_folder_locked）"
                        ) from exc
                    raise MilvusBackendError(
                        f"无法连接 Milvus（{uri}）：{type(exc).__name__}: {exc}（milvus_unreachable）"
                    ) from exc
            return got

    def resolved_uri(self, recorded: str = "") -> str:
        return self.uri or recorded


# -- filter expressions ------------------------------------------------------------------------------
def _lit(v: str) -> str:
    return json.dumps(v, ensure_ascii=False)


def _like(v: str) -> str:
    return v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _condition(c: FieldCondition) -> str:
    f = c.field
    if c.op == "in":
        return f"{f} in [{', '.join(_lit(v) for v in c.values)}]"
    if c.op == "prefix":
        return (
            "(" + " or ".join(f"{f} == {_lit(v)} or {f} like {_lit(_like(v) + '/%')}" for v in c.values) + ")"
        )
    if c.op == "contains":
        return f"{f} like {_lit('%' + _like(c.values[0]) + '%')}"
    if c.op == "ne":
        return f"{f} != {_lit(c.values[0])}"
    cmp = ">=" if c.op == "ge" else "<="
    test = f"{f} {cmp} {_lit(c.values[0])}"
    return f'({f} == "" or {test})' if c.or_empty else f'({f} != "" and {test})'


def filter_expr(where: DocFilter | None) -> str | None:
    """A Milvus boolean expression for ``where`` (None: everything; "" never returned): the metadata
    conditions when the filter has them on fields Milvus stores, else its document keys (主题分类)."""
    if where is None:
        return None
    if where.conditions is not None and all(_stored(c) for c in where.conditions):
        return " and ".join(_condition(c) for c in where.conditions) or None
    return f"doc in [{', '.join(_lit(k) for k in sorted(where.keys))}]"


def _stored(c: FieldCondition) -> bool:
    """Whether Milvus can test ``c`` on its own scalar field: the field is stored and no value is as long
    as the field keeps (a cut value would not match)."""
    return c.field in SCALARS and all(len(v.encode("utf-8")) < SCALAR_LEN for v in c.values)


def _and(*parts: str | None) -> str | None:
    got = [f"({p})" for p in parts if p]
    return " and ".join(got) or None


def _nothing(where: DocFilter | None) -> bool:
    return where is not None and where.conditions is None and not where.keys


# -- the shared collection ---------------------------------------------------------------------------
ALIVE = 2**62  # "died" of a row no generation has removed


def visible(number: int) -> str:
    """The rows generation ``number`` holds: added at or before it, not removed at or before it."""
    return f"born <= {number} and died > {number}"


class MilvusCollection:
    """One generation's view of its collection, or (while building) the base one plus pending changes."""

    def __init__(
        self, config: MilvusConfig, dim: int, uri: str, name: str | None, count: int, number: int
    ) -> None:
        self.config = config
        self.dim = dim
        self.uri = uri
        self.name = name  # None until a full build is saved
        self.count = count
        self.number = number  # the generation number this view shows (gen-000007-… → 7)
        self._removed: set[str] = set()
        self._vectors: dict[str, tuple[str, np.ndarray]] = {}
        self._tokens: dict[str, list[str]] = {}
        self._df: dict[str, int] | None = None
        self._length: int | None = None  # total tokens of the generation's rows (for BM25's avg |d|)
        self._base_df: Path | None = None  # the base generation's df.json (incremental builds)
        self._saved: Path | None = None
        self._loaded = False
        self._rows: OrderedDict[str, dict] = OrderedDict()
        self._rows_lock = threading.Lock()

    @property
    def client(self):  # noqa: ANN201
        return self.config.client(self.uri)

    @property
    def visible(self) -> str:
        return visible(self.number)

    # -- building ---------------------------------------------------------------------------------
    @classmethod
    def create(cls, config: MilvusConfig, dim: int) -> MilvusCollection:
        return cls(config, dim, config.resolved_uri(), None, 0, 0)

    @property
    def size(self) -> int:
        """Rows of this generation, or of the one being built (its removals and additions counted)."""
        return self.count - len(self._removed) + len(self._vectors)

    def remove(self, ids: Iterable[str]) -> int:
        new = set(ids) - self._removed
        self._removed |= new
        for c in new:
            self._vectors.pop(c, None)
            self._tokens.pop(c, None)
        return len(new)

    def _schema(self):  # noqa: ANN202
        from pymilvus import DataType, Function, FunctionType

        s = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        s.add_field("pk", DataType.VARCHAR, max_length=ID_LEN + 24, is_primary=True)  # id@born
        s.add_field("id", DataType.VARCHAR, max_length=ID_LEN)
        s.add_field("born", DataType.INT64)
        s.add_field("died", DataType.INT64)
        s.add_field("doc", DataType.VARCHAR, max_length=DOC_LEN)
        s.add_field(
            "text",
            DataType.VARCHAR,
            max_length=TEXT_LEN,
            enable_analyzer=True,
            analyzer_params={"tokenizer": "jieba"},
        )
        s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        s.add_field("vec", DataType.FLOAT_VECTOR, dim=self.dim)
        for f in SCALARS:
            s.add_field(f, DataType.VARCHAR, max_length=SCALAR_LEN)
        s.add_function(
            Function(
                name="bm25",
                function_type=FunctionType.BM25,
                input_field_names=["text"],
                output_field_names=["sparse"],
            )
        )
        ip = self.client.prepare_index_params()
        ip.add_index("vec", index_type="HNSW", metric_type="IP", params={"M": 32, "efConstruction": 80})
        ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        for f in ("id", "doc", *SCALARS):
            ip.add_index(f, index_type="INVERTED")
        for f in ("born", "died"):
            ip.add_index(f, index_type="INVERTED")  # STL_SORT is not in Milvus Lite
        return s, ip

    def _new_rows(self, store_path: Path, number: int) -> Iterator[dict]:
        from index.store import ClauseStore

        store = ClauseStore(store_path)
        try:
            meta = dict(zip(store.doc_ids, store.doc_meta))
        finally:
            store.close()
        for cid, (doc, vec) in self._vectors.items():
            m = meta.get(doc, {})
            row = {
                "pk": f"{cid}@{number}",
                "id": cid,
                "born": number,
                "died": ALIVE,
                "doc": doc,
                "text": " ".join(self._tokens[cid]),
                "vec": vec.tolist(),
            }
            row.update({f: _cut(str(m.get(f) or ""), SCALAR_LEN) for f in SCALARS})
            yield row

    def _retire(self, number: int) -> tuple[Counter[str], int]:
        """Mark the removed clauses' rows as removed at ``number`` (upserted by their key, whole: Milvus
        Lite has no partial update); the terms they held, for the document frequencies, and their length."""
        gone: Counter[str] = Counter()
        length = 0
        ids = sorted(self._removed)
        fields = (
            ["pk", "id", "born", "died", "doc", "text", "vec", *_scalars_of(self.client, self.name)]
            if ids
            else []
        )
        for i in range(0, len(ids), INSERT_BATCH):
            rows = self.client.query(
                self.name, filter=_and(self.visible, _id_in(ids[i : i + INSERT_BATCH])), output_fields=fields
            )
            for r in rows:
                r["died"] = number
                gone.update(set(r["text"].split(" ")) - {""})
                length += _length(r["text"])
            if rows:
                self.client.upsert(self.name, [dict(r) for r in rows])
        return gone, length

    def materialize(self, generation_dir: Path) -> None:
        """Write the new generation into Milvus (once, whichever view saves first): a full build into a new
        collection; an incremental one into the base's, as rows born at the new number and rows that died
        at it, which the base generation (and the service reading it) does not see."""
        if self._saved is not None:
            return
        missing = set(self._vectors) ^ set(self._tokens)
        if missing:
            raise ValueError(
                f"{len(missing)} clauses have a vector or tokens but not both, e.g. {min(missing)}"
            )
        client = self.client
        number = next_generation_number(generation_dir)
        df: Counter[str] = Counter()
        length: int | None = 0
        if self.name is None:  # a full build
            self.name = f"{self.config.prefix}_{uuid.uuid4().hex[:12]}"
            schema, index_params = self._schema()
            client.create_collection(
                self.name, schema=schema, index_params=index_params, consistency_level="Strong"
            )
        else:
            self._load()
            df.update(self.df(self._base_df) if self._base_df else {})
            length = self.length(self._base_df) if self._base_df else None
            gone, gone_length = self._retire(number)
            df.subtract(gone)
            length = None if length is None else length - gone_length
        expected = self.size
        batch: list[dict] = []
        for row in self._new_rows(generation_dir / "clauses.sqlite", number):
            df.update(set(row["text"].split(" ")) - {""})
            length = None if length is None else length + _length(row["text"])
            batch.append(row)
            if len(batch) >= INSERT_BATCH:
                client.upsert(self.name, batch)
                batch = []
        if batch:
            client.upsert(self.name, batch)
        client.flush(self.name)
        self._load()
        got = _count(client, self.name, visible(number))
        if got != expected:
            raise MilvusBackendError(
                f"collection {self.name} shows {got} rows at {number}, expected {expected}"
            )
        self.count, self.number, self._df = expected, number, {t: n for t, n in df.items() if n > 0}
        self._length = length
        self._saved = generation_dir
        self._vectors, self._tokens, self._removed = {}, {}, set()

    def write_files(self, directory: Path, with_df: bool) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        info = {
            "collection": self.name,
            "uri": self.uri,
            "dim": self.dim,
            "count": self.count,
            "generation": self.number,
        }
        (directory / MILVUS_FILE).write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
        if with_df:
            (directory / DF_FILE).write_text(
                json.dumps({"n": self.count, "df": self._df, "length": self._length}, ensure_ascii=False),
                encoding="utf-8",
            )

    # -- reading ----------------------------------------------------------------------------------
    @classmethod
    def open(cls, directory: Path, config: MilvusConfig, lexical_dir: Path | None = None) -> MilvusCollection:
        from pymilvus.exceptions import MilvusException

        info = json.loads((directory / MILVUS_FILE).read_text(encoding="utf-8"))
        uri = config.resolved_uri(info.get("uri", ""))
        coll = cls(
            config, int(info["dim"]), uri, info["collection"], int(info["count"]), int(info["generation"])
        )
        coll._base_df = lexical_dir
        try:
            found = coll.client.has_collection(coll.name)
        except MilvusException as exc:
            raise MilvusBackendError(f"cannot reach Milvus at {uri}: {exc}") from exc
        if not found:
            raise MilvusBackendError(f"Milvus collection {coll.name} (at {uri}) is missing")
        return coll

    def df(self, directory: Path) -> dict[str, int]:
        if self._df is None:
            data = json.loads((directory / DF_FILE).read_text(encoding="utf-8"))
            self._df = {str(k): int(v) for k, v in data["df"].items()}
            self._length = int(data["length"]) if data.get("length") is not None else None
        return self._df

    def length(self, directory: Path) -> int | None:
        """Total tokens of the generation's rows; None for a generation written before it was recorded."""
        self.df(directory)
        return self._length

    def _load(self) -> None:
        if not self._loaded:
            self.client.load_collection(self.name)
            self._loaded = True

    def check(self, dim: int) -> None:
        """The collection exists, has ``dim`` dimensions and the rows the generation recorded."""
        from pymilvus.exceptions import MilvusException

        try:
            self._check(dim)
        except MilvusException as exc:
            raise MilvusBackendError(f"collection {self.name} at {self.uri}: {exc}") from exc

    def _check(self, dim: int) -> None:
        if self.dim != dim:
            raise MilvusBackendError(
                f"collection {self.name} has {self.dim} dimensions, the embedder gives {dim}"
            )
        described = self.client.describe_collection(self.name)
        vec = next((f for f in described["fields"] if f["name"] == "vec"), None)
        got_dim = int((vec or {}).get("params", {}).get("dim", -1))
        if got_dim != dim:
            raise MilvusBackendError(f"collection {self.name}'s vectors have {got_dim} dimensions, not {dim}")
        self._load()
        got = _count(self.client, self.name, self.visible)
        if got != self.count:
            raise MilvusBackendError(
                f"collection {self.name} shows {got} rows for generation {self.number}, "
                f"its manifest recorded {self.count}"
            )

    def search(
        self, data: list, field: str, k: int, expr: str | None, params: dict
    ) -> list[tuple[str, float]]:
        self._load()
        if k <= 0:
            return []
        res = self.client.search(
            self.name,
            data=data,
            anns_field=field,
            limit=min(k, MAX_LIMIT),
            filter=_and(self.visible, expr),
            search_params=params,
            output_fields=["id"],
        )
        return [(h["entity"]["id"], float(h["distance"])) for h in res[0]]

    def get(self, ids: Sequence[str]) -> dict[str, dict]:
        """The rows (vector and token text) of ``ids`` this generation sees. A generation's rows never
        change, so they are kept (LRU): a query's vector scores and its coverage share one fetch."""
        self._load()
        with self._rows_lock:
            out = {c: self._rows[c] for c in ids if c in self._rows}
        ask = [c for c in dict.fromkeys(ids) if c not in out]
        for i in range(0, len(ask), INSERT_BATCH):
            rows = self.client.query(
                self.name,
                filter=_and(self.visible, _id_in(ask[i : i + INSERT_BATCH])),
                output_fields=["id", "vec", "text"],
            )
            for row in rows:
                out[row["id"]] = {"vec": row["vec"], "text": row["text"]}
        with self._rows_lock:
            for c in ask:
                if c in out:
                    self._rows[c] = out[c]
            while len(self._rows) > ROW_CACHE:
                self._rows.popitem(last=False)
        return out


def next_generation_number(generation_dir: Path) -> int:
    """The number the generation being built will get: the builder writes it under the index root
    (``ROOT/.build-…``), and names it after every generation there (``IndexLayout.next_name``)."""
    from index.generations import IndexLayout, generation_number

    return generation_number(IndexLayout(generation_dir.parent).next_name())


def _scalars_of(client: Any, name: str) -> tuple[str, ...]:  # noqa: ANN401 - pymilvus.MilvusClient
    """The scalar fields a collection has: one made before a field joined SCALARS (county) lacks it, and a
    query that names a missing field fails."""
    have = {f["name"] for f in client.describe_collection(name).get("fields", [])}
    return tuple(f for f in SCALARS if f in have)


def _id_in(ids: Sequence[str]) -> str:
    return f"id in [{', '.join(_lit(c) for c in ids)}]"


def prepare_collection(generation_dir: Path, config: MilvusConfig, ahead_of: int) -> int:
    """Before a build on the generation at ``generation_dir``: forget what generations numbered above
    ``ahead_of`` wrote into its collection (a killed build, or one rolled back from): their new rows are
    deleted, the rows they removed are alive again. Returns how many rows changed."""
    info = recorded(generation_dir)
    if info is None:
        return 0
    client = config.client(info.get("uri", ""))
    name = info["collection"]
    if not client.has_collection(name):
        return 0
    client.load_collection(name)
    ahead = _count(client, name, f"born > {ahead_of}")
    if ahead:
        client.delete(name, filter=f"born > {ahead_of}")
    revived = 0
    fields = ["pk", "id", "born", "died", "doc", "text", "vec", *_scalars_of(client, name)]
    it = client.query_iterator(
        name, batch_size=INSERT_BATCH, filter=f"died > {ahead_of} and died < {ALIVE}", output_fields=fields
    )
    try:
        while batch := it.next():
            client.upsert(name, [{**r, "died": ALIVE} for r in batch])
            revived += len(batch)
    finally:
        it.close()
    if ahead or revived:
        client.flush(name)
    return ahead + revived


def purge_dead(generation_dir: Path, config: MilvusConfig, oldest_kept: int) -> int:
    """Delete the rows no kept generation shows any more (removed at or before ``oldest_kept``)."""
    info = recorded(generation_dir)
    if info is None:
        return 0
    client = config.client(info.get("uri", ""))
    name = info["collection"]
    client.load_collection(name)
    dead = _count(client, name, f"died <= {oldest_kept}")
    if dead:
        client.delete(name, filter=f"died <= {oldest_kept}")
        client.flush(name)
    return dead


def _length(text: str) -> int:
    return sum(1 for t in text.split(" ") if t)


def _cut(text: str, limit: int) -> str:
    """At most ``limit`` UTF-8 bytes, cut at a character boundary (a 400-character issuer list)."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def _count(client, name: str, expr: str) -> int:  # noqa: ANN001
    rows = client.query(name, filter=expr, output_fields=["count(*)"])
    return int(rows[0]["count(*)"])


# -- the two views -----------------------------------------------------------------------------------
class MilvusVectorIndex:
    kind = "milvus"
    structure = "Milvus HNSW(IP)"

    def __init__(self, coll: MilvusCollection) -> None:
        self.coll = coll

    @property
    def size(self) -> int:
        return self.coll.size

    @property
    def dim(self) -> int:
        return self.coll.dim

    def add(self, ids: Sequence[str], docs: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, np.float32).reshape(-1, self.dim)
        if len(vectors) != len(ids):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        if not np.isfinite(vectors).all():
            raise ValueError("vectors that are not finite (NaN or infinity)")
        for cid, doc, v in zip(ids, docs, vectors):
            self.coll._vectors[cid] = (doc, v)

    def remove(self, ids: Iterable[str]) -> int:
        return self.coll.remove(ids)

    def _params(self, k: int) -> dict:
        return {"metric_type": "IP", "params": {"ef": max(64, min(k, MAX_LIMIT))}}

    def search(
        self, query: np.ndarray, k: int, where: DocFilter | None = None
    ) -> tuple[list[str], np.ndarray]:
        if _nothing(where):
            return [], np.zeros(0, np.float32)
        q = np.asarray(query, np.float32).ravel().tolist()
        hits = self.coll.search([q], "vec", min(k, self.size), filter_expr(where), self._params(k))
        return [h[0] for h in hits], np.array([h[1] for h in hits], np.float32)

    def search_groups(
        self, query: np.ndarray, k: int, groups: Sequence[DocFilter], where: DocFilter | None = None
    ) -> list[list[str]]:
        """One filtered search per group (Milvus filters inside its HNSW search)."""
        q = np.asarray(query, np.float32).ravel().tolist()
        base = filter_expr(where)
        out = []
        for g in groups:
            if _nothing(g) or _nothing(where):
                out.append([])
                continue
            out.append(
                [h[0] for h in self.coll.search([q], "vec", k, _and(base, filter_expr(g)), self._params(k))]
            )
        return out

    def vectors_for(self, ids: Sequence[str]) -> np.ndarray:
        if len(ids) == 0:
            return np.zeros((0, self.dim), np.float32)
        rows = self.coll.get(ids)
        missing = [c for c in ids if c not in rows]
        if missing:
            raise KeyError(f"{len(missing)} clause ids not in collection {self.coll.name}, e.g. {missing[0]}")
        return np.array([rows[c]["vec"] for c in ids], np.float32)

    def scores_for(self, query: np.ndarray, ids: Sequence[str]) -> np.ndarray:
        return self.vectors_for(ids) @ np.asarray(query, np.float32).ravel()

    def check(self, dim: int) -> None:
        self.coll.check(dim)

    def save(self, directory: Path) -> None:
        self.coll.materialize(directory.parent)
        self.coll.write_files(directory, with_df=False)


class MilvusLexicalScores:
    """One query's BM25 scores. With the generation's statistics (``terms`` and ``stats`` given), Milvus
    only proposes candidates and every score is computed here, exactly as the embedded backend computes
    it; without them (a generation written before they were recorded), score = −distance from Milvus."""

    def __init__(
        self,
        coll: MilvusCollection,
        text: str,
        where: DocFilter | None,
        terms: dict[str, float] | None = None,
        stats: tuple[dict[str, int], int, int] | None = None,
    ) -> None:
        self.coll, self.text, self.where = coll, text, where
        self._expr = filter_expr(where)
        self._known: dict[str, float] = {}
        self._exact = terms is not None and stats is not None
        if self._exact:
            df, n, length = stats  # type: ignore[misc]
            self._avg = length / n if n else 1.0
            self._weights = {
                t: w * float(bm25_idf(np.array([df[t]], np.float64), n)[0])
                for t, w in (terms or {}).items()
                if df.get(t, 0) > 0 and w > 0
            }

    def _score(self, ids: Sequence[str]) -> None:
        """Exact BM25 of ``ids`` from their stored tokens (rows are cached per generation)."""
        ask = [c for c in dict.fromkeys(ids) if c not in self._known]
        if not ask:
            return
        rows = self.coll.get(ask) if self._weights else {}
        for c in ask:
            tokens = [t for t in rows.get(c, {}).get("text", "").split(" ") if t]
            tf = Counter(tokens)
            norm = K1 * ((1 - B) + B * len(tokens) / max(self._avg, 1e-9))
            self._known[c] = sum(w * tf[t] / (tf[t] + norm) for t, w in self._weights.items() if tf[t])

    def _search(self, k: int, expr: str | None) -> list[tuple[str, float]]:
        if not self.text or _nothing(self.where):
            return []
        if not self._exact:
            hits = self.coll.search([self.text], "sparse", k, expr, {"metric_type": "BM25"})
            got = [(c, -d) for c, d in hits if -d > 0]
            self._known.update(got)
            return got
        found = self.coll.search([self.text], "sparse", k * CANDIDATES, expr, {"metric_type": "BM25"})
        ids = [c for c, _ in found]
        self._score(ids)
        ranked = sorted(((c, self._known[c]) for c in ids if self._known[c] > 0), key=lambda x: (-x[1], x[0]))
        return ranked[:k]

    def top(self, k: int) -> tuple[list[str], np.ndarray]:
        hits = self._search(k, self._expr)
        return [h[0] for h in hits], np.array([h[1] for h in hits], np.float32)

    def scores_for(self, ids: Sequence[str]) -> np.ndarray:
        if self._exact:
            if self.text and not _nothing(self.where):
                self._score(ids)
            return np.array([self._known.get(c, 0.0) for c in ids], np.float32)
        ask = [c for c in dict.fromkeys(ids) if c not in self._known]
        for i in range(0, len(ask), MAX_LIMIT):
            part = ask[i : i + MAX_LIMIT]
            self._search(len(part), _and(self._expr, _id_in(part)))
            self._known.update((c, 0.0) for c in part if c not in self._known)
        return np.array([self._known.get(c, 0.0) for c in ids], np.float32)

    def top_groups(self, k: int, groups: Sequence[DocFilter]) -> list[list[str]]:
        return [
            [] if _nothing(g) else [h[0] for h in self._search(k, _and(self._expr, filter_expr(g)))]
            for g in groups
        ]


class MilvusLexicalIndex:
    kind = "milvus"
    # each query is a server round trip that returns a top-k, not every clause's score: scoring a
    # concept's forms one by one (search.retrieval.ConceptScores) would cost a call per form and see
    # only each form's own top-k, so the searcher sums the forms here, as BM25 itself does
    per_term_queries = False

    def __init__(self, coll: MilvusCollection, directory: Path | None = None) -> None:
        self.coll = coll
        self._dir = directory

    @property
    def score_scale(self) -> float:
        """How many times the embedded backend's BM25 this backend's scores run (relevance divides it
        out): 1 when the generation recorded its statistics (each candidate is scored exactly, as the
        embedded backend does); else Milvus's own BM25, which multiplies each term by (k1 + 1) (k1 = 1.2)
        and sees a term of weight w sent round(4·w) times."""
        return 1.0 if self._stats() is not None else QUERY_REPEAT * 2.2

    @property
    def size(self) -> int:
        return self.coll.size

    def add(self, ids: Sequence[str], docs: Sequence[str], tokens: Sequence[list[str]]) -> None:
        if len(ids) != len(tokens):
            raise ValueError(f"{len(ids)} ids for {len(tokens)} token lists")
        for cid, toks in zip(ids, tokens):
            self.coll._tokens[cid] = [t.replace(" ", "") for t in toks if t.strip()]

    def remove(self, ids: Iterable[str]) -> int:
        return self.coll.remove(ids)

    def query(
        self, tokens: list[str], weights: dict[str, float] | None = None, where: DocFilter | None = None
    ) -> MilvusLexicalScores:
        """The terms as one analyzed text; a term's weight becomes how often it is repeated (BM25 counts
        repeated query terms), in quarters: an expansion of weight 0.5 is sent twice, a word asked once four times."""
        words: list[str] = []
        weights = weights or {}
        terms: dict[str, float] = {}
        for tok, n in Counter(tokens).items():
            # a weight applies to the question's own words too (a capped colloquial word: 民营医院 at 0.23)
            terms[tok] = n * weights.get(tok, 1.0)
            words += [tok] * max(1, round(terms[tok] * QUERY_REPEAT))
        for tok, w in weights.items():
            if tok not in tokens and w > 0:
                terms[tok] = w
                words += [tok] * max(1, round(w * QUERY_REPEAT))
        return MilvusLexicalScores(self.coll, " ".join(words), where, terms, self._stats())

    def _stats(self) -> tuple[dict[str, int], int, int] | None:
        """The generation's document frequencies, row count and total length, when recorded."""
        df = self._df()
        length = self.coll.length(self._dir) if self._dir else self.coll._length
        return None if length is None else (df, self.coll.count, length)

    def idf(self, tokens: Sequence[str]) -> np.ndarray:
        """As ``BM25Index.idf``, from the document frequencies written at build time."""
        known = self._df()
        df = np.array([known.get(t, 0) for t in tokens], np.float64)
        return np.where(df > 0, bm25_idf(df, self.coll.count), 0.0)

    def _df(self) -> dict[str, int]:
        return self.coll.df(self._dir) if self._dir else (self.coll._df or {})

    def coverage(self, tokens: list[str], ids: Sequence[str]) -> np.ndarray:
        """As ``BM25Index.coverage``: the share of the query's IDF mass each clause contains, from the
        document frequencies written at build time and the clauses' stored token text."""
        terms = list(dict.fromkeys(tokens))
        if not terms or not len(ids):
            return np.zeros(len(ids), np.float32)
        df = self._df()
        idf = bm25_idf(np.array([df.get(t, 0) for t in terms], np.float64), self.coll.count)
        known = [i for i, t in enumerate(terms) if df.get(t, 0) > 0]
        if not known:
            return np.zeros(len(ids), np.float32)
        has = self.presence([terms[i] for i in known], ids)
        return (has @ idf[known] / idf.sum()).astype(np.float32)

    @property
    def vocabulary(self) -> Sequence[str]:
        """Every term of the document-frequency table written at build time."""
        return list(self._df())

    def presence(self, tokens: Sequence[str], ids: Sequence[str]) -> np.ndarray:
        """As ``BM25Index.presence``, from the clauses' stored token text."""
        out = np.zeros((len(ids), len(tokens)), bool)
        if not len(tokens) or not len(ids):
            return out
        rows = self.coll.get(ids)
        for j, cid in enumerate(ids):
            have = set(rows.get(cid, {}).get("text", "").split(" "))
            out[j] = [t in have for t in tokens]
        return out

    def save(self, directory: Path) -> None:
        self.coll.materialize(directory.parent)
        self.coll.write_files(directory, with_df=True)
        self._dir = directory


def create_indexes(config: MilvusConfig, dim: int) -> tuple[MilvusVectorIndex, MilvusLexicalIndex]:
    coll = MilvusCollection.create(config, dim)
    return MilvusVectorIndex(coll), MilvusLexicalIndex(coll)


def open_indexes(
    vector_dir: Path, lexical_dir: Path, config: MilvusConfig
) -> tuple[MilvusVectorIndex, MilvusLexicalIndex]:
    coll = MilvusCollection.open(vector_dir, config, lexical_dir)
    return MilvusVectorIndex(coll), MilvusLexicalIndex(coll, lexical_dir)


def recorded(generation_dir: Path) -> dict | None:
    """What a generation's ``milvus.json`` records (collection, uri, dim, count, generation), or None
    for a generation of another backend or an unreadable file."""
    try:
        info = json.loads((generation_dir / "vectors" / MILVUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and "collection" in info else None


def referenced_collection(generation_dir: Path) -> str | None:
    info = recorded(generation_dir)
    return info["collection"] if info else None


def drop_unreferenced(config: MilvusConfig, keep: set[str], uri: str = "") -> list[str]:
    """Drop this index directory's collections that no kept generation names (killed or superseded
    builds). Call with the build lock held."""
    client = config.client(uri)
    gone = [n for n in client.list_collections() if n.startswith(config.prefix + "_") and n not in keep]
    for n in gone:
        client.drop_collection(n)
    return gone
