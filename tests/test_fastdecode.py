"""The numpy path for single inputs decodes what torch decodes, and follows the model's weights."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from pytest_modelizer.config import ModelConfig
from pytest_modelizer.fastdecode import NumpyGreedy, _gelu
from pytest_modelizer.model import Seq2Seq
from test_model import SMALL, random_sources, sharp_model


def sharp32(cfg: ModelConfig, seed: int = 0, src_vocab: int = 20) -> Seq2Seq:
    """`sharp_model` in float32: varied outputs, no near ties."""
    return sharp_model(cfg, src_vocab=src_vocab, seed=seed).float().eval()


def torch_greedy(model: Seq2Seq, src: list[list[int]], max_len: int) -> list[list[int]]:
    with model.torch_decoding():
        return [model.generate([s], max_len=max_len)[0] for s in src]


@pytest.mark.parametrize("variant", [
    {},
    {"learned_positions": False},
    {"tie_embeddings": True},
    {"shared_vocab": True, "tie_embeddings": True},
    {"n_heads": 2, "enc_layers": 1, "dec_layers": 3},
])
def test_numpy_path_decodes_what_torch_decodes(variant: dict):
    cfg = ModelConfig(**{**SMALL.__dict__, **variant})
    vocab = 25 if cfg.shared_vocab else 20
    model = sharp32(cfg, src_vocab=vocab)
    src = random_sources(40, vocab, seed=3)
    expected = torch_greedy(model, src, max_len=30)
    assert len({tuple(o) for o in expected}) > 10, "the model should not answer everything alike"
    assert [model.generate([s], max_len=30)[0] for s in src] == expected
    assert model._fast is not None, "single inputs should have taken the numpy path"


def test_torch_decoding_is_scoped():
    model = sharp32(SMALL)
    model.numpy_decoding = False  # a caller's own choice survives the block
    with model.torch_decoding():
        assert not model._numpy_ok()
    assert model.numpy_decoding is False
    model.numpy_decoding = True
    with pytest.raises(RuntimeError), model.torch_decoding():
        raise RuntimeError
    assert model._numpy_ok()


def test_numpy_path_respects_max_len_and_training_mode():
    model = sharp32(SMALL).train()
    out = model.generate(random_sources(1, 20, seed=1), max_len=3)[0]
    assert len(out) <= 3
    assert model.training


def test_numpy_path_follows_weight_updates_and_dtype():
    model = sharp32(SMALL)
    src = random_sources(20, 20, seed=5)
    before = [model.generate([s], max_len=30)[0] for s in src]
    other = sharp32(SMALL, seed=1)
    model.load_state_dict(other.state_dict())  # copies in place: the views must see the new weights
    after = [model.generate([s], max_len=30)[0] for s in src]
    assert after != before
    assert after == torch_greedy(other, src, max_len=30)
    model.double()  # float64 (replaced parameters) falls back to torch
    assert [model.generate([s], max_len=30)[0] for s in src] == after
    assert not model._numpy_ok()


def test_gelu_matches_torch():
    x = torch.linspace(-12, 12, 20001)
    np.testing.assert_allclose(_gelu(x.numpy()), F.gelu(x).numpy(), atol=2e-6)


def test_replacing_parameters_drops_the_numpy_views():
    model = sharp32(SMALL)
    src = random_sources(20, 20, seed=6)
    model.generate(src[:1], max_len=30)
    assert model._fast is not None
    other = sharp32(SMALL, seed=2)
    model.load_state_dict(other.state_dict(), assign=True)  # new parameter tensors
    assert model._fast is None
    assert [model.generate([s], max_len=30)[0] for s in src] == torch_greedy(other, src, max_len=30)
    model.to(torch.float32)
    assert model._fast is None


def test_numpy_encoder_matches_torch():
    model = sharp32(SMALL)
    fast = NumpyGreedy(model)
    for src in random_sources(10, 20, seed=7):
        memory, _ = model.encode(torch.tensor([src]))
        np.testing.assert_allclose(fast.encode(src), memory[0].detach().numpy(), rtol=1e-4, atol=1e-4)
