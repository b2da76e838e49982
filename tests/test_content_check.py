"""The check that content hidden in a placeholder does not decide the program's behaviour."""
from __future__ import annotations

import toy

from pytest_modelizer.content_check import (HiddenContent, check_hidden_content, check_repeatable,
                                            deciding_characters, probe_content, probe_runs, probe_words,
                                            vocabulary_words)
from pytest_modelizer.data import encode_pair, synthesize_pairs
from pytest_modelizer.runner import ProgramRunner
from pytest_modelizer.spec import ModelSpec


def _examples(spec: ModelSpec) -> list:
    return [e for e in (encode_pair(spec, p) for p in synthesize_pairs(spec.subject, spec.subject.training)) if e]


def _checked(subject, aspect="output") -> HiddenContent:
    spec = ModelSpec(subject, "forward", aspect)
    with ProgramRunner(subject) as runner:
        return check_hidden_content(spec, _examples(spec), runner, count=60)


def test_a_program_that_only_copies_content_passes():
    found = _checked(toy.SUBJECT)
    assert found.checked >= 50 and found.changed == 0 and not found.warns
    assert found.by_kind["WORD"][1] == 0


def test_a_program_that_acts_on_hidden_content_is_named_with_an_example():
    found = _checked(toy.VOWEL_SUBJECT)
    assert found.warns and found.by_kind["WORD"][1] == found.changed >= 10
    before, before_does, after, after_does = found.example
    assert toy.vowel_marks(before) == before_does and toy.vowel_marks(after) == after_does
    message = found.describe("vowel-marks")
    assert "'vowel-marks'" in message and f"{found.changed} of {found.checked} inputs" in message
    assert "content terminal of their own" in message and "What a model can learn" in message


def test_the_character_that_decides_is_named_where_one_does():
    # html.escape rewrites the `'` of "Tom's": the swaps that changed the answer gained or lost it.
    swaps = [("Tom's", "fig", True), ("pear", "Tom's", True)] * 4 + [("pear", "fig", False), ("x", "apple", False)] * 10
    assert deciding_characters(swaps) == ("'",)
    found = HiddenContent(28, 8, {"WORD": (28, 8)}, ("Tom's", "Tom&#x27;s", "fig", "fig"), ("'",))
    assert "where one value held \"'\" and the other did not: likely what the program acts on" in found.describe("x")
    # A first letter that decides (vowel-marks: a vowel or not) is no one character: none is named.
    assert _checked(toy.VOWEL_SUBJECT).deciding == ()


def test_failures_that_depend_on_hidden_content_count_for_the_failure_aspect():
    # strict-shout fails on digit-only words, which its tokenizer does not hide: nothing to find.
    assert _checked(toy.FAILING_SUBJECT, "failure").changed == 0


def test_training_warns_and_stores_the_figures(tmp_path):
    from pytest_modelizer.learn import learn
    from pytest_modelizer.store import ModelStore

    logged: list[str] = []
    spec = ModelSpec(toy.VOWEL_SUBJECT, "forward", training=toy.VOWEL_SUBJECT.training.replace(max_epochs=1))
    artifact = learn(spec, ModelStore(tmp_path), log=logged.append)
    found = artifact.meta["hidden_content"]
    assert found["changed"] > 0 and found["checked"] > found["changed"]
    from pytest_modelizer.mock import MockProgram

    assert MockProgram(spec, artifact).info.hidden_content == found
    assert any(line.startswith("warning: the tokens of 'vowel-marks' hide content") for line in logged)
    assert artifact.meta["repeatable"]["differed"] == 0  # it acts on content, and does so each time alike
    assert not any("answers the same input differently" in line for line in logged)


def _repeated(subject, own_interpreters=False):
    spec = ModelSpec(subject, "forward")
    with ProgramRunner(subject, own_interpreters=own_interpreters) as runner:
        return check_repeatable(spec, _examples(spec), runner, count=40)


def test_a_program_that_answers_each_input_one_way_repeats():
    found = _repeated(toy.SUBJECT)
    assert (found.checked, found.differed, found.warns) == (40, 0, False)


def test_a_program_that_answers_an_input_differently_each_time_is_named_with_an_example():
    found = _repeated(toy.STAMPED_SUBJECT)
    assert found.warns and found.checked == found.differed == 40
    text, first, again = found.example
    assert first.rsplit("|", 1)[0] == again.rsplit("|", 1)[0] == toy.shout(text) and first != again
    message = found.describe("stamped-shout")
    assert "'stamped-shout' answers the same input differently" in message and "40 of 40 training inputs" in message
    assert "What a model can learn" in message


def test_answers_in_set_order_differ_in_workers_with_a_hash_seed_of_their_own():
    # The pairs come from workers forked from one process (one seed); a spawned worker has its own.
    assert _repeated(toy.SETWISE_SUBJECT).differed == 0
    found = _repeated(toy.SETWISE_SUBJECT, own_interpreters=True)
    assert found.warns and found.differed >= 10


def test_training_warns_of_a_program_that_answers_differently_and_stores_the_figures(tmp_path):
    from pytest_modelizer.learn import learn
    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.store import ModelStore

    logged: list[str] = []
    spec = ModelSpec(toy.STAMPED_SUBJECT, "forward", training=toy.STAMPED_SUBJECT.training.replace(max_epochs=1))
    artifact = learn(spec, ModelStore(tmp_path), log=logged.append)
    assert artifact.meta["repeatable"]["differed"] == artifact.meta["repeatable"]["checked"] > 0
    assert MockProgram(spec, artifact).info.repeatable == artifact.meta["repeatable"]
    assert any(line.startswith("warning: the program of 'stamped-shout' answers") for line in logged)


def test_an_example_shows_the_answers_from_where_they_differ():
    from pytest_modelizer.content_check import where_they_differ

    prefix = "<math>" + "<mi>x</mi>" * 10
    assert where_they_differ(prefix + "<mi>0.5</mi>", prefix + "<mn>2</mn>") == (
        "...mi><mi>x</mi><mi>0.5</mi>", "...mi><mi>x</mi><mn>2</mn>")
    assert where_they_differ("ab", "ab c") == ("ab", "ab c")


def test_the_probe_keeps_the_characters_the_program_copies_as_is():
    # Words may hold `'` and `&` (the grammar makes neither); the program copies `'` but escapes `&`.
    # Other characters split a word: a value never holds them, so they are not tried.
    spec = ModelSpec(toy.ESCAPING_SUBJECT, "forward")
    with ProgramRunner(spec.subject) as runner:
        assert probe_content(spec, _examples(spec), runner) == {"WORD": {"letter", "'"}}


def test_the_run_probe_keeps_the_runs_the_program_copies_as_is():
    # Both copy `'` alone; squeezing-shout writes `''` as `'`, as HTML collapses spaces.
    for subject, runs in ((toy.ESCAPING_SUBJECT, {"'"}), (toy.SQUEEZING_SUBJECT, set())):
        spec = ModelSpec(subject, "forward")
        with ProgramRunner(subject) as runner:
            assert probe_runs(spec, _examples(spec), runner, {"WORD": {"letter", "'"}}) == {"WORD": runs}


def test_the_vocabularies_words_are_those_of_tokens_of_their_own():
    assert vocabulary_words(["WORD_1", "not", " ", "!", "<b>", "</b>", "|", "sum(", "\\prod ", "x2"]) == [
        "b", "not", "prod", "sum", "x2"]


def test_the_word_probe_finds_the_vocabulary_words_the_program_acts_on():
    # negating-shout writes `not` as `~` even after a bang, where it is a word's value; `b` (of
    # `<b>`) it copies. shout copies both.
    words = ["b", "not"]
    for subject, special in ((toy.NEGATING_SUBJECT, {"WORD": {"not": []}}), (toy.SUBJECT, {})):
        spec = ModelSpec(subject, "forward")
        with ProgramRunner(subject) as runner:
            assert probe_words(spec, _examples(spec), runner, words) == special
            assert probe_words(spec, _examples(spec), runner, words, budget=2) == special  # one context each


def test_a_vocabulary_mostly_of_rare_tokens_is_named_with_examples():
    from pytest_modelizer.content_check import RARE_COUNT, rare_tokens

    # A URL splitter whose port is one token: nearly every port is in one pair.
    urls = [(("http", "://", "WORD_1", ":", str(8000 + i)), ("{", "WORD_1", ", ", str(8000 + i), "}"))
            for i in range(300)]
    found = rare_tokens(urls)
    assert found is not None and found.rare == 300 and found.tokens == 306 and found.pairs == 300
    message = found.describe("url-split")
    assert "'url-split'" in message and "300 of the 306 tokens" in message and "'8000'" in message
    assert "content terminal" in message and "digits" in message
    # A few rare tokens, or a long tail of them beside more tokens the pairs use often, are no warning.
    assert rare_tokens(urls[:RARE_COUNT - 1]) is None
    often = [((f"w{i}", f"w{i + 1}"), (f"w{i}",)) for i in range(200)] * 5
    assert rare_tokens(often + urls[:150]) is None and rare_tokens(often + urls) is not None
    # Rare words only the answers hold (content the query lacks) are no tokenizer's to fix.
    answers = [(("query",), ("{", f"word{i}", "}")) for i in range(300)]
    message = rare_tokens(answers).describe("words")
    assert "300 of them are only in the answers" in message and "content terminal" not in message


def test_the_toy_subjects_tokens_are_not_rare():
    from pytest_modelizer.content_check import rare_tokens

    spec = ModelSpec(toy.SUBJECT, "forward")
    assert rare_tokens([(e.src, e.tgt) for e in _examples(spec)]) is None
