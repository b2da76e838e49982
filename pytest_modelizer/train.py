"""Training loop: length-bucketed batches, AdamW with warmup + cosine decay, exact-match early stop.

Deterministic for `cfg.seed` on CPU with a fixed thread count: the batch order comes from
`random.Random(seed)`, weights and dropout from `torch.manual_seed(seed)` (the global torch
generator is reseeded). Not bitwise deterministic on CUDA (atomics in some kernels). The
wall-clock limit `cfg.max_minutes` makes *where* training stops depend on machine speed; the
learning-rate schedule depends only on steps, so two runs agree up to the earlier stop.
"""
from __future__ import annotations

import math
import os
import random
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

from pytest_modelizer.config import TrainingConfig
from pytest_modelizer.model import Seq2Seq
from pytest_modelizer.tokenizer import BOS, PAD

Pair = tuple[list[int], list[int]]

# Patience stops training only after this many whole epochs. A model first learns the commonest
# answer and may then stay flat for a while; patience counts evaluations, and with many pairs an
# epoch holds several, so a short patience could end training on that plateau.
PATIENCE_AFTER_EPOCHS = 3
# ... and after this many pairs seen: a small data set (a grammar that makes a few hundred inputs)
# passes in seconds, its validation set is a handful of pairs whose exact match stops moving long
# before the model has learnt the rest; such a set trains to max_epochs or max_minutes instead.
# (Three epochs of the default 20,000 pairs see more: for them nothing changes.)
PATIENCE_AFTER_PAIRS = 50_000
# The learning rate's last value, as a share of cfg.lr: the cosine ends here, not at zero.
LR_FLOOR = 0.1
# A plateau found while the learning rate is above this share of cfg.lr does not stop training at
# once: the rate first falls to the floor over as many steps as patience waited (a cosine), and
# training stops at the end of that fall. At a high rate, validation exact match bounces around a
# level that a lower rate lifts; stopping there keeps a model that never had its low-rate steps.
ANNEAL_ABOVE = 2 * LR_FLOOR
# Training stops early at a perfect validation exact match only on this many pairs: none wrong of
# 300 bounds the error rate near 1 % (the rule of three); 5 or 24 right of 5 or 24 say little.
PERFECT_AFTER_PAIRS = 300


@dataclass(frozen=True)
class TrainProgress:
    """A snapshot of a running training, for progress bars."""

    epoch: int
    step: int
    total_steps_estimate: int
    loss: float
    val_exact: float | None
    elapsed_s: float
    pairs_per_s: float
    limit_s: float = 0.0  # the wall-clock cap (max_minutes), which may end training before its steps do


@dataclass
class TrainResult:
    """How training went; `history` has one dict per evaluation."""

    epochs: int
    steps: int
    seconds: float
    best_val_exact: float
    pairs_per_s: float
    stopped: str = ""  # "max_epochs", "patience", "time", "perfect"
    skipped: int = 0  # training pairs longer than the model's max_len
    history: list[dict] = field(default_factory=list)


def set_threads() -> int:
    """Share the cores among pytest-xdist workers unless the user chose a thread count.

    Oversubscribed torch threads spin and wait on each other: on 2 cores, two processes with
    2 threads each train several times slower than with 1 thread each.
    """
    if not any(os.environ.get(v) for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")):
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
        workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
        torch.set_num_threads(max(1, cores // max(1, workers)))
    return torch.get_num_threads()


def make_batches(pairs: list[Pair], batch_size: int, rng: random.Random, chunk_batches: int = 50) -> list[list[int]]:
    """Index batches of similar length: shuffle, sort within chunks, then shuffle the batches."""
    idx = list(range(len(pairs)))
    rng.shuffle(idx)
    chunk = batch_size * chunk_batches
    batches = []
    for c in range(0, len(idx), chunk):
        part = sorted(idx[c:c + chunk], key=lambda i: (len(pairs[i][0]) + len(pairs[i][1])))
        batches.extend(part[b:b + batch_size] for b in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def _pad(seqs: list[torch.Tensor]) -> torch.Tensor:
    """Right-pad 1-d long tensors with PAD into (B, L)."""
    return torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=PAD)


def _teacher_forced(model: Seq2Seq, pairs: list[Pair], batch_size: int):
    """(logits (B, T, V) as floats, the target tokens they predict (B, T)) per batch of similar target
    lengths, the model in eval mode meanwhile."""
    was_training = model.training
    model.eval()
    dev = model._device()
    by_length = sorted(pairs, key=lambda pair: len(pair[1]))  # little padding per batch
    try:
        for start in range(0, len(by_length), batch_size):
            chunk = by_length[start:start + batch_size]
            src = _pad([torch.tensor(s, dtype=torch.long) for s, _ in chunk]).to(dev)
            tgt = _pad([torch.tensor(t, dtype=torch.long) for _, t in chunk]).to(dev)
            yield model(src, tgt[:, :-1]).float(), tgt[:, 1:]
    finally:
        model.train(was_training)


@torch.inference_mode()
def exact_match(model: Seq2Seq, pairs: list[Pair], batch_size: int = 64) -> float:
    """Share of pairs whose greedy prediction equals the target (ids with BOS/EOS), in one teacher-forced pass.

    Greedy decoding gives the target exactly when, fed the target's own prefix, the model's most
    likely next token is the target's at every position, its end included: by induction the
    greedy prefix is then the target's, and the logits are the ones teacher forcing computes. So
    one forward pass per batch answers it, where decoding takes a pass per token (and a model that
    has not learnt to stop, early in training, decodes every batch to its longest target).
    """
    right = 0
    for logits, wanted in _teacher_forced(model, pairs, batch_size):
        logits[..., PAD] = logits[..., BOS] = float("-inf")  # never emitted, as in decoding
        agree = (logits.argmax(-1) == wanted) | (wanted == PAD)  # (B, T)
        right += int(agree.all(dim=1).sum())
    return right / len(pairs) if pairs else 0.0


@torch.inference_mode()
def mean_loss(model: Seq2Seq, pairs: list[Pair], batch_size: int = 64) -> float:
    """Teacher-forced cross-entropy per target token over pairs."""
    total, count = 0.0, 0
    for logits, wanted in _teacher_forced(model, pairs, batch_size):
        total += float(F.cross_entropy(logits.flatten(0, 1), wanted.flatten(), ignore_index=PAD, reduction="sum"))
        count += int((wanted != PAD).sum())
    return total / max(1, count)


def lr_factor(step: int, warmup: int, total: int, floor: float = LR_FLOOR, time_frac: float = 0.0) -> float:
    """Linear warmup to 1, then cosine decay to `floor` at `total` steps or at the time limit, whichever comes first.

    `time_frac` is the share of the time limit spent. It matters only on a run headed for the limit:
    one whose epochs end well within it follows its steps alone (and stays reproducible), one that
    the limit stops was never reproducible, and decaying to the floor by then beats stopping
    half-way down the cosine.
    """
    if step < warmup:
        return (step + 1) / warmup
    frac = min(1.0, max((step - warmup) / max(1, total - warmup), time_frac))
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * frac))


def annealed_factor(step: int, start: int, start_factor: float, length: int, floor: float = LR_FLOOR) -> float:
    """The learning-rate factor of step `step` (counted from 0) in a final fall from `start_factor` that begins
    after `start` steps: a cosine whose `length`-th step is at `floor`."""
    frac = min(1.0, max(0, step + 1 - start) / max(1, length))
    return floor + (start_factor - floor) * 0.5 * (1 + math.cos(math.pi * frac))


def train_model(model: Seq2Seq, train: list[Pair], val: list[Pair], cfg: TrainingConfig, device: str = "cpu",
                progress: Callable[[TrainProgress], None] | None = None, criterion: str = "exact") -> TrainResult:
    """Train `model` in place on (source ids, target ids) pairs; restores the best weights by the criterion.

    `criterion` "exact": greedy exact match on validation pairs (higher is better); "loss": their
    cross-entropy, for models that are sampled rather than decoded greedily (an input generator
    has no single right answer, so its exact match says nothing).
    """
    start = time.perf_counter()
    deadline = start + cfg.max_minutes * 60
    set_threads()
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    max_len = model.cfg.max_len
    kept = [(s, t) for s, t in train if len(s) <= max_len and len(t) - 1 <= max_len]
    skipped = len(train) - len(kept)
    if not kept:
        raise ValueError(f"no training pair fits max_len={max_len} ({len(train)} pairs given)")
    val = [(s, t) for s, t in val if len(s) <= max_len and len(t) - 1 <= max_len][: cfg.eval_max or None]
    data = [(torch.tensor(s, dtype=torch.long), torch.tensor(t, dtype=torch.long)) for s, t in kept]

    model.to(device)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.98))
    steps_per_epoch = math.ceil(len(data) / cfg.batch_size)
    total = steps_per_epoch * cfg.max_epochs
    warmup = min(cfg.warmup_steps, max(1, total // 10))
    eval_steps = min(steps_per_epoch, max(1, math.ceil(cfg.eval_every_pairs / cfg.batch_size)))
    use_amp = device.startswith("cuda")

    best_exact, best_state, bad_evals = -1.0, None, 0
    step, epoch, pairs_seen, train_s, loss_avg = 0, 0, 0, 0.0, float("nan")
    history: list[dict] = []
    stopped = "max_epochs"
    last_eval_step = 0
    factor = 0.0  # the learning rate's share of cfg.lr at the last step
    # Once a plateau is found at a high rate: the step and factor where the final fall begins. It
    # lasts as many steps as patience waited, and so ends on an evaluation.
    anneal: tuple[int, float] | None = None
    anneal_steps = cfg.patience * eval_steps

    def report(val_exact: float | None) -> None:
        if progress is not None:
            progress(TrainProgress(epoch, step, total, loss_avg, val_exact, time.perf_counter() - start,
                                   pairs_seen / train_s if train_s else 0.0, cfg.max_minutes * 60))

    def evaluate() -> bool:
        """Evaluate, keep the best weights; True when training should stop."""
        nonlocal best_exact, best_state, bad_evals, last_eval_step, stopped, anneal
        last_eval_step = step
        if criterion == "loss":
            val_loss = mean_loss(model, val) if val else 0.0
            exact = -val_loss  # higher is better, like exact match
            record = {"val_loss": val_loss}
        else:
            exact = exact_match(model, val) if val else 0.0
            record = {"val_exact": exact}
        history.append({"epoch": epoch, "step": step, "seconds": round(time.perf_counter() - start, 2),
                        "loss": loss_avg, "lr_factor": round(factor, 4), **record})
        if exact > best_exact or best_state is None:
            best_exact, bad_evals = exact, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            bad_evals += 1
        report(exact if criterion == "exact" else None)
        if len(val) >= PERFECT_AFTER_PAIRS and criterion == "exact" and exact >= 1.0:
            stopped = "perfect"
        elif anneal is not None:
            if step < anneal[0] + anneal_steps:  # the fall runs its course; patience has had its say
                return False
            stopped = "patience"
        elif bad_evals >= cfg.patience and epoch > PATIENCE_AFTER_EPOCHS and pairs_seen >= PATIENCE_AFTER_PAIRS:
            if factor > ANNEAL_ABOVE:
                anneal = (step, factor)
                return False
            stopped = "patience"
        else:
            return False
        return True

    done = False
    for epoch in range(1, cfg.max_epochs + 1):
        for batch in make_batches(kept, cfg.batch_size, rng):
            t0 = time.perf_counter()
            src = _pad([data[i][0] for i in batch]).to(device)
            tgt = _pad([data[i][1] for i in batch]).to(device)
            time_frac = (t0 - start) / (deadline - start) if deadline > start else 0.0
            # Only a run headed for the limit follows the clock: at this pace, would its steps outlast it?
            if step == 0 or time_frac * total / step < 1.0:
                time_frac = 0.0
            factor = lr_factor(step, warmup, total, time_frac=time_frac)
            if anneal is not None:
                factor = min(factor, annealed_factor(step, *anneal, anneal_steps))
            for group in opt.param_groups:
                group["lr"] = cfg.lr * factor
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_amp):
                logits = model(src, tgt[:, :-1])  # (B, T, V)
            loss = F.cross_entropy(logits.float().flatten(0, 1), tgt[:, 1:].flatten(),
                                   ignore_index=PAD, label_smoothing=cfg.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            step += 1
            pairs_seen += len(batch)
            value = loss.item()
            loss_avg = value if math.isnan(loss_avg) else 0.95 * loss_avg + 0.05 * value
            train_s += time.perf_counter() - t0
            if step % 10 == 0:
                report(None)
            if step % eval_steps == 0 and evaluate():
                done = True
                break
            if time.perf_counter() >= deadline:
                stopped = "time"
                done = True
                break
        if done:
            break
    if last_eval_step != step:
        reason = stopped
        evaluate()
        if stopped != "perfect":
            stopped = reason

    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return TrainResult(epochs=epoch, steps=step, seconds=round(time.perf_counter() - start, 2),
                       best_val_exact=max(best_exact, 0.0) if criterion == "exact" else 0.0, pairs_per_s=pairs_seen / train_s if train_s else 0.0,
                       stopped=stopped, skipped=skipped, history=history)
