"""Chinese tokenizer for the lexical index: jieba (search mode) over NFKC text, with a dictionary of
policy terms (社会办医, 多点执业, 医联体, 双随机 …) so they stay whole, plus their parts for recall."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from config.processes import python_child_env
from config.settings import default_of
from corpus.normalize import match_text

_STOP = set(
    "的 了 和 与 及 或 等 在 对 为 是 将 把 被 按 按照 以 由 从 于 其 之 并 也 都 而 且 就 中 上 下 有 要 应 应当 可 可以 "
    "各 有关 相关 进一步 加强 推进 实施 开展 工作 情况 我 你 他 她 吗 呢 吧 啊 什么 怎么 怎样 如何 哪些 是否 能 能不能 "
    "会 不会 请问 一下 这个 那个 这 那".split()
)
_TOKEN_OK = re.compile(r"[\w\u3400-\u9fff+]")


PARALLEL_LINES = 20_000  # distinct new lines from which tokenize_many_later uses other processes

log = logging.getLogger(__name__)


class ChineseTokenizer:
    name = "jieba-search+policy-terms"

    def __init__(self, extra_terms: list[str] | None = None, processes: int | None = None) -> None:
        """``processes``: how many a large :meth:`tokenize_many` uses (default: the setting
        ``tokenize_processes``); the tokens are the same either way."""
        import jieba

        terms = (Path(__file__).parent / "data" / "policy_terms.txt").read_text(encoding="utf-8")
        self._extra = list(extra_terms or [])
        self._words = [ln.split()[0] for ln in terms.splitlines() if ln.strip()] + self._extra
        self.processes = default_of("tokenize_processes") if processes is None else processes
        self._jieba_instance = None
        self._init_lock = threading.Lock()
        self.fingerprint = (
            f"{self.name}|{jieba.__version__}|"
            + hashlib.sha1("\n".join(self._words).encode()).hexdigest()[:12]
        )

    @property
    def _jieba(self):  # noqa: ANN202 - jieba.Tokenizer
        """Loaded on first use (~1 s): a reindex with nothing new to tokenise never pays for it."""
        with self._init_lock:
            return self._load()

    def _load(self):  # noqa: ANN202
        if self._jieba_instance is None:
            import logging

            import jieba

            logging.getLogger("jieba").setLevel(
                logging.WARNING
            )  # its dictionary-loading chatter is DEBUG noise
            tok = jieba.Tokenizer()
            tok.initialize()
            for w in self._words:
                tok.add_word(match_text(w), freq=100000)
            self._jieba_instance = tok
        return self._jieba_instance

    def tokenize(self, text: str) -> list[str]:
        """ "民营医院能不能纳入医保定点" → ['民营', '医院', '民营医院', '纳入', '医保', '定点', '医保定点']"""
        out = []
        for tok in self._jieba.cut_for_search(match_text(text), HMM=True):
            tok = tok.strip()
            if tok and tok not in _STOP and _TOKEN_OK.search(tok):
                out.append(tok)
        return out

    def tokenize_many(self, texts: list[str], seen: dict[str, list[str]] | None = None) -> list[list[str]]:
        """Each text's tokens, identical to :meth:`tokenize`'s, computed line by line with each distinct line
        tokenised once (a line break ends a word anyway): the title and heading path that open every
        clause's lexical text of a document, and boilerplate repeated across documents, are read once.
        ``seen`` carries the lines already tokenised from one call to the next (a build's batches)."""
        seen = {} if seen is None else seen
        out = []
        for t in texts:
            toks: list[str] = []
            for line in t.split("\n"):
                got = seen.get(line)
                if got is None:
                    got = seen[line] = [sys.intern(x) for x in self.tokenize(line)]
                toks.extend(got)
            out.append(toks)
        return out

    def tokenize_many_later(self, texts: list[str], seen: dict[str, list[str]] | None = None) -> LaterTokens:
        """:meth:`tokenize_many`'s answer, to be asked for by calling the object returned. With many new
        lines (≥ ``PARALLEL_LINES``) and ``processes`` > 1 they are tokenised meanwhile in that many fresh
        Python processes (``python -c``: no fork of a build's threads, no re-run of the caller's script as
        multiprocessing's spawn would do), while the caller does other work (a build MinHashes its
        sentences); otherwise when asked, here. The tokens are the same either way. A caller that fails
        before asking calls ``cancel()``: the processes still running are killed, not waited for."""
        seen = {} if seen is None else seen
        new = (
            list(dict.fromkeys(ln for t in texts for ln in t.split("\n") if ln not in seen))
            if self.processes > 1
            else []
        )
        if len(new) < PARALLEL_LINES:
            return LaterTokens(lambda: self.tokenize_many(texts, seen))
        share = -(-len(new) // self.processes)
        parts = [new[i : i + share] for i in range(0, len(new), share)]
        env = python_child_env()
        children = _Children()
        threads = ThreadPoolExecutor(len(parts))
        running = [threads.submit(self._in_child, part, env, children) for part in parts]

        def answer() -> list[list[str]]:
            try:
                done = [f.result() for f in running]
            finally:
                threads.shutdown()
            seen.update(zip(new, ([sys.intern(x) for x in toks] for part in done for toks in part)))
            return self.tokenize_many(texts, seen)  # every line is in seen now: only put together

        def cancel() -> None:
            children.kill_all()
            threads.shutdown(wait=False, cancel_futures=True)

        return LaterTokens(answer, cancel)

    def _in_child(self, part: list[str], env: dict[str, str], children: _Children) -> list[list[str]]:
        request = json.dumps({"extra": self._extra, "lines": part}, ensure_ascii=False).encode("utf-8")
        try:
            proc = children.start([sys.executable, "-c", _WORKER_CODE], env)
            try:
                # jieba reads ~1,000 lines a second; a hang is not waited out
                out, err = proc.communicate(request, timeout=60 + len(part) / 100)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                raise
            if proc.returncode:
                raise subprocess.CalledProcessError(proc.returncode, proc.args, out, err)
            got = json.loads(out)
            if not isinstance(got, list) or len(got) != len(part):
                raise ValueError(f"{len(got) if isinstance(got, list) else type(got).__name__} answers")
            return got
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            if children.cancelled:
                return []  # killed because the build failed meanwhile: nobody will read these tokens
            said = (getattr(exc, "stderr", b"") or b"").decode("utf-8", "replace").strip().splitlines()
            log.warning(
                "a tokenising process failed (%s: %s); tokenising its %d lines in this one",
                type(exc).__name__,
                said[-1] if said else exc,
                len(part),
            )
            return [self.tokenize(ln) for ln in part]


class LaterTokens:
    """Tokens on their way (:meth:`ChineseTokenizer.tokenize_many_later`): call it for them, one list of
    tokens per text; ``cancel()`` when they will not be asked for (it does nothing once they are in)."""

    def __init__(
        self, answer: Callable[[], list[list[str]]], cancel: Callable[[], None] | None = None
    ) -> None:
        self._answer, self._cancel = answer, cancel

    def __call__(self) -> list[list[str]]:
        out = self._answer()
        self._cancel = None
        return out

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel()
            self._cancel = None


class _Children:
    """The tokenising processes of one call, so that a failed build can kill them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._procs: list[subprocess.Popen] = []
        self.cancelled = False

    def start(self, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        with self._lock:
            if self.cancelled:
                raise OSError("cancelled")
            proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
            )
            self._procs.append(proc)
            return proc

    def kill_all(self) -> None:
        with self._lock:
            self.cancelled = True
            for proc in self._procs:
                if proc.poll() is None:
                    proc.kill()


# a tokenising process: the lines on stdin, their tokens on stdout (both JSON)
_WORKER_CODE = (
    "import json, sys\n"
    "from index.tokenizer import ChineseTokenizer\n"
    "req = json.loads(sys.stdin.buffer.read())\n"
    "tok = ChineseTokenizer(req['extra'], processes=1)\n"
    "sys.stdout.write(json.dumps([tok.tokenize(x) for x in req['lines']], ensure_ascii=False))\n"
)
