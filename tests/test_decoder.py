"""The numpy decoder decodes what the torch model decodes, one input at a time and batched."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from pytest_modelizer.config import ModelConfig
from pytest_modelizer.decoder import NumpyDecoder, TorchDecoder, _gelu, rotary_angles, sinusoids, storage_dtype
from pytest_modelizer.model import Seq2Seq, _rotary_angles, _sinusoids
from pytest_modelizer.spec import ModelSpec
from test_model import SMALL, random_sources, sharp_model

VARIANTS = [
    {},
    {"learned_positions": False},
    {"tie_embeddings": True},
    {"shared_vocab": True, "tie_embeddings": True},
    {"n_heads": 2, "enc_layers": 1, "dec_layers": 3},
    {"rotary": False},
    {"rotary": False, "learned_positions": False},
]


def sharp32(cfg: ModelConfig, seed: int = 0, src_vocab: int = 20) -> Seq2Seq:
    """`sharp_model` in float32: varied outputs, no near ties."""
    return sharp_model(cfg, src_vocab=src_vocab, seed=seed).float().eval()


def numpy_decoder(model: Seq2Seq) -> NumpyDecoder:
    return NumpyDecoder(model.cfg, {k: v.numpy() for k, v in model.state_dict().items()})


@pytest.mark.parametrize("variant", VARIANTS)
def test_numpy_decodes_what_torch_decodes(variant: dict):
    cfg = ModelConfig(**{**SMALL.__dict__, **variant})
    vocab = 25 if cfg.shared_vocab else 20
    model = sharp32(cfg, src_vocab=vocab)
    src = random_sources(40, vocab, seed=3)
    decoder = numpy_decoder(model)
    single_torch = [model.decode([s], max_len=30)[0] for s in src]
    assert len({tuple(ids) for ids, _ in single_torch}) > 10, "the model should not answer everything alike"
    single = [decoder.decode([s], max_len=30)[0] for s in src]
    assert [ids for ids, _ in single] == [ids for ids, _ in single_torch]
    for batch_size in (1, 7, 64):
        batched_torch = model.decode(src, max_len=30, batch_size=batch_size)
        batched = decoder.decode(src, max_len=30, batch_size=batch_size)
        assert [ids for ids, _ in batched] == [ids for ids, _ in batched_torch]
        np.testing.assert_allclose([c for _, c in batched], [c for _, c in batched_torch], rtol=1e-4, atol=1e-5)
        assert [ids for ids, _ in batched] == [ids for ids, _ in single]


def test_an_answer_cut_at_max_len_has_no_confidence():
    model = sharp32(SMALL)
    src = random_sources(12, 20, seed=1)
    decoder = numpy_decoder(model)
    full = decoder.decode(src, max_len=30)
    cut = decoder.decode(src, max_len=3)
    assert all(len(ids) <= 3 for ids, _ in cut)
    for (ids, confidence), (whole, _) in zip(cut, full):
        assert ids == whole[:3]
        assert (confidence == 0.0) == (len(whole) >= 3)
    assert [c for _, c in cut] == [c for _, c in model.decode(src, max_len=3)] or \
        np.allclose([c for _, c in cut], [c for _, c in model.decode(src, max_len=3)], atol=1e-5)


def test_gelu_matches_torch():
    x = torch.linspace(-12, 12, 20001)
    np.testing.assert_allclose(_gelu(x.numpy()), F.gelu(x).numpy(), atol=2e-6)


def test_sinusoids_match_torch():
    # torch's float32 sine of angles up to max_len radians is off by up to ~1e-5; ours is rounded once.
    np.testing.assert_allclose(sinusoids(160, 128), _sinusoids(160, 128).numpy(), rtol=0, atol=1e-5)


def test_rotary_angles_match_torch():
    cos, sin = rotary_angles(160, 32)
    torch_cos, torch_sin = _rotary_angles(160, 32)
    np.testing.assert_allclose(cos, torch_cos.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(sin, torch_sin.numpy(), rtol=0, atol=1e-5)


def test_numpy_encoder_matches_torch():
    model = sharp32(SMALL)
    decoder = numpy_decoder(model)
    for src in random_sources(10, 20, seed=7):
        memory, _ = model.encode(torch.tensor([src]))
        np.testing.assert_allclose(decoder.encode(src), memory[0].detach().numpy(), rtol=1e-4, atol=1e-4)


def test_weights_are_stored_in_16_bits_only_where_no_answer_changes():
    model = sharp32(SMALL)  # scaled-up weights: rounding them changes some answers
    weights = {k: v.numpy() for k, v in model.state_dict().items()}
    src = random_sources(100, 20, seed=9)
    assert storage_dtype(SMALL, weights, src) == "float32"
    rounded = {k: v.astype(np.float16).astype(np.float32) for k, v in weights.items()}  # nothing left to lose
    assert storage_dtype(SMALL, rounded, src, threshold=0.5) == "float16"


def test_torch_decoder_loads_numpy_weights():
    model = sharp32(SMALL)
    weights = {k: v.numpy().astype(np.float16) for k, v in model.state_dict().items()}
    decoder = TorchDecoder(SMALL, weights, 20, 25)
    src = random_sources(10, 20, seed=8)
    assert decoder.decode(src, max_len=30) == decoder.model.decode(src, max_len=30)
    assert decoder.model.tgt_emb.weight.dtype == torch.float32


def test_a_shipped_model_decodes_the_same_in_numpy_and_torch():
    import json

    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.registry import SubjectRegistry
    from pytest_modelizer.store import ModelStore, load_artifact

    subject = SubjectRegistry.discover().get("markdown-it")
    path = ModelStore(subject.shipped_models).find_model(ModelSpec(subject, "forward"))
    mock = MockProgram(ModelSpec(subject, "forward"), load_artifact(path))
    texts = [json.loads(line)["input"] for line in subject.corpora["package-docs"].open()][:300]
    sources = [mock.src_vocab.encode(mock.encode(t)[0]) for t in texts if mock.covers(t)][:150]
    numpy_answers = mock.decoder.decode(sources)
    torch_answers = mock.torch_decoder.decode(sources)
    assert [ids for ids, _ in numpy_answers] == [ids for ids, _ in torch_answers]
    np.testing.assert_allclose([c for _, c in numpy_answers], [c for _, c in torch_answers], rtol=1e-3, atol=1e-4)
    assert [ids for ids, _ in numpy_answers[:20]] == [mock.decoder.decode([s])[0][0] for s in sources[:20]]
