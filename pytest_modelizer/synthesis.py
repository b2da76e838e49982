"""Synthesize program inputs from a subject's grammar with fuzzingbook's fuzzers."""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import re
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from pytest_modelizer.runner import main_module_reimport_safe

# Inputs are produced in fixed-size chunks, each seeded from (seed, chunk index), so the result
# does not depend on how many processes produce them.
CHUNK = 250


class GrammarError(ValueError):
    """The subject's grammar is not a valid fuzzingbook grammar."""


@dataclass(frozen=True)
class SynthesisPlan:
    """What to synthesize: how many distinct inputs, from which seed, how big."""

    count: int
    seed: int = 0
    max_nonterminals: int = 12
    coverage_share: float = 0.1
    max_chars: int = 400
    start_symbol: str = "<start>"


def bnf_grammar(grammar: Mapping[str, Sequence[Any]], start_symbol: str = "<start>") -> dict:
    """The grammar with EBNF shortcuts expanded and a start symbol that never recurs."""
    from fuzzingbook.Grammars import convert_ebnf_grammar, is_valid_grammar

    converted = convert_ebnf_grammar({k: list(v) for k, v in grammar.items()})
    if not is_valid_grammar(converted, start_symbol=start_symbol):
        raise GrammarError("grammar is not a valid fuzzingbook grammar (fuzzingbook printed the reason above)")
    return _isolate_start(converted, start_symbol)


def _isolate_start(grammar: dict, start: str) -> dict:
    """Rename a recursive start symbol: GrammarCoverageFuzzer asserts when the start recurs."""
    def text(expansion: Any) -> str:
        return expansion[0] if isinstance(expansion, tuple) else expansion

    if not any(start in text(e) for exps in grammar.values() for e in exps):
        return grammar
    inner = start[:-1] + "-body>"
    renamed: dict = {start: [inner]}
    for symbol, expansions in grammar.items():
        new = []
        for e in expansions:
            replaced = text(e).replace(start, inner)
            new.append((replaced, e[1]) if isinstance(e, tuple) else replaced)
        renamed[inner if symbol == start else symbol] = new
    return renamed


def _chunk_seed(seed: int, chunk: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{chunk}".encode()).digest()[:8], "big")


def _has_probabilities(grammar: Mapping[str, Sequence[Any]]) -> bool:
    return any(isinstance(e, tuple) and "prob" in e[1] for exps in grammar.values() for e in exps)


def _fuzz_chunk(args: tuple) -> list[str]:
    """One chunk of inputs; runs in a worker process."""
    grammar, plan, chunk, coverage, size = args
    random.seed(_chunk_seed(plan.seed, chunk))
    if coverage:
        kind = "coverage"
    else:  # The probabilistic fuzzer only pays for itself where the grammar has probabilities.
        kind = "probabilistic" if _has_probabilities(grammar) else "plain"
    fuzzer = fuzzer_class(kind)(grammar, start_symbol=plan.start_symbol, max_nonterminals=plan.max_nonterminals)
    return draw(fuzzer, size, plan.max_chars)


def fuzzer_class(kind: str) -> type:
    """fuzzingbook's fuzzer of `kind` ("plain", "probabilistic", "coverage") with its grammar queries memoized.

    Both queries depend only on the grammar, yet fuzzingbook recomputes them by recursion for
    every node it expands. `expansion_cost` explores every path of the grammar that repeats no
    symbol: exponential in how many rules refer to each other, so that on a grammar whose
    queries nest (sqlglot's: a table may be a subquery, whose columns may be subqueries) one
    input took minutes. `max_expansion_coverage` (the coverage fuzzer's) cost seconds per input
    on a grammar of a few hundred rules. The memoized answers are the same numbers, so a seeded
    fuzzer makes the same choices (tests/test_synthesis.py checks it against fuzzingbook's own).
    """
    from fuzzingbook.GrammarCoverageFuzzer import GrammarCoverageFuzzer
    from fuzzingbook.GrammarFuzzer import GrammarFuzzer
    from fuzzingbook.ProbabilisticGrammarFuzzer import ProbabilisticGrammarFuzzer

    if kind not in _MEMOIZED:
        base = {"plain": GrammarFuzzer, "probabilistic": ProbabilisticGrammarFuzzer, "coverage": GrammarCoverageFuzzer}[kind]
        mixins = (_MemoizedCosts, _MemoizedReachable) if kind == "coverage" else (_MemoizedCosts,)
        _MEMOIZED[kind] = type(f"Memoized{base.__name__}", (*mixins, base), {})
    return _MEMOIZED[kind]


_MEMOIZED: dict[str, type] = {}


class _MemoizedCosts:
    """fuzzingbook's derivation costs, computed once per set of excluded symbols."""

    grammar: dict

    def expansion_cost(self, expansion: Any, seen: Any = frozenset()) -> float:
        # fuzzingbook: 1 plus the cost of each nonterminal, where a symbol's cost is the fewest
        # expansions of a derivation that uses no symbol of `seen` and repeats none along a path.
        # The fewest expansions never repeat a symbol along a path (the lower subtree could replace
        # the upper one), so that is the fewest in the grammar without `seen`: `_costs_without`.
        from fuzzingbook.Grammars import nonterminals

        symbols = nonterminals(expansion)
        if not symbols:
            return 1
        if any(s in seen for s in symbols):
            return float("inf")
        costs = self._costs_without(frozenset(seen))
        return sum(costs[s] for s in symbols) + 1

    def symbol_cost(self, symbol: str, seen: Any = frozenset()) -> float:
        return min(self.expansion_cost(e, set(seen) | {symbol}) for e in self.grammar[symbol])

    def _costs_without(self, excluded: frozenset) -> dict[str, float]:
        """Each symbol's fewest expansions to a string in the grammar without `excluded` (a fixpoint)."""
        from fuzzingbook.Grammars import nonterminals

        cache = self.__dict__.setdefault("_modelizer_costs", {})
        if excluded not in cache:
            if "_modelizer_children" not in self.__dict__:
                self._modelizer_children = {symbol: [nonterminals(e) for e in expansions]
                                            for symbol, expansions in self.grammar.items()}
            kept = [(symbol, options) for symbol, options in self._modelizer_children.items() if symbol not in excluded]
            costs = dict.fromkeys(self.grammar, float("inf"))
            changed = True
            while changed:
                changed = False
                for symbol, options in kept:
                    best = min(sum(costs[s] for s in symbols) + 1 for symbols in options)
                    if best < costs[symbol]:
                        costs[symbol], changed = best, True
            cache[excluded] = costs
        return cache[excluded]


class _MemoizedReachable:
    """The coverage fuzzer's reachable expansions, computed once per (symbol, depth)."""

    def max_expansion_coverage(self, symbol: Any = None, max_depth: Any = float("inf")) -> set:
        cache = self.__dict__.setdefault("_modelizer_reachable", {})
        key = (symbol, max_depth)
        if key not in cache:
            cache[key] = frozenset(super().max_expansion_coverage(symbol, max_depth))  # type: ignore[misc]
        return set(cache[key])


def draw(fuzzer: Any, size: int, max_chars: int, distinct: bool = False) -> list[str]:
    """Up to `size` inputs of at most `max_chars` from a fuzzingbook fuzzer (4 tries per input)."""
    out: dict[str, None] | list[str] = {} if distinct else []
    attempts = 0
    while len(out) < size and attempts < size * 4:
        attempts += 1
        text = fuzzer.fuzz()
        if len(text) <= max_chars:
            if distinct:
                out.setdefault(text, None)
            else:
                out.append(text)
    return list(out)


def synthesize(
    grammar: Mapping[str, Sequence[Any]],
    plan: SynthesisPlan,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """`plan.count` distinct inputs (fewer if the grammar cannot produce that many)."""
    bnf = bnf_grammar(grammar, plan.start_symbol)
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    # Workers come from multiprocessing's fork server: forking pytest's threaded process is unsafe.
    # Where they cannot start (see `main_module_reimport_safe`), the process is forked as before.
    methods = multiprocessing.get_all_start_methods()
    if "fork" not in methods:
        return _synthesize(bnf, plan, workers, "spawn", progress)
    if "forkserver" in methods and main_module_reimport_safe():
        try:
            return _synthesize(bnf, plan, workers, "forkserver", progress)
        except BrokenProcessPool:
            pass
    return _synthesize(bnf, plan, workers, "fork", progress)


def _synthesize(bnf: dict, plan: SynthesisPlan, workers: int, method: str,
                progress: Callable[[int], None] | None) -> list[str]:
    seen: dict[str, None] = {}
    chunk = 0
    stale_rounds = 0
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
        while len(seen) < plan.count and stale_rounds < 3:
            need = plan.count - len(seen)
            n_chunks = max(1, min(4 * workers, -(-need // CHUNK)))
            # The coverage fuzzer is slow; it makes the first chunks only, up to the share asked.
            covered = round(plan.coverage_share * plan.count)
            batch = []
            for i in range(chunk, chunk + n_chunks):
                coverage_size = max(0, min(CHUNK, covered - i * CHUNK))
                batch.append((bnf, plan, i, coverage_size > 0, coverage_size or CHUNK))
            chunk += n_chunks
            before = len(seen)
            for texts in pool.map(_fuzz_chunk, batch):
                for text in texts:
                    if len(seen) < plan.count:
                        seen.setdefault(text, None)
            stale_rounds = stale_rounds + 1 if len(seen) - before < CHUNK // 10 else 0
            if progress:
                progress(len(seen))
    return list(seen)


# Where an input may be cut: where a run of spaces (a line's end among them) begins or ends, as
# prose quoting an input cuts it; never inside a word or a quoted string without spaces, which
# would make pieces that fail for the cut alone (an unterminated quote).
_CUT_POINTS = re.compile(r"(?<=\S)(?=\s)|(?<=\s)(?=\S)")


def cut_short(inputs: Sequence[str], share: float, seed: int) -> list[str]:
    """`inputs` with a `share` of them (drawn with `seed`) replaced by a piece cut from each: its
    beginning or its end, cut where spaces are, the spaces at the cut dropped.

    Real inputs arrive cut short where the grammar never cuts them: a query quoted in prose up to
    the line's end, or from the middle of a larger one (`FROM t) SELECT ...`). Run through the
    program, such pieces teach a model how it answers them (often a parse error) instead of its
    guessing that they mean what the whole input would. A piece that is empty, or an input already
    among `inputs`, leaves the input as it was; the order is kept.
    """
    rng = random.Random(f"cut {seed}")
    chosen = set(rng.sample(range(len(inputs)), round(share * len(inputs)))) if share > 0 else set()
    whole = set(inputs)
    out: dict[str, None] = {}
    for i, text in enumerate(inputs):
        if i in chosen:
            points = [m.start() for m in _CUT_POINTS.finditer(text) if 0 < m.start() < len(text)]
            if points:
                at = rng.choice(points)
                piece = text[:at].rstrip() if rng.random() < 0.5 else text[at:].lstrip()
                if piece and piece not in whole and piece not in out:
                    text = piece
        out.setdefault(text, None)
    return list(out)
