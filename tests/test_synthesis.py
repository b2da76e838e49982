"""Input synthesis from grammars: seeded, deduplicated, bounded, EBNF-aware."""
from __future__ import annotations

import re

import pytest

import toy
from pytest_modelizer.synthesis import GrammarError, SynthesisPlan, bnf_grammar, cut_short, synthesize

SHOUT = re.compile(r"!?(cat|dog|owl|bee|ant|emu)( !?(cat|dog|owl|bee|ant|emu))*")


def test_same_seed_same_inputs_whatever_the_worker_count():
    plan = SynthesisPlan(300, seed=3, max_nonterminals=5)
    one = synthesize(toy.GRAMMAR, plan, workers=1)
    two = synthesize(toy.GRAMMAR, plan, workers=2)
    assert len(one) == 300
    assert one == two
    assert all(SHOUT.fullmatch(text) for text in one)


def test_other_seed_other_inputs():
    a = synthesize(toy.GRAMMAR, SynthesisPlan(100, seed=1, max_nonterminals=5), workers=1)
    b = synthesize(toy.GRAMMAR, SynthesisPlan(100, seed=2, max_nonterminals=5), workers=1)
    assert a != b


def test_inputs_are_distinct_and_stop_when_the_grammar_is_exhausted():
    grammar = {"<start>": ["a", "b", "c"]}
    out = synthesize(grammar, SynthesisPlan(50, seed=0), workers=1)
    assert sorted(out) == ["a", "b", "c"]
    many = synthesize(toy.GRAMMAR, SynthesisPlan(200, seed=0, max_nonterminals=5), workers=1)
    assert len(set(many)) == len(many) == 200


def test_max_chars_bounds_every_input():
    plan = SynthesisPlan(100, seed=0, max_nonterminals=10, max_chars=12)
    out = synthesize(toy.GRAMMAR, plan, workers=1)
    assert out and max(len(text) for text in out) <= 12
    # Without the bound the same grammar produces longer inputs.
    assert max(len(t) for t in synthesize(toy.GRAMMAR, SynthesisPlan(100, seed=0, max_nonterminals=10), workers=1)) > 12


def test_ebnf_grammar_is_accepted():
    grammar = {"<start>": ["<digit>+<sign>?"], "<digit>": ["0", "1"], "<sign>": ["+", "-"]}
    out = synthesize(grammar, SynthesisPlan(40, seed=0, max_nonterminals=8), workers=1)
    assert len(out) == 40
    assert all(re.fullmatch(r"[01]+[+-]?", text) for text in out)
    assert any(text[-1] in "+-" for text in out) and any(text[-1] in "01" for text in out)


@pytest.mark.parametrize(
    "grammar",
    [{"<start>": ["<nope>"]}, {"<start>": ["a"], "<unused>": ["b"]}, {"<start>": []}],
    ids=["undefined", "unreachable", "empty"],
)
def test_invalid_grammar_raises_grammar_error(grammar):
    with pytest.raises(GrammarError, match="not a valid fuzzingbook grammar"):
        synthesize(grammar, SynthesisPlan(5), workers=1)


def test_recursive_start_symbol_works_with_the_coverage_fuzzer():
    bnf = bnf_grammar(toy.GRAMMAR)
    assert not any("<start>" in e for exps in bnf.values() for e in exps)
    out = synthesize(toy.GRAMMAR, SynthesisPlan(60, seed=0, max_nonterminals=5, coverage_share=1.0), workers=1)
    assert len(out) == 60
    assert all(SHOUT.fullmatch(text) for text in out)
    # Coverage seeds every word in the first inputs.
    assert {w for text in out for w in re.findall("[a-z]+", text)} == {"cat", "dog", "owl", "bee", "ant", "emu"}


@pytest.mark.parametrize("kind", ["plain", "probabilistic", "coverage"])
def test_memoized_fuzzers_make_the_same_choices_as_fuzzingbooks(kind):
    import random

    from fuzzingbook.GrammarCoverageFuzzer import GrammarCoverageFuzzer
    from fuzzingbook.GrammarFuzzer import GrammarFuzzer
    from fuzzingbook.ProbabilisticGrammarFuzzer import ProbabilisticGrammarFuzzer

    from pytest_modelizer.grammar import option
    from pytest_modelizer.synthesis import bnf_grammar, fuzzer_class

    base = {"plain": GrammarFuzzer, "probabilistic": ProbabilisticGrammarFuzzer, "coverage": GrammarCoverageFuzzer}[kind]
    # Rules that refer to each other, as nested queries do: the costs the memoized fuzzer computes
    # without recursion must be the ones fuzzingbook's recursion finds.
    nested = {
        "<start>": ["<query>"],
        "<query>": [option("SELECT <items> FROM <table><where>", 0.8), "SELECT <items>"],
        "<items>": ["<item>", "<item>, <items>"],
        "<item>": [option("<name>", 0.6), "<call>", "[<query>]", "<item> + <item>"],
        "<call>": ["f[<item>]", "g[<item>, <item>]"],
        "<table>": ["<name>", "[<query>] AS s", "<table> JOIN <table> ON <cond>"],
        "<where>": ["", " WHERE <cond>"],
        "<cond>": ["<item> = <item>", "<cond> AND <cond>", "EXISTS [<query>]"],
        "<name>": ["a", "b", "c"],
    }
    for grammar in (bnf_grammar(toy.FAILING_GRAMMAR), bnf_grammar(nested)):
        outputs = []
        for cls in (fuzzer_class(kind), base):
            random.seed(3)
            fuzzer = cls(grammar, max_nonterminals=5)
            outputs.append([fuzzer.fuzz() for _ in range(40)])
        assert outputs[0] == outputs[1]


def test_running_the_inputs_says_how_often_the_program_failed_and_whether_never():
    from pytest_modelizer.data import synthesize_pairs

    for subject, said in ((toy.SUBJECT, "shout answered all 300 inputs without failing: its model will answer any "
                                         "input as a success"),
                          (toy.FAILING_SUBJECT, "strict-shout failed on ")):
        logged: list[str] = []
        synthesize_pairs(subject, subject.training.replace(pairs=300), log=logged.append)
        assert any(line.startswith(said) for line in logged), logged


def test_a_program_that_fails_on_every_input_is_a_warning_with_the_first_failure():
    from pytest_modelizer.data import synthesize_pairs

    logged: list[str] = []
    printing = toy.make_subject(name="printing-shout", program=toy.printing_shout)
    synthesize_pairs(printing, printing.training.replace(pairs=50), log=logged.append)
    assert ("warning: printing-shout failed on every one of the 50 inputs (bad-output 50; the first: <failure "
            "bad-output: program returned NoneType, not str>)") in logged[-1]
    assert "returns its output as a str" in logged[-1]


def test_inputs_cut_short_are_a_share_of_pieces_cut_where_spaces_are():
    inputs = [f"SELECT a{i}, b FROM t{i} WHERE (x = {i})" for i in range(200)]
    cut = cut_short(inputs, 0.25, seed=3)
    assert cut == cut_short(inputs, 0.25, seed=3) and cut != cut_short(inputs, 0.25, seed=4)
    pieces = [(whole, piece) for whole, piece in zip(inputs, cut) if piece != whole]
    assert len(cut) == len(inputs) and 40 <= len(pieces) <= 50  # a piece never repeats an input here
    heads = [piece for whole, piece in pieces if whole.startswith(piece)]
    tails = [piece for whole, piece in pieces if whole.endswith(piece)]
    assert heads and tails and len(heads) + len(tails) == len(pieces)
    for whole, piece in pieces:
        assert piece == piece.strip() and piece
        at = whole.index(piece) if piece in tails else len(piece)
        edge = whole[at - 1:at + 1] if piece in tails else whole[len(piece) - 1:len(piece) + 1]
        # Cut where spaces are: never inside a word, a name, or "(x".
        assert re.search(r"\s", edge), (whole, piece)
    assert cut_short(inputs, 0.0, seed=3) == inputs


def test_a_piece_that_repeats_an_input_leaves_the_input_whole():
    # Every cut of "a b" is "a" or "b", already inputs: nothing is lost, nothing repeats.
    assert cut_short(["a b", "a", "b"], 1.0, seed=0) == ["a b", "a", "b"]


def test_training_inputs_hold_pieces_cut_short_where_the_configuration_asks():
    from pytest_modelizer.data import training_inputs

    whole = training_inputs(toy.SUBJECT, toy.TRAINING)
    assert all(SHOUT.fullmatch(text) for text in whole)
    logged: list[str] = []
    cut = training_inputs(toy.SUBJECT, toy.TRAINING.replace(cut_share=0.3), logged.append)
    pieces = [text for text in cut if text not in whole]
    assert pieces and all(any(w.startswith(p) or w.endswith(p) for w in whole) for p in pieces)
    assert any("cut short (TrainingConfig(cut_share=...))" in line for line in logged)
