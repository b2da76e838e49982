"""Training data: synthesized inputs, the real program's behaviour on them, and their tokens."""
from __future__ import annotations

import functools
import hashlib
import json
import random
import types
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from pytest_modelizer.aspect import behaviour_side, query_mapping
from pytest_modelizer.behaviour import Behaviour
from pytest_modelizer.config import TrainingConfig, keyed_fields
from pytest_modelizer.from_samples import fitted_nonterminals, fitted_placeholder_limit
from pytest_modelizer.runner import ProgramRunner
from pytest_modelizer.samples import (FRAGMENT_SHARE, ContentMarks, GrammarParser, MinedSamples, TooLongToParse, mine,
                                      recombine, samples_fingerprint)
from pytest_modelizer.spec import ModelSpec
from pytest_modelizer.store import atomic_write_text, ensure_cache_dir
from pytest_modelizer.subject import Subject, timeout_component
from pytest_modelizer.synthesis import SynthesisPlan, bnf_grammar, cut_short, synthesize
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


class PairsFileError(ValueError):
    """A cached pairs file cannot be read; `synthesize_pairs` treats it as missing and re-synthesizes it."""


def program_identity(subject: Subject) -> str:
    """What identifies the subject's program, for the pairs cache: it decides the pairs' outputs.

    A command: its executable's name and its arguments (as in the model key's "program"). A
    callable: module and qualified name, and a hash of its code (bytecode, constants and names,
    nested functions included), so an edited program re-runs; line numbers do not count, nor
    the code of the functions it calls.
    """
    program: Any = subject.program
    if subject.is_command:
        return subject.program_name()
    while isinstance(program, functools.partial):
        program = program.func
    function = getattr(program, "__func__", program)  # a bound method: its function
    code = getattr(function, "__code__", None)
    if code is None:  # an instance with __call__, or a builtin
        code = getattr(getattr(type(function), "__call__", None), "__code__", None)
    module = getattr(function, "__module__", None) or type(function).__module__
    name = getattr(function, "__qualname__", None) or type(function).__qualname__
    return f"{module}.{name}" + (f" code {_code_hash(code)}" if isinstance(code, types.CodeType) else "")


def _code_hash(code: types.CodeType) -> str:
    return hashlib.sha256(_code_text(code).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _code_text(value: object) -> str:
    """A text that changes with a code object's bytecode and constants, and is the same in every process."""
    if isinstance(value, types.CodeType):
        # co_names: the globals and attributes it uses (`text.upper()` and `text.lower()` differ only there).
        return f"code({value.co_code.hex()},{_code_text(value.co_consts)},{_code_text(value.co_names)})"
    if isinstance(value, tuple):
        return "(" + ",".join(_code_text(v) for v in value) + ")"
    if isinstance(value, frozenset):  # `x in {"a", "b"}`: iteration order varies with string hashing
        return "frozenset(" + ",".join(sorted(_code_text(v) for v in value)) + ")"
    return f"{type(value).__name__}:{value!r}"


def synthesis_key(subject: Subject, training: TrainingConfig) -> str:
    """Hash of what determines the synthesized pairs (not the model or optimizer settings)."""
    parts = {
        "subject": subject.name,
        "program": program_identity(subject),
        "subject version": subject.version,
        "program version": subject.resolved_program_version(),
        "grammar": subject.grammar_fingerprint(),
        "pairs": training.pairs,
        "seed": training.seed,
        # None with samples: they decide it (`from_samples`), and they are keyed below.
        "max_nonterminals": keyed_fields(training, subject.samples is not None)["max_nonterminals"],
        "coverage_share": training.coverage_share,
        "max_input_chars": training.max_input_chars,
        **timeout_component(subject),
    }
    if training.cut_share:  # absent at 0, so pairs synthesized before it stay valid
        parts["cut_share"] = training.cut_share
    if subject.samples is not None:
        parts["samples"] = samples_fingerprint(subject.loaded_samples())
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def write_pairs(path: Path, pairs: Sequence[Pair]) -> None:
    lines = (json.dumps({"input": p.input, **p.behaviour.to_json()}, ensure_ascii=False) for p in pairs)
    atomic_write_text(path, "".join(line + "\n" for line in lines))


def read_pairs(path: Path) -> list[Pair]:
    """Pairs of a cached pairs file; PairsFileError (naming the file and line) when it is unreadable."""
    redo = "it will be re-synthesized"
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PairsFileError(f"pairs file {path} is damaged (not UTF-8 text: {exc.reason}); {redo}") from None
    except OSError as exc:
        raise PairsFileError(f"pairs file {path} is unreadable ({exc.strerror or exc}); {redo}") from None
    if text and not text.endswith("\n"):  # every line is written with its newline: the end was cut off
        line = text.count("\n") + 1
        raise PairsFileError(f"pairs file {path}:{line} is truncated (no final newline); {redo}")
    pairs = []
    for n, line in enumerate(text.split("\n"), 1):  # not splitlines: U+2028 may be in a string
        if not line:
            continue
        try:
            data = json.loads(line)
            pairs.append(Pair(data["input"], Behaviour.from_json(data)))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise PairsFileError(f"pairs file {path}:{n} is damaged ({reason[:120]}); {redo}") from None
        if not isinstance(pairs[-1].input, str):
            raise PairsFileError(f"pairs file {path}:{n} is damaged ('input' is not a string); {redo}")
    return pairs


def cached_pairs(path: Path, log: Callable[[str], None] = lambda msg: None) -> list[Pair] | None:
    """The pairs in a cached pairs file; None where there is none or it is unreadable (that is logged)."""
    if not path.is_file():
        return None
    try:
        return read_pairs(path)
    except PairsFileError as exc:
        log(str(exc))
        return None


def grammar_membership(subject: Subject, inputs: Sequence[str]) -> dict[str, bool | None]:
    """Per input: does the subject's input grammar describe it, up to its content (as mining parses
    samples)? None where it is too long to parse."""
    # No values to collect: the marks' values only fill recombined fragments, and each input is
    # lexed once, by `parse`.
    parser = GrammarParser(bnf_grammar(subject.grammar, subject.start_symbol), subject.start_symbol,
                           ContentMarks(subject.input_tokenizer, ()))
    answers: dict[str, bool | None] = {}
    for text in dict.fromkeys(inputs):
        try:
            answers[text] = parser.parse(text) is not None
        except TooLongToParse:
            answers[text] = None
    return answers


def mined_samples(subject: Subject, training: TrainingConfig) -> "Mined":
    """The samples training uses (at most half the pairs), their content marks, and what parsing them gave."""
    samples = subject.loaded_samples()[: training.pairs // 2]
    content = ContentMarks(subject.input_tokenizer, samples)
    return samples, content, mine(bnf_grammar(subject.grammar, subject.start_symbol), samples, subject.start_symbol,
                                  content)


Mined = tuple[list[str], ContentMarks, MinedSamples]


def steered_by_samples(subject: Subject, training: TrainingConfig, log: Callable[[str], None],
                       mined_already: Mined | None = None) -> tuple[dict, list[str]]:
    """The grammar with probabilities mined from the subject's samples, and the real inputs to add:
    the samples themselves (at most half the pairs) and recombined fragments of them."""
    samples, content, mined = mined_already or mined_samples(subject, training)
    rng = random.Random(training.seed)
    fragments = recombine(mined.trees, int(FRAGMENT_SHARE * training.pairs), rng, training.max_input_chars,
                          fill=lambda text: content.fill(text, rng))
    examples = (" (such as " + ", ".join(repr(text if len(text) <= 60 else text[:57] + "...")
                                         for text in mined.unparsed_examples) + ": they join the "
                "training inputs, and steer nothing)") if mined.unparsed_examples else ""
    log(f"{len(samples)} samples: {len(mined.trees)} parsed with the grammar, {mined.unparsed} not in its "
        f"language{examples}, {mined.too_long} too long to parse; {len(fragments)} recombined inputs")
    return mined.grammar, [*samples, *fragments]


def throttled(log: Callable[[str], None], template: str | Callable[..., str],
              seconds: float = 2.0) -> Callable[..., None]:
    """A progress callback logging `template.format(*values)` (or `template(*values)`) at most every
    `seconds` (minutes of silence otherwise)."""
    import time

    last = [time.monotonic()]

    def progress(*values) -> None:
        now = time.monotonic()
        if now - last[0] >= seconds:
            last[0] = now
            log(template(*values) if callable(template) else template.format(*values))

    return progress


def pairs_path(subject: Subject, training: TrainingConfig, cache_dir: Path) -> Path:
    return cache_dir / subject.name / f"pairs-{synthesis_key(subject, training)}.jsonl"


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
    path = pairs_path(subject, training, cache_dir) if cache_dir else None
    cached = cached_pairs(path, log) if path is not None else None
    if cached is not None:
        return cached
    inputs = training_inputs(subject, training, log)
    log(f"running {subject.name} on {len(inputs)} inputs")
    with ProgramRunner(subject) as runner:
        runs = runner.run_many(inputs, progress=throttled(log, lambda k, timeouts: (
            f"ran {subject.name} on {k}/{len(inputs)} inputs" + (
                f" ({timeouts} ran out of time, {subject.timeout:g} s each: Subject(timeout=...))" if timeouts else ""))))
    pairs = [Pair(text, run.behaviour) for text, run in zip(inputs, runs)]
    log(outcomes(subject, pairs))
    if path is not None and cache_dir is not None:
        ensure_cache_dir(cache_dir)
        write_pairs(path, pairs)
    return pairs


def outcomes(subject: Subject, pairs: Sequence[Pair]) -> str:
    """How the program answered the synthesized inputs: how many failed, and how.

    A model answers only the ways it saw: where no input failed, it answers every input as a
    success, also those a test sends to see the program refuse them.
    """
    failures = Counter(p.behaviour.failure for p in pairs if not p.behaviour.ok)
    total = sum(failures.values())
    if not total:
        return (f"{subject.name} answered all {len(pairs):,} inputs without failing: its model will answer any input "
                f"as a success; where tests send inputs the program refuses, let the grammar make such inputs too")
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in failures.most_common(3))
    more = f", {len(failures) - 3} more" if len(failures) > 3 else ""
    if total == len(pairs):  # a subject that cannot run (a callable that prints instead of returning)
        first = next(p.behaviour for p in pairs)
        return (f"warning: {subject.name} failed on every one of the {total:,} inputs ({kinds}{more}; the first: "
                f"{first}): its model can only answer that. Check that the program runs and returns its output "
                f"as a str (a command: writes it to stdout and exits 0)")
    return f"{subject.name} failed on {total:,} of {len(pairs):,} inputs ({kinds}{more})"


def training_inputs(subject: Subject, training: TrainingConfig, log: Callable[[str], None] = lambda msg: None,
                    mined: Mined | None = None) -> list[str]:
    """The inputs of the subject's training pairs (deterministic for the configuration's seed), not yet run.

    `mined`: what `mined_samples` gave for them, where the caller has it already."""
    grammar, real = subject.grammar, []
    if subject.samples is not None:
        mined = mined or mined_samples(subject, training)
        grammar, real = steered_by_samples(subject, training, log, mined)
    plan = SynthesisPlan(
        count=max(1, training.pairs - len(real)),
        seed=training.seed,
        max_nonterminals=settled_nonterminals(subject, training, mined, log),
        coverage_share=training.coverage_share,
        max_chars=training.max_input_chars,
        start_symbol=subject.start_symbol,
    )
    log(f"synthesizing {plan.count} inputs for {subject.name}")
    inputs = synthesize(grammar, plan, progress=lambda n: log(f"synthesized {n}/{plan.count} inputs"))
    if len(inputs) < plan.count:
        log(f"the grammar of {subject.name} made {len(inputs):,} distinct inputs where {plan.count:,} were asked "
            f"for (it makes few: fuzzing stopped finding new ones); training goes on with those, some of them "
            f"held out to measure the model (TrainingConfig(val_fraction=...))")
    if training.cut_share:
        inputs = cut_short(inputs, training.cut_share, training.seed)
        log(f"{round(training.cut_share * len(inputs)):,} of them cut short (TrainingConfig(cut_share=...))")
    return list(dict.fromkeys([*real, *inputs]))


def settled_nonterminals(subject: Subject, training: TrainingConfig, mined: Mined | None = None,
                         log: Callable[[str], None] = lambda msg: None) -> int:
    """The fuzzer's `max_nonterminals` for the subject's training inputs: the configuration's, or
    where it leaves that to the samples, what makes inputs as long as theirs (`from_samples`)."""
    if training.max_nonterminals is not None:
        return training.max_nonterminals
    if subject.samples is None:
        return training.without_samples().max_nonterminals  # type: ignore[return-value]
    samples, _, parsed = mined or mined_samples(subject, training)
    return fitted_nonterminals(subject, training, samples, parsed.grammar, log)


def settled_placeholder_limit(subject: Subject, training: TrainingConfig) -> int:
    """How far training renumbers placeholders: the configuration's, or where it leaves that to the
    samples, as many as they hold (`from_samples`)."""
    if training.placeholder_limit is not None:
        return training.placeholder_limit
    if subject.samples is None:
        return training.without_samples().placeholder_limit  # type: ignore[return-value]
    return fitted_placeholder_limit(subject, training, subject.loaded_samples()[: training.pairs // 2])


def held_out_inputs(
    subject: Subject, count: int, training: TrainingConfig, cache_dir: Path | None = None, seed_offset: int = 7919
) -> list[str]:
    """Up to `count` fresh inputs: another seed, the same mix of fuzzers, no training input.

    The training inputs are the cached pairs' or, where those are not cached (a shipped model),
    synthesized again without running the program: small grammars, and grammars weighted by
    samples, make many training inputs again under another seed, which would flatter a model.
    For a subject with samples, the grammar with the probabilities mined from them, as training
    synthesized its inputs (the samples and their fragments are not fresh, and are not drawn).
    """
    mined = mined_samples(subject, training) if subject.samples is not None else None
    cached = cached_pairs(pairs_path(subject, training, cache_dir)) if cache_dir is not None else None
    seen = {p.input for p in cached} if cached is not None else set(training_inputs(subject, training, mined=mined))
    seed = training.seed + seed_offset
    plan = SynthesisPlan(count * 2, seed, settled_nonterminals(subject, training, mined), training.coverage_share,
                         training.max_input_chars, subject.start_symbol)
    grammar = mined[2].grammar if mined is not None else subject.grammar
    inputs = [x for x in synthesize(grammar, plan) if x not in seen]
    random.Random(seed).shuffle(inputs)  # the coverage fuzzer's inputs come first: spread them out
    return inputs[:count]


def encode_pair(spec: ModelSpec, pair: Pair, errors: list[tuple[Pair, str]] | None = None,
                query_regions: bool = True) -> Example | None:
    """Tokens of a pair for the model `spec` (its direction and aspect), or None when a side cannot be
    tokenized (the pair and why appended to `errors`). `query_regions`: see `aspect.QUERY_REGIONS`."""
    try:
        if spec.is_forward:
            src = spec.subject.input_tokenizer.tokenize(pair.input)
            tgt = behaviour_side(spec, pair.behaviour, src.mapping, fresh_as_words=True)
        else:
            src = behaviour_side(spec, pair.behaviour, query_mapping(query_regions))
            tgt = spec.subject.input_tokenizer.tokenize_with(pair.input, src.mapping, fresh_as_words=True)
    except TokenizeError as exc:
        if errors is not None:
            errors.append((pair, str(exc)))
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
