"""What a subject's samples decide of its training where the configuration leaves it to them (None).

- **Lengths.** fuzzingbook's fuzzers expand at random until `max_nonterminals` are open, then close
  the derivation the shortest way: the limit, not the grammar's probabilities, decides how long
  the inputs get. With a limit too small for its grammar, a model sees long inputs only in the
  samples themselves, and is wrong on most long real ones (docs/model-history.md, pandoc-html).
  `fitted_nonterminals` doubles the limit while that makes the synthesized inputs markedly longer
  and they are still shorter than the samples, and takes the limit that makes them nearest the
  samples' lengths (a doubling too many makes them far longer where the mined probabilities
  continue lists readily, and slower to synthesize: the fuzzer's work grows with the square of a
  derivation's size).
- **Placeholder indices.** A model knows only the placeholder numbers its training pairs hold;
  real inputs hold more content runs than synthetic ones. `fitted_placeholder_limit` renumbers up
  to what the samples hold (`TrainingConfig.placeholder_limit`).

Both are measured, not guessed, and deterministic for the samples, the grammar and the
configuration, which the model key holds. Training logs the fuzzer's limit (it made the cached
pairs) and stores the placeholder limit in the model's description (`training`).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

from pytest_modelizer.config import WITHOUT_SAMPLES, TrainingConfig

if TYPE_CHECKING:
    from pytest_modelizer.subject import Subject

# The limits tried, in order: each doubles the last (a step of a few nonterminals changes the
# lengths less than the trial's noise).
NONTERMINAL_STEPS = (12, 24, 48)
TRIAL_INPUTS = 500
# The share of the longest inputs whose mean length is compared: the long inputs are what a small
# limit cuts, and the mean of a tenth (50 of the trial's inputs) is steadier than a percentile.
TAIL_SHARE = 0.1
# A doubled limit must make the longest inputs at least this much longer to be taken: beyond the
# lengths the grammar's probabilities make, it only costs synthesis time (larger trees).
MIN_GAIN = 1.1
# The samples' lengths are reached when the synthesized tail is this close to theirs.
CLOSE_ENOUGH = 0.9
# Placeholder renumbering needs at least two indices to move between.
MIN_PLACEHOLDER_LIMIT = 2
PLACEHOLDER_QUANTILE = 0.99

_fitted: dict[tuple, "LengthFit"] = {}


def tail_length(lengths: Sequence[int], share: float = TAIL_SHARE) -> float:
    """The mean of the longest `share` of `lengths` (0.0 for none)."""
    longest = sorted(lengths, reverse=True)[: max(1, int(len(lengths) * share))]
    return sum(longest) / len(longest) if longest else 0.0


def _fitting_tokens(subject: "Subject", texts: Sequence[str], max_tokens: int) -> list[tuple[str, ...]]:
    """The source tokens of the texts that tokenize and fit the model (what it can learn from)."""
    from pytest_modelizer.tokenizer import TokenizeError

    fitting = []
    for text in texts:
        try:
            tokens = subject.input_tokenizer.tokenize(text).tokens
        except TokenizeError:
            continue
        if len(tokens) <= max_tokens:
            fitting.append(tokens)
    return fitting


def _token_lengths(subject: "Subject", texts: Sequence[str], max_tokens: int) -> list[int]:
    return [len(tokens) for tokens in _fitting_tokens(subject, texts, max_tokens)]


@dataclass(frozen=True)
class LengthFit:
    """How `fit_nonterminals` chose: each limit tried, and the mean length in tokens of the longest
    tenth of its inputs, against the samples'."""

    limit: int
    tails: dict[int, float]
    samples_tail: float

    def describe(self) -> str:
        tried = ", ".join(f"{limit}: {tail:.0f}" for limit, tail in sorted(self.tails.items()))
        return (f"synthesizing with up to {self.limit} open nonterminals: the longest tenth of the inputs, "
                f"{self.tails[self.limit]:.0f} tokens on average, where the samples' is {self.samples_tail:.0f} "
                f"(tried {tried}; TrainingConfig(max_nonterminals=...) sets it)")


def fitted_nonterminals(subject: "Subject", training: TrainingConfig, samples: Sequence[str], grammar: dict,
                        log: Callable[[str], None] = lambda message: None) -> int:
    """`fit_nonterminals`' limit, logged."""
    fit = fit_nonterminals(subject, training, samples, grammar)
    log(fit.describe())
    return fit.limit


def fit_nonterminals(subject: "Subject", training: TrainingConfig, samples: Sequence[str], grammar: dict) -> LengthFit:
    """The fuzzer's `max_nonterminals` that makes inputs of `grammar` (its probabilities mined from
    `samples`) about as long as the samples.

    NONTERMINAL_STEPS are tried in order until one makes inputs whose longest tenth reaches the
    samples' (CLOSE_ENOUGH), or one is no more than MIN_GAIN longer than the last (left out: the
    grammar's probabilities decide the lengths there); a step that overshoots has the limit
    halfway back tried too. The tried limit nearest the samples' lengths is taken. Memoized for
    the process: training and its held-out inputs ask alike.
    """
    from pytest_modelizer.samples import samples_fingerprint
    from pytest_modelizer.synthesis import SynthesisPlan, synthesize

    max_tokens = training.model.max_len - 2
    memo = (subject.name, samples_fingerprint(samples), hashlib.sha256(repr(sorted(grammar.items())).encode()).hexdigest(),
            training.seed, training.coverage_share, training.max_input_chars, max_tokens)
    if memo in _fitted:
        return _fitted[memo]
    target = tail_length(_token_lengths(subject, samples, max_tokens))

    def tail_at(limit: int) -> float:
        plan = SynthesisPlan(TRIAL_INPUTS, training.seed + 1, limit, training.coverage_share, training.max_input_chars,
                             subject.start_symbol)
        tails[limit] = tail_length(_token_lengths(subject, synthesize(grammar, plan), max_tokens))
        return tails[limit]

    tails: dict[int, float] = {}
    candidates = []
    for step in NONTERMINAL_STEPS:
        tail = tail_at(step)
        if candidates and tail < MIN_GAIN * tails[candidates[-1]]:
            break  # no longer lengthens them: the grammar's probabilities decide now
        candidates.append(step)
        if tail >= CLOSE_ENOUGH * target:
            if len(candidates) > 1 and tail > target / CLOSE_ENOUGH:  # overshot: the limit between may fit
                halfway = (candidates[-2] + step) // 2
                tail_at(halfway)
                candidates.append(halfway)
            break
    # The limit whose inputs' longest tenth is nearest the samples' (by ratio).
    chosen = min(candidates, key=lambda limit: abs(math.log(max(tails[limit], 1.0) / max(target, 1.0))))
    _fitted[memo] = fit = LengthFit(chosen, tails, target)
    return fit


def fitted_placeholder_limit(subject: "Subject", training: TrainingConfig, samples: Sequence[str]) -> int:
    """The most placeholders of one kind that PLACEHOLDER_QUANTILE of the samples (those that fit
    the model) hold; 0 where that is under MIN_PLACEHOLDER_LIMIT."""
    kinds = set(subject.input_tokenizer.content)
    counts = []
    for tokens in _fitting_tokens(subject, samples, training.model.max_len - 2):
        per_kind: dict[str, set[str]] = {}
        for token in tokens:
            kind, _, number = token.rpartition("_")
            if kind in kinds and number.isdigit():
                per_kind.setdefault(kind, set()).add(token)
        counts.append(max(map(len, per_kind.values()), default=0))
    if not counts:
        return WITHOUT_SAMPLES["placeholder_limit"]
    counts.sort()
    limit = counts[min(len(counts) - 1, int(PLACEHOLDER_QUANTILE * len(counts)))]
    return limit if limit >= MIN_PLACEHOLDER_LIMIT else 0
