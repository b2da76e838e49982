"""Helpers for writing a subject's input grammar in fuzzingbook's format.

A fuzzingbook grammar maps `"<nonterminal>"` to a list of expansions. Three things make such a
grammar tedious to write by hand, and these helpers take them over:

- **Probabilities.** `option("<line>\\n", 0.4)` is the expansion `"<line>\\n"` with probability
  0.4 for fuzzingbook's `ProbabilisticGrammarFuzzer` (the alternatives without one share what is
  left).
- **Characters fuzzingbook reads as syntax.** In an expansion, `<...>` is a nonterminal, and
  fuzzingbook's EBNF conversion reads `(...)` as a group and `*`, `+`, `?` after a symbol as
  repetitions. Such a character is written as a symbol of its own (`"<lp>"` for `"("`) whose only
  expansion is the character. `ESCAPES` names one symbol per character; `with_escape_rules` adds
  the rules of the symbols a grammar uses, so a grammar written with them by hand needs no
  `"<lp>": ["("]` of its own.
- **Grammars full of literal markup** (HTML, Markdown) are easier written as templates:
  `template("<p>⟨text⟩</p>")` reads `⟨name⟩` as the nonterminal `<name>` and every other
  character as itself, escaping those in `ESCAPES`; `grammar_from_templates` builds a whole
  grammar that way.

Importing this module imports nothing beyond the standard library.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

# One symbol per character that fuzzingbook would read as syntax: the character -> its symbol.
ESCAPES: Mapping[str, str] = {
    "<": "<lt>",
    ">": "<gt>",
    "(": "<lp>",
    ")": "<rp>",
    "*": "<st>",
    "+": "<plus>",
    "?": "<qm>",
}

# How a template marks a nonterminal: characters that never occur in the inputs themselves.
OPEN, CLOSE = "⟨", "⟩"

Expansion = Any  # a string, or (string, {"prob": p, ...}) as fuzzingbook takes it


def option(expansion: str, prob: float) -> tuple[str, dict]:
    """The expansion with the probability `prob` of being chosen among its rule's alternatives."""
    return (expansion, {"prob": prob})


def expansion_text(expansion: Expansion) -> str:
    """The string of an expansion, with or without options."""
    return expansion[0] if isinstance(expansion, tuple) else expansion


def escape(text: str, escapes: Mapping[str, str] = ESCAPES) -> str:
    """`text` with every character of `escapes` replaced by its symbol: literal text for an expansion."""
    return "".join(escapes.get(c, c) for c in text)


def template(text: str, escapes: Mapping[str, str] = ESCAPES) -> str:
    """The expansion a template stands for: `⟨name⟩` is the nonterminal `<name>`, the rest literal."""
    return escape(text, escapes).replace(OPEN, "<").replace(CLOSE, ">")


def with_escape_rules(grammar: Mapping[str, Sequence[Expansion]],
                      escapes: Mapping[str, str] = ESCAPES) -> dict[str, list]:
    """The grammar plus the rule of each symbol of `escapes` its expansions use (`"<lp>": ["("]`).

    Rules the grammar already has are kept. Pass your own `escapes` to name a symbol otherwise,
    e.g. `{**ESCAPES, "*": "<star>"}`.
    """
    out = {symbol: list(expansions) for symbol, expansions in grammar.items()}
    used = "".join(expansion_text(e) for expansions in out.values() for e in expansions)
    for char, symbol in escapes.items():
        if symbol in used and symbol not in out:
            out[symbol] = [char]
    return out


def grammar_from_templates(rules: Mapping[str, Sequence[Expansion]],
                           escapes: Mapping[str, str] = ESCAPES) -> dict[str, list]:
    """A fuzzingbook grammar from `{name: [template or option(template, p)]}`.

    Rule names are bare (`"start"` becomes `"<start>"`); each template goes through `template`,
    and the rules of the escape symbols used are added.
    """
    grammar: dict[str, list] = {}
    for name, alternatives in rules.items():
        grammar[f"<{name}>"] = [
            (template(alt[0], escapes), alt[1]) if isinstance(alt, tuple) else template(alt, escapes)
            for alt in alternatives
        ]
    return with_escape_rules(grammar, escapes)


def weighted(expansions: Sequence[str], total: float) -> list[tuple[str, dict]]:
    """Each of `expansions` as an option, sharing the probability `total` evenly."""
    return [option(e, total / len(expansions)) for e in expansions]
