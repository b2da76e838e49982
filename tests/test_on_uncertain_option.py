"""`on_uncertain` (marker, ini `modelizer_on_uncertain`, flag `--modelizer-on-uncertain`): who answers what the model is unsure of."""
from __future__ import annotations

import pytest

# "cat 42": digits were never seen in training, so the model cannot answer; the program raises ValueError.
TEST = """
import pytest
from pytest_modelizer import UncertainPrediction, UncoveredInputError

@pytest.mark.modelize("shout"{options})
def test_it(mock_program):
    {body}
"""


def _run(toy_pytester, toy_cache, options: str, body: str, *args: str):
    toy_pytester.makepyfile(TEST.format(options=options, body=body))
    return toy_pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", *args)


def test_real_runs_the_program_and_records_it(toy_pytester, toy_cache):
    body = "assert mock_program('cat !bee') == 'cat|<b>bee</b>'\n    with pytest.raises(ValueError):\n        mock_program('cat 42')"
    result = _run(toy_pytester, toy_cache, ", on_uncertain='real'", body)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*the program 1; refused 0*", "*recordings written:*shout.jsonl*",
                                 "  (the program's answers to inputs the model was unsure of*"])
    assert '"input": "cat 42", "failure": "ValueError"' in (toy_pytester.path / "__modelizer_recordings__" / "shout.jsonl").read_text()


def test_a_recording_made_in_a_run_serves_the_runs_after_it_not_the_tests_after_it(toy_pytester, toy_cache):
    # Otherwise a test's outcome would depend on which tests ran before it (and on its xdist worker).
    toy_pytester.makepyfile("""
        import pytest
        from pytest_modelizer import UncertainPrediction

        @pytest.mark.modelize("shout", on_uncertain="real")
        def test_records(mock_program):
            with pytest.raises(ValueError):
                mock_program("cat 42")

        @pytest.mark.modelize("shout", on_uncertain="error")
        def test_refuses(mock_program):
            with pytest.raises(UncertainPrediction):
                mock_program("cat 42")
        """)
    result = toy_pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*recordings written:*shout.jsonl*"])
    # The next run replays it, to every test: recordings come before the model.
    result = toy_pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", "-k", "refuses")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E * ValueError*numbers are not words*", "*a recording 1*"])


def test_real_is_the_default_where_the_program_is_installed(toy_pytester, toy_cache):
    result = _run(toy_pytester, toy_cache, "", "with pytest.raises(ValueError):\n        mock_program('cat 42')")
    result.assert_outcomes(passed=1)


def test_error_refuses_naming_input_reason_and_fix(toy_pytester, toy_cache):
    body = "with pytest.raises(UncertainPrediction) as info:\n        mock_program('cat 42')\n    print(info.value)"
    result = _run(toy_pytester, toy_cache, ", on_uncertain='error'", body, "-s")
    result.assert_outcomes(passed=1)
    # Accepting changes nothing for an input the model cannot represent: the fix is the grammar.
    result.stdout.fnmatch_lines(["*cannot represent it*'cat 42'*--modelizer-mode record*make the grammar write "
                                 "such inputs*--modelizer-train*",
                                 "*refused 1*"])


def test_accept_serves_the_model_answer(toy_pytester, toy_cache):
    result = _run(toy_pytester, toy_cache, ", on_uncertain='accept'",
                  "with pytest.raises(UncoveredInputError):\n        mock_program('cat 42')")
    result.assert_outcomes(passed=1)


def test_the_flag_beats_the_marker_and_the_ini(toy_pytester, toy_cache):
    toy_pytester.makeini("[pytest]\nmodelizer_on_uncertain = real\n")
    body = "with pytest.raises(UncertainPrediction):\n        mock_program('cat 42')"
    _run(toy_pytester, toy_cache, ", on_uncertain='accept'", body, "--modelizer-on-uncertain", "error").assert_outcomes(passed=1)
    _run(toy_pytester, toy_cache, "", body).assert_outcomes(failed=1)  # the ini's real: the program raises ValueError


def test_a_bad_value_errors_the_test(toy_pytester, toy_cache):
    result = _run(toy_pytester, toy_cache, ", on_uncertain='maybe'", "pass")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*on_uncertain='maybe' is not valid; valid: real, error, accept*"])


def test_quality_gate_refuses_a_model_below_min_exact(toy_pytester, toy_cache, tmp_path):
    """A model scoring 0 % held-out (its metrics rewritten) is refused by the default gate, with the figure and the fix."""
    import shutil

    from pytest_modelizer.store import load_artifact, save_artifact

    cache = tmp_path / "cache"
    shutil.copytree(toy_cache, cache)
    for path in (cache / "shout").glob("forward-*.npz"):
        artifact = load_artifact(path)
        artifact.meta["metrics"]["exact_match"] = 0.0
        save_artifact(artifact, path)
    result = _run(toy_pytester, cache, "", "mock_program('cat')")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*is 0.0% exact on its held-out pairs, below min_exact=0.5*--modelizer-train*"])
    _run(toy_pytester, cache, ", min_exact=0", "mock_program('cat')").assert_outcomes(passed=1)
    toy_pytester.makeini("[pytest]\nmodelizer_min_exact = 0\n")
    _run(toy_pytester, cache, "", "mock_program('cat')").assert_outcomes(passed=1)


@pytest.mark.parametrize("handler", ["ValueError", "Exception"])
def test_an_applications_handler_does_not_take_a_refusal_for_the_programs_failure(toy_pytester, toy_cache, handler):
    # The application treats the program's failure as "invalid"; the mock's refusal must not pass for one.
    body = (f"def page(text):\n        try:\n            return mock_program(text)\n        except {handler}:\n"
            f"            return 'invalid'\n    assert page('cat 42') == 'invalid'")
    result = _run(toy_pytester, toy_cache, ", on_uncertain='error'", body)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*UncertainPrediction: modelizer: *cannot represent it*'cat 42'*"])
    assert "serve.py" not in result.stdout.str()  # the traceback ends at the application's call
