"""Failure-likely inputs: inverse-model sampling and forward screening, confirmed on the real program."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

from pytest_modelizer.aspect import OK_LABEL, failure_kind, is_rejection
from pytest_modelizer.behaviour import Behaviour
from pytest_modelizer.errors import UncoveredInputError
from pytest_modelizer.samples import GrammarParser, TooLongToParse
from pytest_modelizer.subject import Subject
from pytest_modelizer.synthesis import SynthesisPlan, bnf_grammar, draw, fuzzer_class, synthesize
from pytest_modelizer.tokenizer import TokenizeError
from pytest_modelizer.training_stack import require

if TYPE_CHECKING:
    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.runner import ProgramRunner

# How many candidates the models look at per real execution of the budget.
SCREEN_FACTOR = 20  # grammar-made candidates scored by the forward failure model
SAMPLE_FACTOR = 4  # inputs sampled from the inverse failure model
TEMPERATURE = 1.0
REDUCE_RUNS = 60  # real executions one case's reduction may spend


class TargetError(ValueError):
    """A case target that is not "failure", "failure:KIND" or "output:TEXT"."""


@dataclass(frozen=True)
class Target:
    """The behaviour cases should show: any failure, one failure kind, or one concrete output."""

    kind: str | None = None  # a failure kind label; None with output None: any failure
    output: str | None = None

    @classmethod
    def parse(cls, text: str) -> "Target":
        if text == "failure":
            return cls()
        if text.startswith("failure:") and text[len("failure:"):].strip():
            return cls(kind=text[len("failure:"):].strip())
        if text.startswith("output:"):
            return cls(output=text[len("output:"):])
        raise TargetError(f"case target {text!r} is not valid; use 'failure', 'failure:KIND' or 'output:TEXT'")

    def __str__(self) -> str:
        if self.output is not None:
            return f"output:{self.output}"
        return f"failure:{self.kind}" if self.kind else "failure"

    @property
    def wants_failure(self) -> bool:
        return self.output is None

    def matches(self, subject: Subject, behaviour: Behaviour) -> bool:
        """Whether the real program's behaviour is what this target asks for."""
        if self.output is not None:
            return behaviour.ok and behaviour.output == self.output
        if behaviour.ok or is_rejection(subject, behaviour):
            return False
        return self.kind is None or failure_kind(subject, behaviour) == self.kind


@dataclass(frozen=True)
class Candidate:
    """An input proposed for a real run: where it came from and how failure-likely the model finds it."""

    input: str
    source: str  # "inverse", "screened" or a baseline fuzzer's name
    score: float = 0.0
    predicted: str = ""  # the forward failure model's label for it


@dataclass(frozen=True)
class Found:
    """An input whose real behaviour matched the target."""

    input: str
    behaviour: Behaviour
    kind: str
    source: str


@dataclass
class Generation:
    """What one generation run proposed, executed and found."""

    target: Target
    found: list[Found] = field(default_factory=list)
    executions: int = 0
    failures: int = 0  # executions that failed (rejections excluded)
    rejections: int = 0
    kinds: dict[str, int] = field(default_factory=dict)  # failure kind -> executions showing it
    proposed: dict[str, int] = field(default_factory=dict)  # source -> candidates considered
    model_seconds: float = 0.0
    program_seconds: float = 0.0


class GrammarChecker:
    """Membership in the subject's input grammar, as written: a candidate's content too (fuzzingbook's Earley parser)."""

    def __init__(self, subject: Subject, max_chars: int = 2000) -> None:
        self._parser = GrammarParser(bnf_grammar(subject.grammar, subject.start_symbol), subject.start_symbol,
                                     max_chars=max_chars)

    def accepts(self, text: str) -> bool:
        try:
            return self._parser.parse(text) is not None
        except TooLongToParse:
            return False


def fuzz(subject: Subject, fuzzer: str, count: int, seed: int, max_chars: int | None = None) -> list[str]:
    """Up to `count` distinct inputs from one fuzzingbook fuzzer ("coverage" or "probabilistic"),
    memoized as synthesis's are (`fuzzer_class`)."""
    # The grammar as written, not weighted by samples: the limit it has without them.
    training = subject.training.without_samples()
    cls = fuzzer_class(fuzzer)
    random.seed(seed)
    engine = cls(bnf_grammar(subject.grammar, subject.start_symbol), start_symbol=subject.start_symbol,
                 max_nonterminals=training.max_nonterminals)
    return draw(engine, count, max_chars or training.max_input_chars, distinct=True)


class CaseGenerator:
    """Proposes inputs from a subject's failure-aspect models and keeps those the real program confirms."""

    def __init__(self, subject: Subject, forward: "MockProgram", inverse: "MockProgram | None", seed: int = 0,
                 log: Callable[[str], None] = lambda msg: None) -> None:
        require("generating cases")
        self.subject = subject
        self.forward = forward
        self.inverse = inverse
        self.seed = seed
        self.log = log
        self._checker: GrammarChecker | None = None

    @property
    def checker(self) -> GrammarChecker:
        if self._checker is None:
            self._checker = GrammarChecker(self.subject)
        return self._checker

    def kinds(self) -> list[str]:
        """Failure kinds the inverse model was trained on (rejections excluded), sorted."""
        if self.inverse is None:
            return []
        known = self.inverse.artifact.meta.get("failure_kinds", {})
        rejected = set(self.subject.rejections)
        vocab = self.inverse.src_vocab.stoi
        return sorted(k for k in known if k in vocab and k.split(":")[0] not in rejected)

    def sample_inverse(self, target: Target, count: int,
                       contexts: dict[tuple[str, str], list[str]] | None = None) -> dict[str, str]:
        """Inputs sampled from the inverse model for the target's kinds (input -> the kind asked for),
        placeholders filled (from `contexts` where they match), grammar-checked."""
        from pytest_modelizer.mock import fill_placeholders  # imports numpy: not at `cases=` collection

        mock = self.inverse
        kinds = [target.kind] if target.kind else self.kinds()
        kinds = [k for k in kinds if mock is not None and mock.covers(k)]  # a kind it never saw has no samples
        if mock is None or not kinds or count <= 0:
            return {}
        rng = random.Random(self.seed)
        per_kind = -(-count // len(kinds))
        asked = [k for k in kinds for _ in range(per_kind)]
        texts: dict[str, str] = {}
        for kind, tokens in zip(asked, mock.sample(asked, TEMPERATURE, self.seed)):
            mapping = fill_placeholders(tokens, mock.pools, rng, contexts)
            texts.setdefault(mock.spec.target_tokenizer.detokenize(tokens, mapping), kind)
        return {t: kind for t, kind in texts.items() if t and self.checker.accepts(t)}

    def screen(self, inputs: Sequence[str]) -> list[tuple[float, str]]:
        """(probability of a failure that is not a rejection, predicted label) per input."""
        result = []
        for p_fail, kind in self.forward.failure_scores(inputs):
            if kind.split(":")[0] in self.subject.rejections:
                p_fail *= 0.1  # likely a rejection: worth little as a case
            result.append((p_fail, kind))
        return result

    def propose(self, target: Target, budget: int) -> list[Candidate]:
        """Up to `budget` candidates to run, most failure-likely first, spread over predicted kinds."""
        start = time.perf_counter()
        training = (self.forward.spec.training if self.forward is not None else self.subject.training).without_samples()
        plan = SynthesisPlan(SCREEN_FACTOR * budget, self.seed + 104729, training.max_nonterminals,
                             training.coverage_share, training.max_input_chars, self.subject.start_symbol)
        fuzzed = synthesize(self.subject.grammar, plan)
        sampled = self.sample_inverse(target, SAMPLE_FACTOR * budget, context_pools(self.subject, fuzzed))
        pool: dict[str, str] = {text: "inverse" for text in sampled}
        for text in fuzzed:
            pool.setdefault(text, "screened")
        texts = list(pool)
        scores = self.screen(texts)
        # An inverse sample is filed under the kind it was sampled for (the forward model only scores
        # it): rare kinds, which the forward model confuses with common ones, keep their own turn.
        candidates = [Candidate(t, pool[t], s, sampled.get(t, k)) for t, (s, k) in zip(texts, scores)]
        self.proposed = {"inverse": len(sampled), "screened": len(fuzzed)}
        self.model_seconds = time.perf_counter() - start
        self.log(f"{len(sampled)} inputs sampled from the inverse model, {len(fuzzed)} grammar-made; "
                 f"screened in {self.model_seconds:.1f} s")
        if self.inverse is not None and not self.inverse.artifact.meta.get("failure_kinds"):
            self.log(f"the program failed on none of the failure models' {self.inverse.artifact.meta.get('train_pairs', 0)} "
                     f"training inputs, so they know no failure to aim at: give {self.subject.name}'s grammar "
                     "alternatives the program rejects (or samples that fail), then train them again")
        return select(candidates, target, budget)

    def propose_output(self, target: Target, budget: int) -> list[Candidate]:
        """Inputs the output-aspect inverse model proposes for one concrete output: greedy, then sampled."""
        start = time.perf_counter()
        mock = self.inverse
        if mock is None or mock.spec.is_failure:
            raise ValueError("an output target needs the subject's (output-aspect) inverse model")
        try:
            _, mapping = mock.encode(target.output or "")
        except UncoveredInputError as exc:
            raise ValueError(f"the inverse model of {self.subject.name!r} cannot represent the target output: {exc}") from None
        query = target.output or ""
        outs = mock.sample([query], 0.0) + mock.sample([query] * max(0, budget * 2 - 1), TEMPERATURE, self.seed)
        texts: dict[str, None] = {}
        for tokens in outs:
            texts.setdefault(mock.spec.target_tokenizer.detokenize(tokens, mapping), None)
        self.proposed = {"inverse": len(texts)}
        self.model_seconds = time.perf_counter() - start
        return [Candidate(t, "inverse") for t in list(texts)[:budget]]

    def generate(self, target: Target, budget: int, runner: "ProgramRunner") -> Generation:
        """Propose, run the candidates on the real program, keep what matches the target."""
        candidates = self.propose_output(target, budget) if target.output is not None else self.propose(target, budget)
        result = Generation(target, proposed=dict(self.proposed), model_seconds=self.model_seconds)
        confirm(self.subject, target, candidates, runner, result)
        return result


def context_pools(subject: Subject, inputs: Sequence[str], size: int = 64) -> dict[tuple[str, str], list[str]]:
    """Content values by (terminal type, token before them) in grammar-made inputs.

    A grammar draws a table name after "FROM " and a column after "SELECT " from different lists;
    filling a sampled placeholder from the list its context uses keeps the input in the grammar.
    """
    from collections import Counter

    counts: dict[tuple[str, str], Counter] = {}
    tokenizer = subject.input_tokenizer
    for text in inputs:
        try:
            lexed = tokenizer.lex(text)
        except TokenizeError:
            continue
        previous = ""
        for kind, value in lexed:
            if kind in tokenizer.content:
                counts.setdefault((kind, previous), Counter())[value] += 1
                previous = f"{kind}_"  # a placeholder: the next value's context is "after content"
            else:
                previous = tokenizer.spelled(kind, value)
    return {key: [v for v, _ in c.most_common(size)] for key, c in counts.items()}


def select(candidates: list[Candidate], target: Target, budget: int) -> list[Candidate]:
    """Round-robin over predicted failure kinds, best score first within each; then the best of the rest."""
    wanted = [c for c in candidates if c.predicted != OK_LABEL and (not target.kind or c.predicted == target.kind)]
    by_kind: dict[str, list[Candidate]] = {}
    for c in sorted(wanted, key=lambda c: (-c.score, c.input)):
        by_kind.setdefault(c.predicted, []).append(c)
    chosen: list[Candidate] = []
    taken: set[str] = set()
    queues = sorted(by_kind.values(), key=lambda q: -q[0].score)
    while len(chosen) < budget and any(queues):
        for queue in queues:
            if queue and len(chosen) < budget:
                c = queue.pop(0)
                chosen.append(c)
                taken.add(c.input)
    rest = sorted((c for c in candidates if c.input not in taken), key=lambda c: (-c.score, c.input))
    chosen.extend(rest[: budget - len(chosen)])
    return chosen


def confirm(subject: Subject, target: Target, candidates: Sequence[Candidate], runner: "ProgramRunner",
            result: Generation) -> None:
    """Run candidates on the real program and record executions, failures, kinds and matches."""
    runs = runner.run_many([c.input for c in candidates])
    for candidate, run in zip(candidates, runs):
        behaviour = run.behaviour
        result.executions += 1
        result.program_seconds += run.seconds
        if is_rejection(subject, behaviour):
            result.rejections += 1
        elif not behaviour.ok:
            result.failures += 1
            kind = failure_kind(subject, behaviour)
            result.kinds[kind] = result.kinds.get(kind, 0) + 1
        if target.matches(subject, behaviour):
            result.found.append(Found(candidate.input, behaviour, failure_kind(subject, behaviour), candidate.source))


def reduce_input(subject: Subject, text: str, keeps: Callable[[str], bool], checker: GrammarChecker,
                 max_runs: int = REDUCE_RUNS) -> tuple[str, int]:
    """A smaller input (by lexer tokens) that stays in the grammar and still `keeps`; (input, runs spent).

    Delta debugging on the input's tokens: try dropping each span of a size, halving the size,
    each candidate first checked against the grammar (cheap) and only then run (`keeps` runs the
    real program).
    """
    try:
        tokens = [value for _, value in subject.input_tokenizer.lex(text)]
    except TokenizeError:
        return text, 0
    runs = 0
    # Span sizes from half the input down to single tokens; 2 matters: a word and its separator.
    sizes = sorted({max(1, len(tokens) >> k) for k in range(1, 16)} | {2, 1}, reverse=True)
    for size in sizes:
        i = 0
        while i + size <= len(tokens) and runs < max_runs:
            trial = tokens[:i] + tokens[i + size:]
            candidate = "".join(trial)
            if candidate.strip() and checker.accepts(candidate):
                runs += 1
                if keeps(candidate):
                    tokens = trial
                    continue
            i += 1
    return "".join(tokens), runs
