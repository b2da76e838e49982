"""The `modelize` marker: registered, validated, with errors that list the valid choices."""
from __future__ import annotations

import pytest

import toy


def run_one(pytester: pytest.Pytester, marker: str, fixture: str = "real_program") -> pytest.RunResult:
    pytester.makepyfile(
        f"""
        import pytest

        {marker}
        def test_it({fixture}):
            pass
        """
    )
    return pytester.runpytest("--modelizer-cache-dir", str(pytester.path / "cache"))


def test_unknown_option_lists_valid_options(toy_pytester):
    result = run_one(toy_pytester, '@pytest.mark.modelize("shout", mode="fast", direcion="inverse")')
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*modelizer: unknown modelize option(s) direcion, mode; valid options: direction, patch*"]
    )


def test_unknown_subject_lists_known_subjects(toy_pytester):
    result = run_one(toy_pytester, '@pytest.mark.modelize("shuot")')
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*unknown subject 'shuot' (did you mean 'shout'?); known subjects: {toy.known_subjects()}.*pytest_modelizer_subjects*"])


def test_bad_direction_lists_directions(toy_pytester):
    result = run_one(toy_pytester, '@pytest.mark.modelize("shout", direction="backward")')
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*direction='backward' is not valid; valid: forward, inverse*"])


@pytest.mark.parametrize(
    "marker, message",
    [
        ("@pytest.mark.modelize", "*takes one subject name*got ()*"),
        ('@pytest.mark.modelize("shout", "markdown-it")', "*takes one subject name*"),
        ('@pytest.mark.modelize("shout", patch="render")', "*patch='render' must be a dotted 'module.attribute' path*"),
        ('@pytest.mark.modelize("shout", binray="shout")', "*unknown modelize option(s) binray (did you mean 'binary'?)*"),
    ],
    ids=["no-subject", "two-subjects", "undotted-patch", "option-typo"],
)
def test_malformed_marker(toy_pytester, marker, message):
    result = run_one(toy_pytester, marker)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([message])


def test_invalid_marker_errors_even_without_fixtures(toy_pytester):
    result = run_one(toy_pytester, '@pytest.mark.modelize("shout", mode=1)', fixture="")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown modelize option(s) mode*"])


@pytest.mark.parametrize("fixture", ["mock_program", "real_program"])
def test_fixture_without_marker_says_how_to_mark(toy_pytester, fixture):
    result = run_one(toy_pytester, "", fixture=fixture)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [f"*modelizer: {fixture} needs a subject: mark the test with @pytest.mark.modelize('SUBJECT')*"]
    )


def test_marker_is_registered(pytester):
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.modelize(subject, direction='forward', patch=None, aspect='output', cases=None, count=10, "
         "budget=200, on_uncertain=None, min_exact=None, binary=None, binary_env=None): "
         "serve the test with a learned model*"]
    )


def test_strict_markers_accepts_modelize(toy_pytester):
    toy_pytester.makepyfile(
        """
        import pytest

        @pytest.mark.modelize("shout")
        def test_it(real_program):
            assert real_program("!owl").output == "<b>owl</b>"

        @pytest.mark.not_registered_anywhere
        def test_other():
            pass
        """
    )
    result = toy_pytester.runpytest("--strict-markers", "--modelizer-cache-dir", str(toy_pytester.path / "cache"))
    # The unregistered marker proves --strict-markers is active; modelize passes it.
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*'not_registered_anywhere' not found in `markers` configuration option*"])
    assert "modelize' not found" not in result.stdout.str()
    toy_pytester.makepyfile(
        """
        import pytest

        @pytest.mark.modelize("shout")
        def test_it(real_program):
            assert real_program("!owl").output == "<b>owl</b>"
        """
    )
    result = toy_pytester.runpytest("--strict-markers", "--modelizer-cache-dir", str(toy_pytester.path / "cache"))
    result.assert_outcomes(passed=1)


def test_an_invalid_subject_errors_only_the_tests_that_use_it(pytester, toy_cache):
    pytester.makeconftest(toy.conftest_source(
        "toy.SUBJECT, toy.make_subject(name='wrong', grammar={**toy.GRAMMAR, '<item>': ['<w>', '!<itme>']})"))
    pytester.makepyfile("""
        import pytest

        @pytest.mark.modelize("shout")
        def test_fine(mock_program):
            assert mock_program("owl bee") == "owl|bee"

        @pytest.mark.modelize("wrong")
        def test_wrong(mock_program):
            pass
        """)
    result = pytester.runpytest(f"--modelizer-cache-dir={toy_cache}")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*subject 'wrong' is not valid:", "*'<itme>'*(did you mean '<item>'?)"])
