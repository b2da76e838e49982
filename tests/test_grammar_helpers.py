"""pytest_modelizer.grammar: options, escape symbols and templates make valid fuzzingbook grammars."""
from __future__ import annotations

import random

import pytest

from pytest_modelizer.grammar import (
    ESCAPES,
    escape,
    grammar_from_templates,
    option,
    template,
    weighted,
    with_escape_rules,
)


def test_option_carries_the_probability():
    assert option("<a> <b>", 0.25) == ("<a> <b>", {"prob": 0.25})


def test_weighted_shares_the_probability_evenly():
    assert weighted(["x", "y", "z", "w"], 0.5) == [option(e, 0.125) for e in "xyzw"]


def test_escape_replaces_every_syntax_character():
    assert escape("f(x) <= a*b+c?") == "f<lp>x<rp> <lt>= a<st>b<plus>c<qm>"
    assert escape("a*b", {**ESCAPES, "*": "<star>"}) == "a<star>b"


def test_template_reads_brackets_as_nonterminals_and_the_rest_as_text():
    assert template('<a href="⟨url⟩">⟨text⟩</a>') == '<lt>a href="<url>"<gt><text><lt>/a<gt>'
    assert template("⟨word⟩*") == "<word><st>"


def test_with_escape_rules_adds_only_the_rules_used_and_keeps_the_grammars_own():
    grammar = {"<start>": ["<lp><x><rp>", option("<x><st>", 0.5)], "<x>": ["a"], "<rp>": [")"]}
    out = with_escape_rules(grammar)
    assert out == {**grammar, "<lp>": ["("], "<st>": ["*"]}
    assert "<lt>" not in out and list(out)[:3] == ["<start>", "<x>", "<rp>"]
    assert grammar == {"<start>": ["<lp><x><rp>", option("<x><st>", 0.5)], "<x>": ["a"], "<rp>": [")"]}


def test_grammar_from_templates_makes_a_valid_grammar_whose_inputs_hold_the_literals():
    from fuzzingbook.GrammarFuzzer import GrammarFuzzer

    from pytest_modelizer.synthesis import bnf_grammar

    grammar = grammar_from_templates({
        "start": [option("<b>(⟨n⟩)</b>", 0.5), "⟨n⟩* ⟨n⟩+ ⟨n⟩?"],
        "n": ["1", "2"],
    })
    assert grammar["<start>"][0] == ("<lt>b<gt><lp><n><rp><lt>/b<gt>", {"prob": 0.5})
    assert set(grammar) == {"<start>", "<n>", "<lt>", "<gt>", "<lp>", "<rp>", "<st>", "<plus>", "<qm>"}
    random.seed(0)
    fuzzer = GrammarFuzzer(bnf_grammar(grammar))
    seen = {fuzzer.fuzz() for _ in range(50)}
    assert seen <= {f"<b>({n})</b>" for n in "12"} | {f"{a}* {b}+ {c}?" for a in "12" for b in "12" for c in "12"}
    assert any(s.startswith("<b>(") for s in seen) and any(s.endswith("?") for s in seen)


@pytest.mark.parametrize("name", ["latexify", "markdown-it", "pandoc-html", "pandoc-markdown", "sqlglot-tsql"])
def test_bundled_grammars_define_every_escape_symbol_they_use(name):
    from pytest_modelizer.grammar import expansion_text
    from pytest_modelizer.registry import SubjectRegistry

    subject = SubjectRegistry.discover().get(name)
    used = "".join(expansion_text(e) for expansions in subject.grammar.values() for e in expansions)
    symbols = {*ESCAPES.values(), "<star>"}
    assert {s for s in symbols if s in used} <= set(subject.grammar)
