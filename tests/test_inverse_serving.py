"""Serving an inverse model (output -> input): what the modes and on_uncertain do where no program answers directly."""
from __future__ import annotations


def _run(toy_pytester, cache, body: str, *args: str, options: str = ""):
    toy_pytester.makepyfile(f"""
        import pytest
        from pytest_modelizer import UncertainPrediction

        @pytest.mark.modelize("shout", direction="inverse"{options})
        def test_it(mock_program):
            {body}
        """)
    return toy_pytester.runpytest(f"--modelizer-cache-dir={cache}", *args)


def test_an_inverse_answer_is_an_input_that_gives_the_output_back(toy_pytester, toy_inverse_cache):
    body = "import toy\n            assert toy.shout(mock_program('cat|<b>dog</b>')) == 'cat|<b>dog</b>'"
    result = _run(toy_pytester, toy_inverse_cache, body, options=", on_uncertain='accept'")
    result.assert_outcomes(passed=1)


def test_an_unsure_inverse_answer_is_checked_on_the_program_and_refused_if_it_fails(toy_pytester, toy_inverse_cache):
    # Capitals were never seen: the model cannot answer, and no program run can vouch for a guess.
    body = "with pytest.raises(UncertainPrediction, match='nor did the program'):\n                mock_program('CAT|DOG')"
    result = _run(toy_pytester, toy_inverse_cache, body, options=", on_uncertain='real'")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*refused 1*"])


def test_verify_checks_an_inverse_answer_by_a_round_trip(toy_pytester, toy_inverse_cache):
    body = "mock_program('owl|<b>bee</b>')"
    result = _run(toy_pytester, toy_inverse_cache, body, "--modelizer-mode", "verify")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*verify: model agreed on 1/1 (100.0%)*"])


def test_mode_real_cannot_answer_an_inverse_query_and_mode_record_lets_the_model(toy_pytester, toy_inverse_cache):
    body = "import toy\n            assert toy.shout(mock_program('owl|<b>bee</b>')) == 'owl|<b>bee</b>'"
    result = _run(toy_pytester, toy_inverse_cache, body, "--modelizer-mode", "real")
    result.assert_outcomes(errors=1)  # at setup: no call could be answered
    result.stdout.fnmatch_lines(["*mode 'real' runs only the real program, which cannot answer the inverse query*"])
    # Record mode has no program answer to record for it: the model answers as in mode mock.
    _run(toy_pytester, toy_inverse_cache, body, "--modelizer-mode", "record").assert_outcomes(passed=1)
    assert not (toy_pytester.path / "__modelizer_recordings__").exists()
