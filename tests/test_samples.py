"""`Subject(samples=...)`: real inputs steer synthesis (mined probabilities, fragments, the samples themselves)."""
from __future__ import annotations

import json
import re
import random

import pytest

import toy
from pytest_modelizer.samples import (
    CorpusSamples,
    SamplesError,
    corpus_part,
    in_evaluation_part,
    load_samples,
    mine,
    recombine,
)
from pytest_modelizer.synthesis import bnf_grammar
from pytest_modelizer.spec import ModelSpec

# Users of "shout" bang nearly every word; the grammar alone bangs half of them.
SAMPLES = ["!cat !dog", "!owl", "!bee !ant !emu", "!cat dog", "!emu", "not 42 in the grammar"]


def test_a_construct_the_samples_use_often_gets_a_higher_probability():
    mined = mine(bnf_grammar(toy.GRAMMAR), SAMPLES)
    probabilities = dict((e, opts["prob"]) for e, opts in mined.grammar["<item>"])
    assert probabilities["!<w>"] > 0.7 > 0.25 > probabilities["<w>"] > 0  # smoothed: still made
    assert (len(mined.trees), mined.unparsed) == (5, 1)
    assert mined.unparsed_examples == ["not 42 in the grammar"]  # named in training's log


def test_the_grammars_own_probabilities_are_the_prior_the_samples_update():
    from pytest_modelizer.grammar import option

    grammar = {"<start>": ["<ok>", option("<bad>", 0.3)], "<ok>": ["cat", "dog"], "<bad>": ["!", "?"]}
    declared = {"<ok>": 0.7, "<bad>": 0.3}
    # No sample parses (a text file's final newline the grammar never writes): nothing changes.
    mined = mine(bnf_grammar(grammar), ["cat\n", "dog\n"])
    assert mined.unparsed == 2
    assert dict((e, opts["prob"]) for e, opts in mined.grammar["<start>"]) == pytest.approx(declared)
    # The samples say nothing about <bad>: its declared (uniform) shares stay; <start> follows them.
    mined = mine(bnf_grammar(grammar), ["cat"] * 8)
    assert dict((e, opts["prob"]) for e, opts in mined.grammar["<bad>"]) == pytest.approx({"!": 0.5, "?": 0.5})
    start = dict((e, opts["prob"]) for e, opts in mined.grammar["<start>"])
    # Worth one sample per alternative: (8 + 2 * 0.7) / 10 and (0 + 2 * 0.3) / 10.
    assert start == pytest.approx({"<ok>": 0.94, "<bad>": 0.06})


def test_an_optional_part_the_samples_leave_out_is_mined_as_left_out():
    # fuzzingbook's miner keys an empty expansion by its childless tree node, not by "": read as
    # "", the samples' queries without WHERE counted for nothing and the mined grammar wrote WHERE.
    grammar = {"<start>": ["SELECT <w><where>"], "<where>": ["", " WHERE <w>"], "<w>": ["a", "b"]}
    mined = mine(bnf_grammar(grammar), ["SELECT a", "SELECT b", "SELECT a", "SELECT b WHERE a"])
    probabilities = dict((e, opts["prob"]) for e, opts in mined.grammar["<where>"])
    # Worth one sample per alternative: (3 + 1) / 6 and (1 + 1) / 6.
    assert probabilities == pytest.approx({"": 4 / 6, " WHERE <w>": 2 / 6})


def test_however_many_samples_parse_the_grammars_probabilities_keep_their_share():
    from pytest_modelizer.grammar import option
    from pytest_modelizer.samples import DECLARED_SHARE

    # 40 samples without a `?` parameter cannot erase one the grammar declares as common.
    grammar = {"<start>": ["a = <value>"], "<value>": [option("1", 0.5), option("?", 0.5)]}
    mined = mine(bnf_grammar(grammar), ["a = 1"] * 40)
    probabilities = dict((e, opts["prob"]) for e, opts in mined.grammar["<value>"])
    assert probabilities["?"] == pytest.approx(DECLARED_SHARE * 0.5)


def test_the_grammars_probabilities_do_not_shorten_what_the_samples_make_long():
    from pytest_modelizer.grammar import option

    # The grammar declares short lists; every sample is five words long (four recursions, one end).
    grammar = {"<start>": ["<list>"], "<list>": [option("<w>", 0.8), "<w> <list>"], "<w>": ["a", "b"]}
    mined = mine(bnf_grammar(grammar), ["a b a b a"] * 40)
    probabilities = dict((e, opts["prob"]) for e, opts in mined.grammar["<list>"])
    # The samples' counts with one sample per alternative of prior: (160 + 2 * 0.2) / 202.
    assert probabilities["<w> <list>"] == pytest.approx(160.4 / 202)


def test_a_repeated_expansion_is_mined_as_one():
    """A grammar may repeat an expansion to make it likelier; the mined grammar must still fuzz."""
    from fuzzingbook.ProbabilisticGrammarFuzzer import ProbabilisticGrammarFuzzer, exp_probabilities

    grammar = {"<start>": ["<w>", "<w> <w>", "<w>", "<w> <w> <w>", "<w> <w>", "<w>"], "<w>": ["cat", "dog"]}
    mined = mine(bnf_grammar(grammar), ["cat", "cat dog", "dog dog dog", "cat"])
    assert [e for e, _ in mined.grammar["<start>"]] == ["<w>", "<w> <w>", "<w> <w> <w>"]
    probabilities = exp_probabilities(mined.grammar["<start>"])
    assert probabilities["<w>"] > probabilities["<w> <w> <w>"] and sum(probabilities.values()) == pytest.approx(1)
    ProbabilisticGrammarFuzzer(mined.grammar).fuzz()  # its grammar check is what failed on the copies


def test_samples_parse_with_a_start_symbol_of_several_expansions():
    """Earley parsing wants one start expansion; a grammar's own start may have many (latexify's has two)."""
    grammar = {"<start>": ["<expr>", "-<expr>"], "<expr>": ["<w>", "<w> <w>"], "<w>": ["cat", "dog"]}
    mined = mine(bnf_grammar(grammar), ["cat dog", "-cat", "-dog", "-cat cat", "owl"])
    assert (len(mined.trees), mined.unparsed) == (4, 1)
    assert all(tree[0] == "<start>" for tree in mined.trees)
    probabilities = dict((e, opts["prob"]) for e, opts in mined.grammar["<start>"])
    assert probabilities["-<expr>"] > probabilities["<expr>"] and "<modelizer-start>" not in mined.grammar


def test_recombined_fragments_stay_inside_the_grammar():
    from fuzzingbook.Parser import EarleyParser

    mined = mine(bnf_grammar(toy.GRAMMAR), SAMPLES)
    fragments = recombine(mined.trees, 20, random.Random(0), max_chars=100)
    assert len(fragments) >= 10
    parser = EarleyParser(bnf_grammar(toy.GRAMMAR))
    for text in fragments:
        assert next(iter(parser.parse(text)))  # raises SyntaxError outside the grammar


def test_samples_come_from_files_globs_lists_and_callables(tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps({"input": "!cat"}) + "\n\n" + json.dumps({"input": "owl"}) + "\n")
    (tmp_path / "b.txt").write_text("!dog emu")
    assert load_samples(str(tmp_path / "*")) == ["!cat", "owl", "!dog emu"]
    assert load_samples(tmp_path / "a.jsonl") == ["!cat", "owl"]
    assert load_samples(["x", "x", "y"]) == ["x", "y"]
    assert load_samples(lambda: iter(["z"])) == ["z"]
    (tmp_path / "bad.jsonl").write_text('{"text": 1}\n')
    with pytest.raises(SamplesError, match="bad.jsonl:1: expected a JSON object with an 'input' key"):
        load_samples(tmp_path / "bad.jsonl")


def test_a_recording_file_is_a_samples_file(tmp_path):
    from pytest_modelizer.behaviour import Behaviour
    from pytest_modelizer.recordings import Recording, write_recordings

    path = tmp_path / "shout.jsonl"
    write_recordings(path, {"cat !dog": Recording("cat !dog", Behaviour.success("CAT|<b>DOG</b>"), "1.0"),
                            "!": Recording("!", Behaviour.failed("ValueError", "empty"), "1.0")})
    assert sorted(load_samples(path)) == ["!", "cat !dog"]


def test_samples_are_part_of_the_model_and_pairs_keys():
    from pytest_modelizer.data import synthesis_key

    plain, steered, other = toy.make_subject(), toy.make_subject(samples=SAMPLES), toy.make_subject(samples=SAMPLES[:2])
    assert ModelSpec(plain, "forward").key == ModelSpec(toy.SUBJECT, "forward").key  # no samples: keys as before
    assert len({ModelSpec(plain, "forward").key, ModelSpec(steered, "forward").key, ModelSpec(other, "forward").key}) == 3
    assert ModelSpec(steered, "forward").key_components["samples"] != ModelSpec(other, "forward").key_components["samples"]
    keys = {synthesis_key(s, toy.TRAINING) for s in (plain, steered, other)}
    assert len(keys) == 3


def test_synthesized_pairs_follow_the_samples(tmp_path):
    from pytest_modelizer.data import synthesize_pairs

    training = toy.QUICK_TRAINING.replace(pairs=200)
    steered = synthesize_pairs(toy.make_subject(samples=SAMPLES), training, tmp_path / "a")
    plain = synthesize_pairs(toy.make_subject(), training, tmp_path / "b")
    assert {s for s in SAMPLES} <= {p.input for p in steered}  # the samples ran on the program
    assert any(p.input == "not 42 in the grammar" and not p.behaviour.ok for p in steered)

    def bang_share(pairs):
        words = [w for p in pairs for w in p.input.split()]
        return sum(w.startswith("!") for w in words) / len(words)

    assert bang_share(steered) > bang_share(plain) + 0.15


def test_content_that_only_its_context_makes_still_parses():
    """A code span's text lexes as CODE only between backticks, so no grammar symbol lists CODE
    values; samples holding code of their own still parse, their code written as the grammar's."""
    from pytest_modelizer import LarkTokenizer
    from pytest_modelizer.samples import ContentMarks

    grammar = {"<start>": ["<w> `<w>`", "<w> <w>"], "<w>": ["cat", "dog"]}
    tokenizer = LarkTokenizer('CODE.2: /(?<=`)[^`]+(?=`)/\nWORD: /[a-z]+/\nOTHER.-1: /./s', content=("CODE", "WORD"))
    samples = ["owl `snake_case()`", "emu `--flag`", "yak bee"]
    state = random.getstate()
    mined = mine(bnf_grammar(grammar), samples, content=ContentMarks(tokenizer, samples))
    assert random.getstate() == state  # the stand-ins were found without moving the global generator
    assert (len(mined.trees), mined.unparsed) == (3, 0)
    probabilities = dict((e, opts["prob"]) for e, opts in mined.grammar["<start>"])
    assert probabilities["<w> `<w>`"] > probabilities["<w> <w>"]


def test_content_that_only_its_context_makes_is_written_as_a_word_of_the_grammar():
    """Text between two code spans ("`cat`-`dog`") lexes as code too: "-" is the grammar's shortest
    code, but no code span of the grammar holds it. Samples' code is written as a word the grammar
    writes there, so their code spans still parse."""
    from pytest_modelizer import LarkTokenizer
    from pytest_modelizer.samples import ContentMarks

    grammar = {"<start>": ["<w> `<w>`", "<w> <w>", "`<w>`-`<w>`"], "<w>": ["cat", "dog"]}
    tokenizer = LarkTokenizer('CODE.2: /(?<=`)[^`]+(?=`)/\nWORD: /[a-z]+/\nOTHER.-1: /./s', content=("CODE", "WORD"))
    samples = ["owl `snake_case()`", "emu `--flag`", "yak bee"]
    content = ContentMarks(tokenizer, samples)
    mined = mine(bnf_grammar(grammar), samples, content=content)
    assert content.stand_ins["CODE"] in ("cat", "dog")
    assert (len(mined.trees), mined.unparsed) == (3, 0)


def test_content_that_is_content_only_before_a_space_still_parses():
    """pandoc's abbreviations: "e.g." alone lexes as a word, "e.g. x" as an abbreviation and a
    word. The grammar lists "e.g." alone; samples' abbreviations still parse as that symbol."""
    from pytest_modelizer import LarkTokenizer
    from pytest_modelizer.samples import ContentMarks

    grammar = {"<start>": ["<w>", "<abbr> <w>"], "<abbr>": ["e.g.", "i.e."], "<w>": ["cat", "dog"]}
    tokenizer = LarkTokenizer('ABBR.3: /(?:e\\.g|i\\.e)\\.(?= )/\nWORD: /[a-z.]+/\nSP: " "\nOTHER.-1: /./s',
                              content=("ABBR", "WORD"))
    samples = ["e.g. owl", "i.e. yak", "emu", "e.g. bee"]
    mined = mine(bnf_grammar(grammar), samples, content=ContentMarks(tokenizer, samples))
    assert (len(mined.trees), mined.unparsed) == (4, 0)
    probabilities = dict((e, opts["prob"]) for e, opts in mined.grammar["<start>"])
    assert probabilities["<abbr> <w>"] > probabilities["<w>"]


def test_an_ambiguous_sample_parses_to_the_first_derivation_without_building_the_others():
    """Each "a" is an <x> two ways, so a sample of n of them has 2**n derivations; parsing takes
    the first (fuzzingbook's first tree), never building the others: 60 of them parse at once."""
    from pytest_modelizer.samples import GrammarParser
    from fuzzingbook.Parser import EarleyParser

    grammar = {"<start>": ["<xs>"], "<xs>": ["<x>", "<x><xs>"], "<x>": ["<y>", "<z>"], "<y>": ["a"], "<z>": ["a"]}
    parser = GrammarParser(grammar)
    assert parser.parse("aaa") == next(EarleyParser(grammar).parse("aaa"))

    def every_derivation(forest):
        raise AssertionError("built every derivation")

    parser.parser.extract_trees = every_derivation
    assert parser.parse("a" * 60) is not None and parser.parse("ab") is None


def test_samples_with_words_the_grammar_never_names_still_steer_it(tmp_path):
    """The grammar names six animals; real inputs name others. Parsed with their words written as
    the grammar's, they still count; recombined fragments get real words back."""
    from pytest_modelizer.data import steered_by_samples

    samples = ["!zebra !lion", "!yak", "!gnu !elk !cow", "!ox dingo", "!cat !pig !hen"]
    messages = []
    grammar, real = steered_by_samples(toy.make_subject(samples=samples), toy.QUICK_TRAINING.replace(pairs=200),
                                       messages.append)
    assert "5 samples: 5 parsed with the grammar" in messages[0]
    probabilities = dict((e, opts["prob"]) for e, opts in grammar["<item>"])
    assert probabilities["!<w>"] > 0.7
    fragments = real[len(samples):]
    sample_words = {w.lstrip("!") for text in samples for w in text.split()}
    assert fragments and all(w.lstrip("!") in sample_words for text in fragments for w in text.split())


def test_samples_of_one_shape_still_give_as_many_fragments_as_asked(tmp_path):
    """Parsed up to their content, these samples are all one shape ("!<w> !<w>"); the fragments
    are told apart after their words are filled in, so they still number what was asked for."""
    from pytest_modelizer.data import steered_by_samples

    samples = [f"!{a} !{b}" for a in ("zebra", "lion", "yak", "gnu") for b in ("elk", "cow", "ox", "hen")]
    messages = []
    _, real = steered_by_samples(toy.make_subject(samples=samples), toy.QUICK_TRAINING.replace(pairs=200),
                                 messages.append)
    fragments = real[len(samples):]
    assert len(fragments) == len(set(fragments)) == 40  # FRAGMENT_SHARE of the 200 pairs
    assert "40 recombined inputs" in messages[0]


def test_a_corpus_splits_into_disjoint_sample_and_evaluation_parts_that_keep_their_side():
    texts = [f"entry {n}" for n in range(2000)]
    sample, evaluation = corpus_part(texts, "sample"), corpus_part(texts, "evaluation")
    assert not set(sample) & set(evaluation) and sorted(sample + evaluation) == sorted(texts)
    assert 900 < len(evaluation) < 1100  # half, give or take
    # By text, not by position: a grown, reordered corpus keeps every old entry on its side.
    grown = list(reversed(texts)) + [f"new {n}" for n in range(500)]
    assert set(corpus_part(grown, "evaluation")) >= set(evaluation)
    assert corpus_part(texts, "all") == texts
    with pytest.raises(ValueError, match="unknown corpus part 'train'"):
        corpus_part(texts, "train")


def test_corpus_samples_are_the_sample_part_and_key_the_model(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    texts = [f"cat {'!' * n}dog" for n in range(40)]
    corpus.write_text("".join(json.dumps({"input": t}) + "\n" for t in texts))
    samples = load_samples(CorpusSamples(corpus))
    assert samples == [t for t in texts if not in_evaluation_part(t)] and 0 < len(samples) < len(texts)
    steered = toy.make_subject(samples=CorpusSamples(corpus))
    assert ModelSpec(steered, "forward").key_components["samples"] != ModelSpec(
        toy.make_subject(samples=texts), "forward").key_components["samples"]
    # Several corpora: the sample part of each, in order.
    other = tmp_path / "other.jsonl"
    other.write_text("".join(json.dumps({"input": f"dog {'?' * n}"}) + "\n" for n in range(40)))
    both = load_samples(CorpusSamples(corpus, other))
    assert both == samples + load_samples(CorpusSamples(other)) and len(both) > len(samples)


def test_fresh_held_out_inputs_follow_the_samples_as_training_does():
    from pytest_modelizer.data import held_out_inputs

    training = toy.QUICK_TRAINING.replace(pairs=200)
    steered = held_out_inputs(toy.make_subject(samples=SAMPLES), 300, training)
    plain = held_out_inputs(toy.make_subject(), 300, training)

    def bang_share(texts):
        words = [w for text in texts for w in text.split()]
        return sum(w.startswith("!") for w in words) / len(words)

    assert bang_share(steered) > bang_share(plain) + 0.15
    assert "not 42 in the grammar" not in steered  # made by the grammar, not drawn from the samples


def test_samples_that_are_not_there_say_where_they_were_looked_for_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SamplesError, match=r"samples 'samples/real.jsonl' does not exist \(relative: read from "
                                           rf"{re.escape(str(tmp_path))}.*Path\(__file__\).parent / 'samples/real.jsonl'"):
        load_samples("samples/real.jsonl")
    with pytest.raises(SamplesError, match=r"samples 'in/\*.txt' matches no file"):
        load_samples("in/*.txt")


def test_samples_that_cannot_be_read_error_the_tests_that_use_the_subject(toy_pytester, toy_cache):
    conftest = toy_pytester.path / "conftest.py"
    conftest.write_text(conftest.read_text().replace("return [toy.SUBJECT]",
                                                     "return [toy.make_subject(samples='missing.jsonl')]"))
    toy_pytester.makepyfile("""
        import pytest

        @pytest.mark.modelize("shout")
        def test_it(mock_program):
            pass
        """)
    result = toy_pytester.runpytest(f"--modelizer-cache-dir={toy_cache}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*modelizer: samples 'missing.jsonl' does not exist*"])
    assert "samples.py" not in result.stdout.str()  # the message, not our traceback
