"""Training loop: learns a tiny task, is deterministic, stops on patience and on the time limit."""
from __future__ import annotations

import dataclasses
import random

import pytest
import torch

import toy
from pytest_modelizer.config import ModelConfig, TrainingConfig
from pytest_modelizer.model import Seq2Seq
from pytest_modelizer.spec import ModelSpec
from pytest_modelizer.tokenizer import BOS, EOS
from pytest_modelizer.train import TrainProgress, exact_match, lr_factor, make_batches, train_model

TINY = ModelConfig(d_model=48, n_heads=4, enc_layers=1, dec_layers=1, d_ff=96, dropout=0.0, max_len=16)


def reverse_pairs(n: int, seed: int) -> list[tuple[list[int], list[int]]]:
    """Source tokens 4..11 reversed into target tokens (same ids)."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        body = [rng.randrange(4, 12) for _ in range(rng.randint(2, 6))]
        pairs.append(([BOS, *body, EOS], [BOS, *reversed(body), EOS]))
    return pairs


def test_make_batches_cover_everything_once_and_bucket():
    pairs = reverse_pairs(300, 0)
    batches = make_batches(pairs, 16, random.Random(0))
    assert sorted(i for b in batches for i in b) == list(range(300))
    spread = [max(len(pairs[i][0]) for i in b) - min(len(pairs[i][0]) for i in b) for b in batches]
    assert sum(spread) / len(spread) < 2


def test_learns_reverse_quickly():
    torch.manual_seed(0)
    model = Seq2Seq(TINY, 12, 12)
    seen: list[TrainProgress] = []
    cfg = TrainingConfig(batch_size=32, lr=3e-3, max_epochs=25, max_minutes=1.0, patience=25,
                         warmup_steps=30, eval_every_pairs=1500)
    result = train_model(model, reverse_pairs(1500, 1), reverse_pairs(100, 2), cfg, progress=seen.append)
    assert result.best_val_exact >= 0.9, result.history
    assert exact_match(model, reverse_pairs(100, 2)) == result.best_val_exact  # best weights restored
    assert not model.training
    assert seen and seen[-1].val_exact is not None and seen[-1].pairs_per_s > 0
    assert result.history and result.steps > 0 and result.pairs_per_s > 0


def test_schedule_decays_by_the_time_limit():
    assert lr_factor(500, 100, 10_000, time_frac=1.0) == pytest.approx(0.1)  # the floor when time is up
    assert lr_factor(500, 100, 10_000, time_frac=0.5) == pytest.approx(0.55)  # half-way down the cosine
    assert lr_factor(500, 100, 10_000, time_frac=0.0) == lr_factor(500, 100, 10_000)
    assert lr_factor(9_000, 100, 10_000, time_frac=0.2) == lr_factor(9_000, 100, 10_000)  # steps ahead: steps rule
    assert lr_factor(49, 100, 10_000, time_frac=0.9) == pytest.approx(0.5)  # warmup is by steps


def test_same_seed_same_weights():
    states = []
    for _ in range(2):
        torch.manual_seed(123)  # the model's init is the caller's; training must not depend on other state
        model = Seq2Seq(ModelConfig(**{**TINY.__dict__, "dropout": 0.1}), 12, 12)
        torch.manual_seed(999 + len(states))  # disturbed on purpose: train_model reseeds
        cfg = TrainingConfig(batch_size=16, max_epochs=1, seed=7, eval_max=10)
        train_model(model, reverse_pairs(160, 3), reverse_pairs(10, 4), cfg)
        states.append(model.state_dict())
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


def test_patience_stops_training():
    torch.manual_seed(0)
    model = Seq2Seq(TINY, 12, 12)
    cfg = TrainingConfig(batch_size=16, lr=0.0, max_epochs=50, patience=2, eval_every_pairs=16)
    result = train_model(model, reverse_pairs(64, 5), reverse_pairs(10, 6), cfg)
    assert result.stopped == "patience"
    # Not before three whole epochs (4 steps each, one evaluation a step): at the first
    # evaluation of the fourth, long after two evaluations without improvement.
    assert len(result.history) == 13
    assert result.epochs == 4


def test_time_limit_stops_training():
    torch.manual_seed(0)
    model = Seq2Seq(TINY, 12, 12)
    cfg = TrainingConfig(batch_size=16, max_epochs=1000, max_minutes=0.02, patience=1000)
    result = train_model(model, reverse_pairs(400, 7), reverse_pairs(10, 8), cfg)
    assert result.stopped == "time"
    assert result.seconds < 5
    assert result.history[-1]["step"] == result.steps  # a final evaluation at the stop


def test_skips_pairs_longer_than_max_len():
    torch.manual_seed(0)
    model = Seq2Seq(TINY, 12, 12)
    long = ([BOS, *[5] * 20, EOS], [BOS, 5, EOS])
    cfg = TrainingConfig(batch_size=8, max_epochs=1)
    result = train_model(model, reverse_pairs(16, 9) + [long], reverse_pairs(4, 10), cfg)
    assert result.skipped == 1


def test_pairs_longer_than_max_len_are_counted_when_left_out():
    import toy
    from pytest_modelizer.behaviour import Behaviour
    from pytest_modelizer.data import Pair
    from pytest_modelizer.learn import prepare

    training = toy.TRAINING.replace(model=dataclasses.replace(toy.TINY_MODEL, max_len=8))
    short = [Pair(f"cat{'!' * (i % 3)}", Behaviour.success("cat")) for i in range(30)]
    long = [Pair("cat " * 6, Behaviour.success("cat|cat|cat|cat|cat|cat")) for _ in range(5)]
    data = prepare(ModelSpec(toy.SUBJECT, "forward", training=training), short + long)
    assert data.too_long == 5
    assert all(len(e.src) <= 6 for e in data.train + data.val + data.test)


def test_a_trained_model_describes_how_training_went(toy_cache):
    """The checkpoint keeps its learning curve and why training stopped, for whoever asks why it is weak."""
    from pytest_modelizer.store import ModelStore, load_artifact

    meta = load_artifact(ModelStore(toy_cache).find_model(ModelSpec(toy.SUBJECT, "forward"))).meta
    assert meta["stopped"] in {"max_epochs", "patience", "perfect", "time"}
    seconds = [h["seconds"] for h in meta["history"]]
    assert seconds and seconds == sorted(seconds) and all(0 <= h["val_exact"] <= 1 for h in meta["history"])
    assert max(h["val_exact"] for h in meta["history"]) >= meta["metrics"]["exact_match"] - 0.2
