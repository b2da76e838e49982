"""Fidelity summaries: exact match per bucket of the query's length and inside or outside the grammar."""
from __future__ import annotations

from pytest_modelizer.evaluate import Scored, length_bucket, summarize


def _scored(tokens: int | None, exact: bool) -> Scored:
    return Scored(covered=tokens is not None, exact=exact, predicted=(), reference=(), source_tokens=tokens)


def test_exact_match_is_reported_per_length_bucket():
    scored = [_scored(3, True), _scored(20, False), _scored(21, True), _scored(80, True), _scored(81, False),
              _scored(None, False)]
    by_length = summarize(scored)["by_length"]
    assert list(by_length) == ["<=20", "21-40", "41-80", ">80", "untokenized"]
    assert by_length["<=20"] == {"n": 2, "exact_match": 0.5}
    assert by_length["41-80"] == {"n": 1, "exact_match": 1.0} and by_length[">80"]["exact_match"] == 0.0
    assert [length_bucket(n) for n in (0, 40, 41, 1000)] == ["<=20", "21-40", "41-80", ">80"]


def test_empty_buckets_are_left_out():
    assert list(summarize([_scored(5, True)])["by_length"]) == ["<=20"]


def test_exact_match_is_reported_inside_and_outside_the_grammar_where_it_was_checked():
    def scored(in_grammar, exact):
        return Scored(covered=True, exact=exact, predicted=(), reference=(), source_tokens=3, in_grammar=in_grammar)

    assert "by_grammar" not in summarize([scored(None, True)])  # synthetic inputs are not checked
    by_grammar = summarize([scored(False, False), scored(True, True), scored(None, False), scored(True, False)])["by_grammar"]
    assert by_grammar == {"inside": {"n": 2, "exact_match": 0.5}, "outside": {"n": 1, "exact_match": 0.0},
                          "too long to parse": {"n": 1, "exact_match": 0.0}}
    assert list(summarize([scored(False, True)])["by_grammar"]) == ["outside"]


def test_fresh_held_out_inputs_leave_out_the_training_inputs_without_a_cache(tmp_path):
    import toy
    from pytest_modelizer.data import held_out_inputs, synthesize_pairs, training_inputs

    # The toy grammar's inputs are few: another seed makes many training inputs again. With samples,
    # the samples and their fragments are training inputs too.
    samples = ["!cat !dog", "!owl", "!bee !ant !emu", "!cat dog"]
    for subject in (toy.SUBJECT, toy.make_subject(samples=samples)):
        training = subject.training
        trained = set(training_inputs(subject, training))
        assert {p.input for p in synthesize_pairs(subject, training, tmp_path)} == trained
        uncached = held_out_inputs(subject, 300, training)
        assert uncached and not trained & set(uncached)
        assert held_out_inputs(subject, 300, training, tmp_path) == uncached  # the cached pairs say the same


def test_an_inverse_answer_that_round_trips_is_exact_whatever_input_it_writes(toy_inverse_cache, monkeypatch):
    """The reference input may hold words its output lacks, which no model writes: only the round trip judges."""
    import toy
    from pytest_modelizer.behaviour import Behaviour
    from pytest_modelizer.data import Pair
    from pytest_modelizer.evaluate import score_pairs
    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.runner import ProgramRunner
    from pytest_modelizer.spec import ModelSpec
    from pytest_modelizer.store import ModelStore, load_artifact
    from pytest_modelizer.tokenizer import Vocabulary

    store = ModelStore(toy_inverse_cache)
    mocks = {d: MockProgram(s, load_artifact(store.find_model(s)))
             for d, s in (("forward", ModelSpec(toy.SUBJECT, "forward")), ("inverse", ModelSpec(toy.SUBJECT, "inverse")))}
    pair = Pair("cat dog", Behaviour.success("cat|dog"))
    # As if each reference held a word no vocabulary has.
    monkeypatch.setattr(Vocabulary, "covers", lambda self, tokens: False)
    with ProgramRunner(toy.SUBJECT) as runner:
        (inverse,), _ = score_pairs(mocks["inverse"], [pair], runner)
        (forward,), _ = score_pairs(mocks["forward"], [pair], runner)
    assert inverse.covered and inverse.exact
    assert not forward.covered and not forward.exact and forward.uncovered == "unseen output tokens"
    assert forward.query_covered and inverse.query_covered  # the model reads the input all the same


def test_inputs_read_count_those_whose_answer_alone_is_beyond_the_model():
    def scored(covered, query_covered):
        return Scored(covered=covered, exact=False, predicted=(), reference=(), query_covered=query_covered)

    report = summarize([scored(True, True), scored(False, True), scored(False, False), scored(False, False)])
    assert report["coverage"] == 0.25 and report["query_coverage"] == 0.5
    assert "spelled" not in report


def test_inputs_read_through_spelled_tokens_are_reported_apart():
    def scored(exact, spelled):
        return Scored(covered=True, exact=exact, predicted=(), reference=(), spelled=spelled)

    report = summarize([scored(True, False), scored(False, True), scored(True, True), scored(False, True)])
    assert report["spelled"] == {"n": 3, "exact_match": 1 / 3}
