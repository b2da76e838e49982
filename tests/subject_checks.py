"""Checks the bundled subjects' tests share: a cheap import, a fuzzed sample of inputs and the program's behaviour on them."""
from __future__ import annotations

import random
import subprocess
import sys


def assert_import_is_cheap(module: str, attribute: str, name: str, program_module: str) -> None:
    """Importing the subject's module (in a fresh process) loads neither its program nor torch."""
    code = (
        f"import sys, {module} as m\n"
        f"assert m.{attribute}.name == {name!r}\n"
        f"heavy = [n for n in ({program_module!r}, 'torch', 'fuzzingbook') if n in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def fuzz_sample(subject, count: int, coverage_every: int, max_nonterminals: int = 12) -> list[str]:
    """Seeded inputs: every `coverage_every`-th from the coverage fuzzer, the rest probabilistic."""
    from pytest_modelizer.synthesis import bnf_grammar, fuzzer_class

    grammar = bnf_grammar(subject.grammar)
    random.seed(0)
    probabilistic = fuzzer_class("probabilistic")(grammar, max_nonterminals=max_nonterminals)
    coverage = fuzzer_class("coverage")(grammar, max_nonterminals=max_nonterminals)
    return [(coverage if i % coverage_every == 0 else probabilistic).fuzz() for i in range(count)]


def run_sample(subject, inputs: list[str]) -> list:
    """The real program's behaviour on each input, through the plugin's worker-process runner."""
    from pytest_modelizer.runner import ProgramRunner

    with ProgramRunner(subject, workers=2) as runner:
        return [run.behaviour for run in runner.run_many(inputs)]


def assert_lossless(tokenizer, text: str, tokens) -> None:
    """The tokens give the text back; case-insensitive tokens in the case they are written in."""
    restored = tokenizer.detokenize(tokens.tokens, tokens.mapping)
    if tokenizer.case_insensitive:
        assert restored.upper() == text.upper() and tokenizer.tokenize_with(restored, tokens.mapping) == tokens, text
    else:
        assert restored == text


def fresh_content(subject, inputs: list[str], behaviours: list, max_tokens: int | None = None) -> int:
    """How many successful outputs hold content their input lacks, which no placeholder can restore.

    Asserts on the way that the input tokenizer is lossless and the output tokenizer too when it
    reads the output with the input's placeholders, and, with `max_tokens`, that both fit the model.
    """
    inp, out = subject.input_tokenizer, subject.output_tokenizer
    fresh = 0
    for text, behaviour in zip(inputs, behaviours):
        tokens = inp.tokenize(text)
        assert_lossless(inp, text, tokens)
        assert max_tokens is None or len(tokens.tokens) <= max_tokens, text
        if behaviour.ok:
            restored = out.tokenize_with(behaviour.output, tokens.mapping)
            assert out.detokenize(restored.tokens, restored.mapping) == behaviour.output
            assert max_tokens is None or len(restored.tokens) <= max_tokens, text
            fresh += len(restored.mapping) > len(tokens.mapping)
    return fresh


def assert_outputs_tokenize(subject, inputs: list[str]) -> None:
    """Both tokenizers are lossless on each input and on what the (in-process) program makes of it.

    The output is read alone and with the input's placeholders; inputs the program fails on are
    skipped (each subject's tests check its failures).
    """
    inp, out = subject.input_tokenizer, subject.output_tokenizer
    for text in inputs:
        tokens = inp.tokenize(text)
        assert_lossless(inp, text, tokens)
        try:
            output = subject.program(text)
        except Exception:  # noqa: BLE001 - failures are checked elsewhere
            continue
        for tok in (out.tokenize(output), out.tokenize_with(output, tokens.mapping)):
            assert out.detokenize(tok.tokens, tok.mapping) == output
