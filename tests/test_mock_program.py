"""The `mock_program` and `real_program` fixtures on the trained toy model."""
from __future__ import annotations

import pytest

import toy
from pytest_modelizer.spec import ModelSpec


@pytest.fixture
def run(toy_pytester, toy_cache):
    """Run a test file (source) in the pytester dir against the trained toy model."""

    def run(source: str, *args: str) -> pytest.RunResult:
        toy_pytester.makepyfile(source)
        return toy_pytester.runpytest("--modelizer-cache-dir", str(toy_cache), *args)

    return run


def test_mock_is_callable_like_the_program(run):
    result = run(
        """
        import pytest

        @pytest.mark.modelize("shout")
        def test_it(mock_program):
            out = mock_program("cat !dog")
            assert isinstance(out, str) and out
            assert mock_program("cat !dog") == out
            assert repr(mock_program).startswith("<ServedProgram shout forward mode=mock")
        """
    )
    result.assert_outcomes(passed=1)


def test_mock_learned_the_simple_cases(run):
    # What even a tiny model learns reliably: one word, one shouted word, and that content is
    # a placeholder, so words the model never saw come out unchanged.
    result = run(
        """
        import pytest

        @pytest.mark.modelize("shout")
        def test_it(mock_program):
            assert mock_program("cat") == "cat"
            assert mock_program("!dog") == "<b>dog</b>"
            assert mock_program("zebra") == "zebra"
            assert mock_program("!aardvark") == "<b>aardvark</b>"
        """
    )
    result.assert_outcomes(passed=1)


def test_batch_matches_single_calls(run):
    result = run(
        """
        import pytest

        INPUTS = ["owl", "!bee ant", "cat dog !emu", "owl"]

        @pytest.mark.modelize("shout")
        def test_it(mock_program):
            outs = mock_program.batch(INPUTS)
            assert len(outs) == 4 and all(isinstance(o, str) for o in outs)
            assert outs == [mock_program(text) for text in INPUTS]
            assert outs[0] == outs[3]
        """
    )
    result.assert_outcomes(passed=1)


def test_info_describes_the_model(run):
    key = ModelSpec(toy.SUBJECT, "forward").key
    result = run(
        f"""
        import pytest

        @pytest.mark.modelize("shout")
        def test_it(mock_program):
            info = mock_program.info
            assert (info.subject, info.direction, info.key) == ("shout", "forward", {key!r})
            assert 10_000 < info.parameters < 1_000_000
            assert info.path.endswith("forward-{key}.npz")
            assert {{"n", "exact_match", "bleu", "bleu_se", "token_accuracy", "coverage"}} <= set(info.metrics)
            assert 0.0 <= info.metrics["exact_match"] <= 1.0 and info.metrics["n"] > 0
        """
    )
    result.assert_outcomes(passed=1)


def test_predictions_are_memoized_and_summarized(run):
    key = ModelSpec(toy.SUBJECT, "forward").key
    result = run(
        """
        import pytest

        @pytest.mark.modelize("shout")
        def test_it(mock_program):
            for _ in range(3):
                mock_program("cat !dog")
            mock_program.batch(["cat !dog", "owl"])
            assert mock_program.stats.calls == 5
            assert mock_program.stats.predicted == 2
            assert mock_program.stats.mean_ms > 0
        """
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*= modelizer =*", f"shout (forward) key {key}: held-out exact match *% (n=*); 5 queries of the model, * ms mean per decoded input"]
    )


def test_parametrized_inputs_are_decoded_in_one_batch(run):
    result = run(
        """
        import pytest

        INPUTS = ["cat !dog", "owl", "!owl cat", "dog dog"]

        @pytest.mark.modelize("shout")
        @pytest.mark.parametrize("text", INPUTS)
        def test_it(mock_program, text):
            before = mock_program.stats.predicted
            mock_program(text)
            # The first item decoded every parameter in one batch; the others hit the memo.
            assert mock_program.stats.predicted == len(INPUTS)
            assert before in (0, len(INPUTS))

        @pytest.mark.modelize("shout")
        @pytest.mark.parametrize("n", [1, 2])
        def test_not_strings(mock_program, n):
            assert mock_program.stats.predicted == 4  # nothing new to prefetch
        """
    )
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["shout (forward) key *: *; 4 queries of the model, 4 inputs decoded, * ms mean per decoded input"])


def test_uncovered_input_raises(run):
    result = run(
        """
        import pytest
        from pytest_modelizer.mock import UncoveredInputError

        @pytest.mark.modelize("shout", on_uncertain="accept")
        def test_it(mock_program):
            with pytest.raises(UncoveredInputError) as info:
                mock_program("cat 42")
            message = str(info.value)
            assert "cannot represent 'cat 42'" in message
            assert "never seen in training" in message and "'4'" in message
            assert "--modelizer-train" in message
            with pytest.raises(UncoveredInputError, match="more than the model's 62"):
                mock_program(" ".join(["cat"] * 40))
        """
    )
    result.assert_outcomes(passed=1)


def test_real_program_returns_behaviour(run):
    result = run(
        """
        import pytest
        from pytest_modelizer import Behaviour

        @pytest.mark.modelize("shout")
        def test_it(real_program):
            assert real_program("cat !dog") == Behaviour.success("cat|<b>dog</b>")
            failed = real_program("cat 42")
            assert not failed.ok
            assert failed.failure == "ValueError"
            assert failed.message == "numbers are not words"
        """
    )
    result.assert_outcomes(passed=1)


def test_real_program_times_out(toy_pytester):
    toy_pytester.makeconftest(toy.conftest_source("toy.make_subject(name='hang', program=toy.hang, timeout=0.3)"))
    toy_pytester.makepyfile(
        """
        import time
        import pytest

        @pytest.mark.modelize("hang")
        def test_it(real_program):
            start = time.perf_counter()
            behaviour = real_program("cat")
            assert time.perf_counter() - start < 5
            assert behaviour.failure == "timeout"
        """
    )
    result = toy_pytester.runpytest("--modelizer-cache-dir", str(toy_pytester.path / "cache"))
    result.assert_outcomes(passed=1)


def test_the_model_info_prints_its_figures_not_its_calibration_lists():
    from pytest_modelizer.mock import ModelInfo

    info = ModelInfo("s", "forward", "abc", 1000, {"exact_match": 0.98}, "/m.npz", 0.61,
                     {"answered": 0.88, "source_trigrams": [["a", "b", "c"]] * 5000})
    assert repr(info) == ("ModelInfo(subject='s', direction='forward', key='abc', parameters=1,000, exact_match=0.980, "
                          "answered_confidently=0.880, threshold=0.610, path='/m.npz')")
    assert info.calibration["source_trigrams"]  # still there for whoever reads it


def test_a_trained_model_records_how_it_reads_its_queries(toy_cache):
    from pytest_modelizer.aspect import QUERY_REGIONS
    from pytest_modelizer.store import load_artifact

    # So that a mock reads them alike (test_markdown_it_subject.py: a model trained before does not).
    artifact = load_artifact(toy_cache / "shout" / f"forward-{ModelSpec(toy.SUBJECT, 'forward').key}.npz")
    assert artifact.meta[QUERY_REGIONS] is True
