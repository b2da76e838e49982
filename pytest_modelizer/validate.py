"""Check a subject's definition when it is declared, not minutes into synthesis or training.

`validate_subject` checks the program, the grammar and the tokenizers' declarations, and builds
both tokenizers' lark lexers (kept: tokenizing later costs nothing more). With `lexers=False` it
imports neither torch nor fuzzingbook nor lark: what `SubjectRegistry` runs at collection, where
a pytest run that uses no model must not pay for loading lark.
"""
from __future__ import annotations

import os
import re
from typing import Any, Mapping

from pytest_modelizer.errors import did_you_mean
from pytest_modelizer.subject import Subject
from pytest_modelizer.tokenizer import LarkTokenizer

# fuzzingbook's nonterminal syntax (fuzzingbook.Grammars.RE_NONTERMINAL).
_NONTERMINAL = re.compile(r"(<[^<> ]*>)")


class SubjectError(ValueError):
    """A subject is declared wrongly; the message names the subject and the problem."""


def validate_subject(subject: Subject, lexers: bool = True) -> None:
    """Raise SubjectError unless `subject` is well-formed; `lexers=False` skips building the lark lexers."""
    problems = [*_program_problems(subject.program), *_grammar_problems(subject.grammar, subject.start_symbol)]
    for side, tokenizer in (("input", subject.input_tokenizer), ("output", subject.output_tokenizer)):
        problems.extend(f"{side} tokenizer: {p}" for p in _tokenizer_problems(tokenizer, lexers))
    if problems:
        listed = "".join(f"\n  - {p}" for p in problems[:10])
        more = f"\n  (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise SubjectError(f"subject {subject.name!r} is not valid:{listed}{more}")


def _program_problems(program: Any) -> list[str]:
    if callable(program):
        return []
    if isinstance(program, (str, bytes)):
        return [f"program {program!r} is a string; give a callable `str -> str` or an argv list like [{program!r}]"]
    try:
        argv = list(program)
    except TypeError:
        return [f"program must be a callable `str -> str` or an argv list of strings, not {type(program).__name__}"]
    if not argv:
        return ["program is an empty argv list; name the command to run"]
    bad = [a for a in argv if not isinstance(a, (str, os.PathLike))]
    if bad:
        return [f"program argv holds {bad[0]!r} ({type(bad[0]).__name__}); every item must be a string"]
    if not str(argv[0]):
        return ["program argv starts with an empty string; name the command to run"]
    return []


def _grammar_problems(grammar: Any, start: str) -> list[str]:
    if not isinstance(grammar, Mapping):
        return [f"grammar must be a dict of '<nonterminal>' -> list of expansions, not {type(grammar).__name__}"]
    problems: list[str] = []
    if start not in grammar:
        problems.append(f"grammar has no start symbol {start!r}")
    referenced: dict[str, str] = {}
    for symbol, expansions in grammar.items():
        if not isinstance(symbol, str) or not _NONTERMINAL.fullmatch(symbol):
            problems.append(f"grammar key {symbol!r} is not a nonterminal like '<name>'")
            continue
        if isinstance(expansions, (str, bytes)) or not isinstance(expansions, (list, tuple)):
            problems.append(f"grammar[{symbol!r}] must be a list of expansions, not {type(expansions).__name__}")
            continue
        if not expansions:
            problems.append(f"grammar[{symbol!r}] has no expansions")
        for expansion in expansions:
            text = _expansion_text(expansion)
            if text is None:
                problems.append(f"grammar[{symbol!r}] holds {expansion!r}: an expansion is a string "
                                f"or a (string, options dict) tuple")
                continue
            for name in _NONTERMINAL.findall(text):
                referenced.setdefault(name, symbol)
    undefined = [(name, user) for name, user in referenced.items() if name not in grammar]
    defined = [symbol for symbol in grammar if isinstance(symbol, str)]
    for name, user in undefined:
        meant = did_you_mean(name, defined, cutoff=0.75)
        problems.append(f"grammar[{user!r}] uses {name!r}, which the grammar does not define{meant}")
    if any(not did_you_mean(name, defined, cutoff=0.75) for name, _ in undefined):
        # Markup in a grammar (`<b>`) reads as a nonterminal: say how to write it as text (a hint, not
        # another problem, and only where no defined symbol is a likely typo).
        problems[-1] += ("; where '<' and '>' are meant as text, write them <lt> and <gt> and add their rules "
                         "with pytest_modelizer.grammar.with_escape_rules(grammar), or write the rules as "
                         "templates with grammar_from_templates (README, \"Writing the grammar\")")
    return problems


def _expansion_text(expansion: Any) -> str | None:
    if isinstance(expansion, str):
        return expansion
    if isinstance(expansion, tuple) and len(expansion) == 2 and isinstance(expansion[0], str) \
            and isinstance(expansion[1], Mapping):
        return expansion[0]
    return None


def _tokenizer_problems(tokenizer: Any, lexers: bool) -> list[str]:
    if not isinstance(tokenizer, LarkTokenizer):
        return [f"must be a pytest_modelizer.LarkTokenizer, not {type(tokenizer).__name__}"]
    if not isinstance(tokenizer.terminals, str):
        return [f"terminals must be lark grammar text, not {type(tokenizer.terminals).__name__}"]
    problem = tokenizer.definition_problem()
    if problem:
        return [problem]
    if lexers:
        return _lexer_problems(tokenizer)
    return []


def _lexer_problems(tokenizer: LarkTokenizer) -> list[str]:
    """Build the lark lexer (kept by the tokenizer, so this costs nothing later)."""
    from lark.exceptions import LarkError

    try:
        tokenizer._lark  # noqa: B018 - a cached property: builds the lexer once
    except (LarkError, ValueError, re.error, TypeError) as exc:
        first = str(exc).strip().splitlines()
        return [f"its lark terminals do not compile: {type(exc).__name__}: {first[0] if first else ''}".rstrip(": ")]
    return []
