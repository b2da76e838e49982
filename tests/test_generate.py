"""Case generation's parts: targets, grammar membership, selection, reduction, failure kinds."""
from __future__ import annotations

import random
import re

import pytest

import toy
from pytest_modelizer.aspect import (DEFAULT_FAILURE_KINDS, behaviour_side, default_failure_kind, failure_kind,
                                     numbered_failure_kind, project, side_behaviour)
from pytest_modelizer.behaviour import Behaviour, clean_message
from pytest_modelizer.generate import Candidate, GrammarChecker, Target, TargetError, reduce_input, select
from pytest_modelizer.spec import ModelSpec

SUBJECT = toy.FAILING_SUBJECT


def test_targets_parse_and_match():
    assert str(Target.parse("failure")) == "failure"
    kind = Target.parse("failure:KeyError: 'S'")
    assert kind.matches(SUBJECT, Behaviour.failed("KeyError", "'double bang'"))
    assert not kind.matches(SUBJECT, Behaviour.failed("IndexError", "bang without a word"))
    assert Target.parse("output:a|b").matches(SUBJECT, Behaviour.success("a|b"))
    with pytest.raises(TargetError, match="use 'failure', 'failure:KIND' or 'output:TEXT'"):
        Target.parse("crash")


def test_rejections_are_not_failures_worth_a_case():
    subject = toy.make_subject(rejections=("ValueError",))
    assert not Target().matches(subject, Behaviour.failed("ValueError", "numbers are not words"))
    assert Target().matches(subject, Behaviour.failed("KeyError", "x"))


def test_failure_kinds_drop_numbers_and_keep_the_message_class():
    assert default_failure_kind(Behaviour.failed("ParseError", "Unexpected token. Line 1, Col: 70.; more")) == (
        "ParseError: Unexpected token. Line N, Col: N.")
    assert default_failure_kind(Behaviour.failed("timeout", "no answer within 5 s")) == "timeout"
    assert failure_kind(SUBJECT, Behaviour.success("x")) == "ok"
    failing = ModelSpec(SUBJECT, "forward", "failure")
    assert project(failing, Behaviour.failed("KeyError", "'double bang'")) == Behaviour(failure="KeyError: 'S'")
    assert project(failing, Behaviour.success("cat|dog")) == Behaviour.success("")


def test_failure_kinds_drop_the_quoted_values_a_message_echoes():
    # One kind for one failure, whichever value the input held; an apostrophe is no quote.
    assert default_failure_kind(Behaviour.failed("KeyError", "'name'")) == "KeyError: 'S'"
    assert default_failure_kind(Behaviour.failed("ValueError", "invalid literal for int() with base 10: \"x1\"")) == (
        "ValueError: invalid literal for int() with base N: 'S'")
    assert default_failure_kind(Behaviour.failed("ValueError", "can't split 'a b'")) == "ValueError: can't split 'S'"
    # A long echoed value is one too: replaced before the kind is cut to 80 characters, also where
    # the message's own limit cut its closing quote, and its temporary paths keep their quotes.
    for value in ("/../" * 30, "/tmp/x/../../y", "a" * 400):
        message = clean_message(f"path escapes root: '{value}'")
        assert default_failure_kind(Behaviour.failed("ValueError", message)) == "ValueError: path escapes root: 'S'"
    # The bundled subjects keep the kinds their shipped failure models learnt.
    assert numbered_failure_kind(Behaviour.failed("KeyError", "'name'")) == "KeyError: 'name'"


def test_a_failure_model_of_the_default_kinds_is_keyed_by_them_and_one_of_a_subjects_own_is_not():
    assert ModelSpec(SUBJECT, "forward", "failure").key_components["failure kinds"] == DEFAULT_FAILURE_KINDS
    own = toy.make_subject(failure_kind=numbered_failure_kind)
    assert "failure kinds" not in ModelSpec(own, "forward", "failure").key_components
    assert "failure kinds" not in ModelSpec(SUBJECT, "forward").key_components


@pytest.mark.parametrize("aspect", ["output", "failure"])
@pytest.mark.parametrize("behaviour", [Behaviour.success("cat|<b>dog</b>"), Behaviour.failed("ValueError", "numbers are not words")])
def test_a_behaviour_side_decodes_to_its_projection(aspect, behaviour):
    """What scoring compares a prediction with is exactly what the model's tokens can say (no message)."""
    spec = ModelSpec(SUBJECT, "forward", aspect)
    side = behaviour_side(spec, behaviour, {})
    assert side_behaviour(spec, side.tokens, side.mapping) == project(spec, behaviour)


def test_grammar_checker_accepts_the_language_only():
    checker = GrammarChecker(SUBJECT)
    assert checker.accepts("cat !dog 42")
    assert not checker.accepts("cat  dog")
    assert not checker.accepts("Cat")


def test_select_spreads_over_predicted_kinds():
    candidates = [Candidate(f"a{i}", "screened", 0.9 - i / 100, "A") for i in range(10)]
    candidates += [Candidate("b0", "inverse", 0.5, "B"), Candidate("ok", "screened", 0.99, "ok")]
    chosen = select(candidates, Target(), 4)
    assert [c.input for c in chosen] == ["a0", "b0", "a1", "a2"]
    # The budget is filled with the most failure-likely of the rest when few are predicted to fail.
    assert [c.input for c in select(candidates[-2:], Target(), 2)] == ["b0", "ok"]


def test_reduce_keeps_grammar_and_behaviour():
    checker = GrammarChecker(SUBJECT)

    def keeps(text: str) -> bool:
        try:
            toy.strict_shout(text)
        except KeyError:
            return True
        except Exception:
            return False
        return False

    reduced, runs = reduce_input(SUBJECT, "cat dog !!owl bee ant", keeps, checker)
    assert reduced.startswith("!!") and " " not in reduced and 0 < runs <= 60  # e.g. "!!owl" or "!!ant"


def test_placeholders_are_filled_from_the_values_their_context_takes():
    from pytest_modelizer.generate import context_pools
    from pytest_modelizer.mock import fill_placeholders

    contexts = context_pools(SUBJECT, ["!cat dog", "!cat owl", "!!emu"])
    assert contexts[("WORD", "!")] == ["cat", "emu"]  # most common first
    assert contexts[("WORD", " ")] == ["dog", "owl"]
    rng = random.Random(0)
    tokens = ("!", "WORD_1", " ", "WORD_2", " ", "WORD_1")
    mapping = fill_placeholders(tokens, {"WORD": ["ant"]}, rng, contexts)
    assert mapping["WORD_1"] in ("cat", "emu") and mapping["WORD_2"] in ("dog", "owl")
    # Without a context of its own a placeholder takes the type's pool, and values stay distinct.
    assert fill_placeholders(("WORD_1", " ", "WORD_2"), {"WORD": ["ant", "bee"]}, rng) in (
        {"WORD_1": "ant", "WORD_2": "bee"}, {"WORD_1": "bee", "WORD_2": "ant"})


def test_failure_models_trained_on_no_failure_say_so(tmp_path, capsys):
    """The toy grammar never makes a digit-only word: its failure models know no failure to aim at."""
    from pytest_modelizer.cli import main
    from pytest_modelizer.learn import learn
    from pytest_modelizer.store import ModelStore

    logged: list[str] = []
    for direction in ("forward", "inverse"):
        learn(ModelSpec(toy.SUBJECT, direction, "failure"), ModelStore(tmp_path), log=logged.append)
    # The inverse is a generator, judged by its likelihood: no exact match is claimed for it.
    assert logged[-1].startswith("validation loss ") and "exact match" not in logged[-1]
    conftest = tmp_path / "toy_conftest.py"
    conftest.write_text(toy.conftest_source())
    assert main(["cases", "shout", "--conftest", str(conftest), "--cache-dir", str(tmp_path), "--budget", "10"]) == 0
    err = capsys.readouterr().err
    assert "the program failed on none of the failure models'" in err and "alternatives the program rejects" in err


def test_an_unchanged_case_is_labelled_with_the_kind_of_now():
    # A case file written before quoted values left the kinds: same behaviour, same id, kind relabelled.
    from dataclasses import replace

    from pytest_modelizer.cases import Case, CaseReport, TestCases, case_id, refresh

    behaviour = Behaviour.failed("KeyError", "'double bang'")
    before = Case(case_id("KeyError: 'double bang'", "!!cat"), "!!cat", behaviour, "KeyError: 'double bang'",
                  "strict-shout", "1.0", "0123456789abcdef", "inverse")
    report = CaseReport()
    kept = refresh(TestCases("strict-shout", "failure", "1.0", [before]), lambda text: behaviour, lambda b: True,
                   default_failure_kind, report)
    assert report.unchanged == 1 and not report.changed and kept == [replace(before, kind="KeyError: 'S'")]


def test_a_case_edited_into_another_cases_input_is_not_kept_twice():
    from pytest_modelizer.cases import Case, CaseReport, TestCases, case_id, refresh

    behaviour = Behaviour.failed("KeyError", "'double bang'")
    kind = "KeyError: 'S'"
    recorded = Case(case_id(kind, "!!cat"), "!!cat", behaviour, kind, "strict-shout", "1.0", "k", "inverse")
    edited = Case(case_id(kind, "!!dog"), "!!cat", behaviour, kind, "strict-shout", "1.0", "k", "inverse")
    report = CaseReport()
    kept = refresh(TestCases("strict-shout", "failure", "1.0", [edited, recorded]), lambda text: behaviour,
                   lambda b: True, default_failure_kind, report)
    assert kept == [recorded] and report.unchanged == 1 and not report.dropped
    assert report.edited == [(edited.id, recorded.id, behaviour)]


def test_a_case_keeps_its_id_when_its_kind_changes():
    # The id is what --deselect, --lf and CI history know: a new message relabels the case, not the test.
    from pytest_modelizer.cases import Case, CaseReport, TestCases, case_id, refresh

    behaviour = Behaviour.failed("KeyError", "'double bang'")
    old_kind = "KeyError: 'double bang'"
    case = Case(case_id(old_kind, "!!cat"), "!!cat", behaviour, old_kind, "strict-shout", "1.0", "k", "inverse")
    changed = Behaviour.failed("KeyError", "'two bangs'")
    report = CaseReport()
    kept = refresh(TestCases("strict-shout", "failure", "1.0", [case]), lambda text: changed, lambda b: True,
                   default_failure_kind, report)
    assert [(c.id, c.kind, c.expected) for c in kept] == [(case.id, "KeyError: 'S'", changed)]
    assert report.changed == [(case.id, behaviour, changed)]

def test_cases_of_one_kind_prefer_shapes_not_yet_picked():
    # "! cat" and "! dog" are one shape (a bang and a word): a third case should show something else.
    from types import SimpleNamespace

    from pytest_modelizer.cases import pick_cases

    found = [SimpleNamespace(input=text, kind="KeyError") for text in ("!cat", "!dog", "!owl", "!!cat dog")]
    def shape(text: str) -> tuple:  # words abstracted, as placeholders do
        return tuple("WORD" if part.isalpha() else part for part in re.findall(r"[a-z]+|.", text))

    assert [f.input for f in pick_cases(found, 2, shape=shape)] == ["!cat", "!!cat dog"]
    assert [f.input for f in pick_cases(found, 2, shape=shape, known_shapes={shape("!emu")})] == ["!!cat dog", "!cat"]
