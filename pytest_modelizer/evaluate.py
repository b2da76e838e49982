"""Fidelity of a model against the real program: exact match, BLEU, token accuracy, coverage."""
from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from pytest_modelizer.aspect import failure_kind, project
from pytest_modelizer.behaviour import Behaviour
from pytest_modelizer.calibration import consistent
from pytest_modelizer.data import Pair, encode_pair, grammar_membership, throttled
from pytest_modelizer.mock import MockProgram
from pytest_modelizer.runner import ProgramRunner


@dataclass
class Scored:
    """One evaluated input: covered or not, exact or not, and the two token sequences."""

    covered: bool  # the query represented, and (forward) the program's answer one the model can write
    exact: bool
    predicted: Sequence[str]
    reference: Sequence[str]
    confidence: float = 0.0  # the decoder's (0 when uncovered)
    familiar: bool = True  # like the training sources, in shape and in content (calibration.Familiarity)
    consistent: bool = True  # the other direction's model leads the answer back (calibration.consistent)
    source_tokens: int | None = None  # the query's length in tokens (None: it does not tokenize)
    # Whether the input grammar describes the input's shape (None: not checked, or too long to parse).
    in_grammar: bool | None = None
    # Why it is not covered: the query's reason (Prediction.uncovered), or "unseen output tokens"
    # where the reference holds tokens the model cannot write; `unseen` lists the tokens.
    uncovered: str = ""
    unseen: tuple[str, ...] = ()
    # Whether the model represents the query at all, whatever the program answered: an input the
    # model reads, though the program's answer holds words it cannot write, is not `covered`.
    query_covered: bool = True
    spelled: bool = False  # read through tokens never seen whole, spelled by known ones (MockProgram.pieces)


# How many of the tokens that make inputs uncovered a report lists.
UNSEEN_LISTED = 15
# Exact match is reported per bucket of the query's length in tokens: where it falls with length.
LENGTH_BUCKETS = ((20, "<=20"), (40, "21-40"), (80, "41-80"), (None, ">80"))


# Real inputs are reported apart by whether the input grammar describes them: inside it the model
# meets what it was trained on, outside it what the grammar would have to grow to make.
GRAMMAR_SPLIT = ((True, "inside"), (False, "outside"), (None, "too long to parse"))


def length_bucket(tokens: int | None) -> str:
    if tokens is None:
        return "untokenized"
    return next(name for limit, name in LENGTH_BUCKETS if limit is None or tokens <= limit)


def _bleu(scored: Sequence[Scored]) -> tuple[float, float]:
    """Mean sentence BLEU in [0, 1] and its standard error, on token sequences."""
    import sacrebleu

    symbols: dict[str, str] = {}

    def words(tokens: Sequence[str]) -> str:
        # Tokens may hold spaces and newlines: give each a space-free symbol for sacrebleu.
        return " ".join(symbols.setdefault(t, f"t{len(symbols)}") for t in tokens)

    values = []
    for s in scored:
        if not s.covered or not s.reference:
            values.append(1.0 if s.covered and s.exact else 0.0)
            continue
        bleu = sacrebleu.sentence_bleu(words(s.predicted), [words(s.reference)], tokenize="none")
        values.append(min(1.0, bleu.score / 100))  # a perfect match may score a hair above 100
    if not values:
        return 0.0, 0.0
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / max(1, len(values) - 1)
    return mean, math.sqrt(var / len(values))


def _token_accuracy(s: Scored) -> float:
    if not s.covered:
        return 0.0
    length = max(len(s.predicted), len(s.reference))
    if length == 0:
        return 1.0
    return sum(a == b for a, b in zip(s.predicted, s.reference)) / length


def summarize(scored: Sequence[Scored], threshold: float | None = None) -> dict:
    """The metrics over evaluated inputs; uncovered inputs count as misses.

    With a confidence threshold: `confident`, the share of inputs answered at or above it
    (uncovered and unfamiliar ones never are, nor those the other direction's model does not
    lead back), and `confident_exact`, exact match among those.
    """
    n = len(scored)
    bleu, bleu_se = _bleu(scored)
    report = {
        "n": n,
        "exact_match": sum(s.exact for s in scored) / n if n else 0.0,
        "bleu": bleu,
        "bleu_se": bleu_se,
        "token_accuracy": sum(_token_accuracy(s) for s in scored) / n if n else 0.0,
        "coverage": sum(s.covered for s in scored) / n if n else 0.0,
        "query_coverage": sum(s.query_covered for s in scored) / n if n else 0.0,
    }
    buckets: dict[str, list[Scored]] = {}
    for s in scored:
        buckets.setdefault(length_bucket(s.source_tokens), []).append(s)
    order = [name for _, name in LENGTH_BUCKETS] + ["untokenized"]
    report["by_length"] = {name: {"n": len(buckets[name]), "exact_match": sum(s.exact for s in buckets[name]) /
                                  len(buckets[name])} for name in order if name in buckets}
    if any(s.in_grammar is not None for s in scored):
        report["by_grammar"] = {name: {"n": len(part), "exact_match": sum(s.exact for s in part) / len(part)}
                                for value, name in GRAMMAR_SPLIT
                                for part in [[s for s in scored if s.in_grammar is value]] if part}
    spelled = [s for s in scored if s.spelled]
    if spelled:  # how far representing what training never showed takes an answer
        report["spelled"] = {"n": len(spelled), "exact_match": sum(s.exact for s in spelled) / len(spelled)}
    missed = [s for s in scored if not s.covered]
    if missed:
        tokens = Counter(t for s in missed for t in s.unseen)
        report["uncovered"] = {
            "n": len(missed),
            "why": dict(Counter(s.uncovered or "other" for s in missed).most_common()),
            # The tokens that make the most inputs uncovered: what to add to the grammar.
            "unseen_tokens": [[token, count] for token, count in tokens.most_common(UNSEEN_LISTED)],
        }
    if threshold is not None:
        confident = [s for s in scored if s.covered and s.familiar and s.consistent and s.confidence >= threshold]
        report.update(
            threshold=threshold,
            confident=len(confident) / n if n else 0.0,
            confident_exact=sum(s.exact for s in confident) / len(confident) if confident else None,
        )
    return report


def score_pairs(mock: MockProgram, pairs: Sequence[Pair], runner=None, other: MockProgram | None = None,
                in_grammar: Mapping[str, bool | None] | None = None) -> tuple[list[Scored], float]:
    """Score the mock on pairs whose real behaviour is known; returns (scores, mock seconds).

    Forward: the prediction must equal the recorded behaviour. Inverse: the model gets the
    recorded output; the real program (`runner`) runs on the predicted input, and the pair is
    exact when that reproduces the output (a round trip).
    """
    spec = mock.spec
    subject = spec.subject
    if spec.is_forward:
        kept = list(pairs)
        queries = [p.input for p in kept]
    elif spec.is_failure:  # the query is a failure kind: only failing pairs have one worth asking for
        kept = [p for p in pairs if not p.behaviour.ok]
        queries = [failure_kind(subject, p.behaviour) for p in kept]
    else:
        kept = [p for p in pairs if p.behaviour.ok]
        queries = [p.behaviour.output or "" for p in kept]

    start = time.perf_counter()
    predictions = mock.predict_batch(queries)
    mock_seconds = time.perf_counter() - start
    agreeing = consistent(predictions, mock, other)
    round_trip: list[Behaviour | None] = [None] * len(kept)
    if not spec.is_forward:
        if runner is None:
            raise ValueError("scoring an inverse model needs a ProgramRunner for the round trip")
        todo = [i for i, p in enumerate(predictions) if p.behaviour is not None]
        runs = runner.run_many([predictions[i].behaviour.output or "" for i in todo])
        for i, run in zip(todo, runs):
            round_trip[i] = project(spec, run.behaviour)
    scored = []
    for i, (pair, pred) in enumerate(zip(kept, predictions)):
        example = encode_pair(spec, pair, query_regions=mock.query_regions)
        reference = example.tgt if example else ()
        # A forward answer is compared with the program's, which the model must be able to write. An
        # inverse answer is right when it round-trips, whichever input it writes: only its query must
        # be represented (the reference input may hold words its output lacks, which no model writes).
        covered = pred.covered and (not spec.is_forward or example is not None and mock.tgt_vocab.covers(reference))
        if not pred.covered:
            why, unseen = pred.uncovered, pred.unseen
        elif example is None:
            why, unseen = "untokenizable reference", ()
        else:
            why, unseen = "unseen output tokens", tuple(sorted({t for t in reference if t not in mock.tgt_vocab.stoi}))
        expected = project(spec, pair.behaviour)
        if spec.is_forward:
            exact = covered and pred.behaviour == expected
        else:
            exact = covered and round_trip[i] == expected
        scored.append(Scored(covered, bool(exact), pred.tokens, reference, pred.confidence if covered else 0.0,
                             pred.familiar, agreeing[i], len(example.src) if example else None,
                             in_grammar.get(pair.input) if in_grammar else None,
                             "" if covered else why, () if covered else unseen,
                             query_covered=pred.covered, spelled=bool(pred.spelled)))
    return scored, mock_seconds


def evaluate_inputs(mock: MockProgram, inputs: Sequence[str], workers: int | None = None,
                    log: Callable[[str], None] = lambda message: None, other: MockProgram | None = None,
                    split_by_grammar: bool = False) -> dict:
    """Run the real program on `inputs` for reference behaviour and score the mock against it.

    `other`, the model of the opposite direction, takes part in judging which answers are confident.
    With `split_by_grammar` (real inputs), exact match is also reported for the inputs the input
    grammar describes and for the others (`by_grammar`).
    """
    in_grammar = None
    if split_by_grammar:
        log(f"parsing {len(inputs)} inputs with {mock.subject.name}'s input grammar")
        in_grammar = grammar_membership(mock.subject, inputs)
    log(f"running {mock.subject.name} on {len(inputs)} inputs")
    with ProgramRunner(mock.subject, **({"workers": workers} if workers else {})) as runner:
        runs = runner.run_many(inputs, progress=throttled(log, f"ran {mock.subject.name} on {{}}/{len(inputs)} inputs"))
        log(f"decoding {len(inputs)} inputs with the {mock.spec.label} model")
        pairs = [Pair(text, run.behaviour) for text, run in zip(inputs, runs)]
        mock.clear_memo()  # time real decoding, not memo hits
        scored, mock_seconds = score_pairs(mock, pairs, runner, other, in_grammar)
    report = summarize(scored, mock.threshold_with(other))
    report.update(
        checked_by=other.artifact.key if other is not None else None,
        subject=mock.subject.name,
        direction=mock.spec.direction,
        aspect=mock.spec.aspect,
        key=mock.artifact.key,
        parameters=int(mock.artifact.meta.get("parameters", 0)),
        train_pairs=mock.artifact.meta.get("train_pairs"),
        train_seconds=mock.artifact.meta.get("train_seconds"),
        train_threads=mock.artifact.meta.get("threads"),
        mock_ms_per_call=1000 * mock_seconds / max(1, len(scored)),
        program_ms_per_call=1000 * sum(r.seconds for r in runs) / max(1, len(runs)),
    )
    return report
