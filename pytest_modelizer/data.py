"""Training data: synthesized inputs, the real program's behaviour on them, and their tokens."""
from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from pytest_modelizer.behaviour import Behaviour
from pytest_modelizer.config import TrainingConfig
from pytest_modelizer.store import atomic_write_text
from pytest_modelizer.subject import Subject, timeout_component
from pytest_modelizer.tokenizer import TokenizeError


@dataclass(frozen=True)
class Pair:
    """One input and what the real program did with it."""

    input: str
    behaviour: Behaviour


@dataclass(frozen=True)
class Example:
    """A pair as token sequences for one direction, with the source's placeholder mapping."""

    src: tuple[str, ...]
    tgt: tuple[str, ...]
    mapping: dict
    pair: Pair


def synthesis_key(subject: Subject, training: TrainingConfig) -> str:
    """Hash of what determines the synthesized pairs (not the model or optimizer settings)."""
    parts = {
        "subject": subject.name,
        "subject version": subject.version,
        "program version": subject.resolved_program_version(),
        "grammar": subject.grammar_fingerprint(),
        "pairs": training.pairs,
        "seed": training.seed,
        "max_nonterminals": training.max_nonterminals,
        "coverage_share": training.coverage_share,
        "max_input_chars": training.max_input_chars,
        **timeout_component(subject),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def write_pairs(path: Path, pairs: Sequence[Pair]) -> None:
    lines = (json.dumps({"input": p.input, **p.behaviour.to_json()}, ensure_ascii=False) for p in pairs)
    atomic_write_text(path, "".join(line + "\n" for line in lines))


def read_pairs(path: Path) -> list[Pair]:
    pairs = []
    for line in path.read_text().split("\n"):
        if not line:
            continue
        data = json.loads(line)
        pairs.append(Pair(data["input"], Behaviour.from_json(data)))
    return pairs


def read_inputs(path: Path) -> list[str]:
    """Inputs from a JSON-lines file with an `input` key per line (errors name the line)."""
    inputs = []
    for n, line in enumerate(path.read_text().split("\n"), 1):  # not splitlines: U+2028 may be in a string
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            inputs.append(data["input"])
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{path}:{n}: expected a JSON object with an 'input' key, got {line[:60]!r}") from None
        if not isinstance(inputs[-1], str):
            raise ValueError(f"{path}:{n}: 'input' must be a string")
    return inputs


def synthesize_pairs(
    subject: Subject,
    training: TrainingConfig,
    cache_dir: Path | None = None,
    log: Callable[[str], None] = lambda msg: None,
) -> list[Pair]:
    """The subject's training pairs: read from the cache, or synthesized, run and cached."""
    from pytest_modelizer.runner import ProgramRunner
    from pytest_modelizer.synthesis import SynthesisPlan, synthesize

    path = cache_dir / subject.name / f"pairs-{synthesis_key(subject, training)}.jsonl" if cache_dir else None
    if path is not None and path.is_file():
        return read_pairs(path)
    plan = SynthesisPlan(
        count=training.pairs,
        seed=training.seed,
        max_nonterminals=training.max_nonterminals,
        coverage_share=training.coverage_share,
        max_chars=training.max_input_chars,
        start_symbol=subject.start_symbol,
    )
    log(f"synthesizing {plan.count} inputs for {subject.name}")
    inputs = synthesize(subject.grammar, plan, progress=lambda n: log(f"synthesized {n}/{plan.count} inputs"))
    log(f"running {subject.name} on {len(inputs)} inputs")
    with ProgramRunner(subject) as runner:
        runs = runner.run_many(inputs)
    pairs = [Pair(text, run.behaviour) for text, run in zip(inputs, runs)]
    if path is not None:
        write_pairs(path, pairs)
    return pairs


def held_out_inputs(
    subject: Subject, count: int, training: TrainingConfig, cache_dir: Path | None = None, seed_offset: int = 7919
) -> list[str]:
    """Up to `count` fresh inputs: another seed, the same mix of fuzzers, no cached training input."""
    from pytest_modelizer.synthesis import SynthesisPlan, synthesize

    seen: set[str] = set()
    if cache_dir is not None:
        pairs_file = cache_dir / subject.name / f"pairs-{synthesis_key(subject, training)}.jsonl"
        if pairs_file.is_file():
            seen = {p.input for p in read_pairs(pairs_file)}
    seed = training.seed + seed_offset
    plan = SynthesisPlan(count * 2, seed, training.max_nonterminals, training.coverage_share,
                         training.max_input_chars, subject.start_symbol)
    inputs = [x for x in synthesize(subject.grammar, plan) if x not in seen]
    random.Random(seed).shuffle(inputs)  # the coverage fuzzer's inputs come first: spread them out
    return inputs[:count]


def encode_pair(subject: Subject, direction: str, pair: Pair) -> Example | None:
    """Tokens of a pair for `direction` under the subject's aspect, or None when a side cannot be tokenized."""
    from pytest_modelizer.aspect import behaviour_side

    try:
        if direction == "forward":
            src = subject.input_tokenizer.tokenize(pair.input)
            tgt = behaviour_side(subject, pair.behaviour, src.mapping)
        else:
            src = behaviour_side(subject, pair.behaviour, {})
            tgt = subject.input_tokenizer.tokenize_with(pair.input, src.mapping)
    except TokenizeError:
        return None
    return Example(src.tokens, tgt.tokens, src.mapping, pair)


def split(items: Sequence, seed: int, val_fraction: float, test_fraction: float) -> tuple[list, list, list]:
    """Seeded (train, validation, test) split."""
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    n_val = max(1, int(len(items) * val_fraction))
    n_test = max(1, int(len(items) * test_fraction))
    val = [items[i] for i in order[:n_val]]
    test = [items[i] for i in order[n_val:n_val + n_test]]
    train = [items[i] for i in order[n_val + n_test:]]
    return train, val, test


def renumber_placeholders(example: Example, content: set[str], limit: int, rng: random.Random) -> Example:
    """The example with each content type's placeholders moved to random increasing indices <= `limit`."""
    found: dict[str, set[int]] = {}
    for token in (*example.src, *example.tgt):
        kind, _, number = token.rpartition("_")
        if kind in content and number.isdigit():
            found.setdefault(kind, set()).add(int(number))
    mapping: dict[str, str] = {}
    for kind, numbers in found.items():
        if len(numbers) > limit:
            return example
        # Increasing, so placeholders stay numbered in order of appearance, only with gaps.
        targets = sorted(rng.sample(range(1, limit + 1), len(numbers)))
        mapping.update({f"{kind}_{a}": f"{kind}_{b}" for a, b in zip(sorted(numbers), targets)})
    return replace(
        example,
        src=tuple(mapping.get(t, t) for t in example.src),
        tgt=tuple(mapping.get(t, t) for t in example.tgt),
    )
