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
from pytest_modelizer.train import (ANNEAL_ABOVE, LR_FLOOR, TrainProgress, annealed_factor, exact_match, lr_factor,
                                    make_batches, train_model)

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


def test_teacher_forced_exact_match_is_greedy_decodings():
    # At every stage of training, from untrained (decodes to the cap) to trained (stops at the end).
    torch.manual_seed(1)
    model = Seq2Seq(TINY, 12, 12)
    pairs = reverse_pairs(200, 3)
    cfg = TrainingConfig(batch_size=32, lr=3e-3, max_epochs=4, max_minutes=1.0, warmup_steps=30)
    shares = []
    for _ in range(5):
        greedy = model.generate([s for s, _ in pairs], max_len=model.cfg.max_len)
        decoded = sum(g == list(t[1:-1]) for g, (_, t) in zip(greedy, pairs)) / len(pairs)
        assert exact_match(model, pairs) == decoded
        shares.append(decoded)
        train_model(model, reverse_pairs(1500, 4), [], cfg)
    assert shares[0] < 0.1 and max(shares) > 0.3  # untrained and partly trained models were compared


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


def test_patience_at_a_low_learning_rate_stops_training(monkeypatch):
    monkeypatch.setattr("pytest_modelizer.train.PATIENCE_AFTER_PAIRS", 0)  # the epochs' rule alone
    monkeypatch.setattr("pytest_modelizer.train.PATIENCE_AFTER_EPOCHS", 9)
    torch.manual_seed(0)
    model = Seq2Seq(TINY, 12, 12)
    # lr 0: flat from the start. Ten epochs of 4 steps: by step 37 the cosine is near its floor.
    cfg = TrainingConfig(batch_size=16, lr=0.0, max_epochs=10, patience=2, eval_every_pairs=16)
    result = train_model(model, reverse_pairs(64, 5), reverse_pairs(10, 6), cfg)
    assert result.stopped == "patience"
    # Not before nine whole epochs (4 steps each, one evaluation a step): at the first
    # evaluation of the tenth, long after two evaluations without improvement.
    assert len(result.history) == 37
    assert result.epochs == 10
    assert result.history[-1]["lr_factor"] <= ANNEAL_ABOVE


def test_a_plateau_at_a_high_learning_rate_lowers_it_before_stopping(monkeypatch):
    monkeypatch.setattr("pytest_modelizer.train.PATIENCE_AFTER_PAIRS", 0)
    torch.manual_seed(0)
    model = Seq2Seq(TINY, 12, 12)
    # 50 epochs: at step 13 the rate is still warming up. Patience waited 2 steps, so the rate falls
    # to its floor over 2 steps, and training stops at the end of the fall.
    cfg = TrainingConfig(batch_size=16, lr=0.0, max_epochs=50, patience=2, eval_every_pairs=16)
    result = train_model(model, reverse_pairs(64, 5), reverse_pairs(10, 6), cfg)
    assert result.stopped == "patience"
    factors = [h["lr_factor"] for h in result.history]
    assert len(factors) == 15 and factors[12] > ANNEAL_ABOVE
    assert factors[13] < factors[12] and factors[14] == pytest.approx(LR_FLOOR)


def test_the_final_fall_is_a_cosine_to_the_floor():
    # After 100 steps, a fall of 50: steps 100 .. 149 (counted from 0).
    assert annealed_factor(99, 100, 0.8, 50) == pytest.approx(0.8)
    assert annealed_factor(124, 100, 0.8, 50) == pytest.approx((0.8 + LR_FLOOR) / 2)
    assert annealed_factor(149, 100, 0.8, 50) == annealed_factor(900, 100, 0.8, 50) == pytest.approx(LR_FLOOR)


def test_a_small_data_set_trains_on_however_still_its_few_validation_pairs():
    # 64 pairs: flat (lr 0) for all 20 epochs, but 1,280 pairs seen are too few for patience; and
    # the model that learns 100 % of 10 validation pairs early is not stopped by them either.
    torch.manual_seed(0)
    flat = train_model(Seq2Seq(TINY, 12, 12), reverse_pairs(64, 5), reverse_pairs(10, 6),
                       TrainingConfig(batch_size=16, lr=0.0, max_epochs=20, patience=2, eval_every_pairs=16))
    assert flat.stopped == "max_epochs" and flat.epochs == 20
    torch.manual_seed(0)
    cfg = TrainingConfig(batch_size=32, lr=3e-3, max_epochs=12, patience=25, warmup_steps=30)
    learnt = train_model(Seq2Seq(TINY, 12, 12), reverse_pairs(1500, 1), reverse_pairs(10, 2), cfg)
    assert any(h["val_exact"] == 1.0 for h in learnt.history[:-1]), learnt.history
    assert learnt.stopped == "max_epochs" and learnt.epochs == 12


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


def test_pairs_that_cannot_be_tokenized_are_counted_with_an_example_and_the_fix():
    from pytest_modelizer.behaviour import Behaviour
    from pytest_modelizer.data import Pair
    from pytest_modelizer.learn import describe_untokenizable, prepare
    from pytest_modelizer.tokenizer import LarkTokenizer

    words_only = dataclasses.replace(toy.SUBJECT, input_tokenizer=LarkTokenizer(
        terminals='WORD.2: /[a-z]+/\nSP.1: " "', content=("WORD",)))
    spec = ModelSpec(words_only, "forward", training=toy.TRAINING)
    pairs = [Pair(f"cat {'owl' * (1 + i % 3)}", Behaviour.success("cat")) for i in range(30)]
    data = prepare(spec, pairs + [Pair("cat !owl", Behaviour.success("cat"))] * 3)
    assert [p.input for p, _ in data.untokenizable] == ["cat !owl"] * 3
    message = describe_untokenizable(data.untokenizable, 33)
    assert message.startswith("3 of 33 synthesized pairs cannot be tokenized")
    assert "'cat !owl'" in message and "'!owl'" in message and "ANY.-1" in message
    # Too few left to train on: the error says why, not "too long".
    with pytest.raises(ValueError, match=r"only 0 of 3 synthesized pairs can be trained on: 3 of 3 .*cannot be tokenized"):
        prepare(spec, [Pair("cat !owl", Behaviour.success("cat"))] * 3)


def test_the_summary_says_why_and_when_training_stopped():
    from pytest_modelizer.learn import trained_summary

    meta = {"metrics": {"exact_match": 0.8, "n": 5}, "calibration": {"answered": 0.0, "target": 0.99},
            "training": {"max_minutes": 1.0}, "train_seconds": 18.6, "epochs": 60, "stopped": "max_epochs"}
    summary = trained_summary(ModelSpec(toy.SUBJECT, "forward"), meta)
    assert "held-out exact match 80.0% on 5 pairs; 0.0% answered confidently (5 held-out pairs cannot vouch" in summary
    assert summary.endswith("trained 18.6 s of 60 s, 60 epochs: the last epoch was run (TrainingConfig(max_epochs=...))")


def test_the_summary_says_when_a_constant_answer_would_score_as_well():
    from pytest_modelizer.behaviour import Behaviour
    from pytest_modelizer.data import Example, Pair
    from pytest_modelizer.learn import constant_answer, trained_summary

    pair = Pair("cat", Behaviour.success("cat"))
    held_out = [Example(("cat",), ("ok",), {}, pair)] * 92 + [Example(("!",), ("failure", "KeyError"), {}, pair)] * 8
    metrics = {"exact_match": 0.92, "n": 100, **constant_answer(held_out)}
    assert (metrics["constant_share"], metrics["constant_answer"]) == (0.92, "ok")
    meta = {"metrics": metrics, "calibration": {"answered": 0.9, "target": 0.99}, "training": {}, "stopped": "time"}
    spec = ModelSpec(toy.SUBJECT, "forward", "failure")
    assert "(no better than answering 'ok' every time, which 92.0% of the held-out pairs expect" in trained_summary(
        spec, meta)
    meta["metrics"] = {**metrics, "exact_match": 0.97}  # wrong on 3 %, where answering "ok" is on 8 %
    assert "no better" not in trained_summary(spec, meta)
    # A program that rarely fails: 99.7 % against 98.8 % is a model that learnt the failures.
    meta["metrics"] = {**metrics, "exact_match": 0.997, "constant_share": 0.988}
    assert "no better" not in trained_summary(spec, meta)


def test_an_inverse_model_trains_on_outputs_and_not_on_failures_which_no_query_is():
    from pytest_modelizer.behaviour import Behaviour
    from pytest_modelizer.data import Pair
    from pytest_modelizer.learn import prepare

    words = ["cat", "owl", "bee", "emu", "ant", "dog"]
    texts = [f"{a} !{b}" for a in words for b in words]
    pairs = [Pair(t, Behaviour.success(toy.shout(t))) for t in texts]
    pairs += [Pair(f"{t} {n}", Behaviour.failed("ValueError", "digits")) for n, t in enumerate(texts)]

    def kept(direction: str, aspect: str = "output") -> set[bool]:
        data = prepare(ModelSpec(toy.SUBJECT, direction, aspect, training=toy.TRAINING), pairs)
        return {e.pair.behaviour.ok for e in data.train + data.val + data.test}

    assert kept("inverse") == {True}
    assert kept("forward") == kept("inverse", "failure") == {True, False}
