"""Declared program versions: models replay where the program is absent; drift is an error unless accepted."""
from __future__ import annotations

import pytest

import toy
from pytest_modelizer.subject import UNDECLARED_VERSION, ProgramStatus
from pytest_modelizer.spec import ModelSpec


def test_the_key_uses_the_declared_version_not_the_installed_one():
    absent = toy.make_subject(installed_version=lambda: None)
    drifted = toy.make_subject(installed_version=lambda: "9.9")
    assert ModelSpec(absent, "forward").key == ModelSpec(drifted, "forward").key == ModelSpec(toy.SUBJECT, "forward").key
    assert absent.program_status() == ProgramStatus("shout", "1.0", None)
    assert absent.program_status().absent and drifted.program_status().drift
    assert not toy.SUBJECT.program_status().absent  # a callable without a probe is present


def test_a_command_without_its_executable_is_absent():
    subject = toy.make_subject(program=["no-such-modelizer-program", "--x"])
    assert subject.program_status().absent


def test_an_absent_program_without_a_declared_version_says_how_to_declare_one():
    subject = toy.make_subject(program=["no-such-modelizer-program"], program_version=UNDECLARED_VERSION)
    assert "undeclared program version" in subject.program_status().describe()
    assert "program_version=" in subject.program_status().describe()


def test_bundled_subjects_declare_their_pinned_versions():
    from pytest_modelizer.registry import SubjectRegistry

    registry = SubjectRegistry.discover()
    for name in registry.names():
        subject = registry.get(name)
        assert isinstance(subject.program_version, str) and "==" in subject.program_version, name
        assert subject.installed_version is not None, name


# A test that only needs the model served: its setup is what is under test.
USES_THE_MODEL = "import pytest\n\n@pytest.mark.modelize('shout')\ndef test_it(mock_program):\n    pass\n"


def _absent_conftest(pytester, probe: str) -> None:
    pytester.makeconftest(toy.conftest_source(f"toy.make_subject(installed_version=lambda: {probe})"))


def test_absent_program_replays_the_model_and_says_so(pytester, toy_cache):
    _absent_conftest(pytester, "None")
    pytester.makepyfile(
        """
        import pytest
        from pytest_modelizer import UncertainPrediction

        @pytest.mark.modelize("shout")
        def test_replays(mock_program):
            assert mock_program("cat dog") == "cat|dog"

        @pytest.mark.modelize("shout")
        def test_refuses_what_it_cannot_answer(mock_program):
            # Uncovered (digits were never seen): without the program, the default is to refuse.
            with pytest.raises(UncertainPrediction, match="absent"):
                mock_program("cat 42")

        @pytest.mark.modelize("shout")
        def test_real_program_is_absent(real_program, mock_program):
            pass
        """
    )
    result = pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", "-rs")
    result.assert_outcomes(passed=2, skipped=1)  # what needs the program cannot run here: not a regression
    result.stdout.fnmatch_lines(["*shout (forward): program absent: replaying the model trained on 1.0*",
                                 "*refused 1*",
                                 "*this test runs the real program of 'shout' (real_program), which is not installed "
                                 "here (1.0 is declared)*"])


def test_absent_program_without_a_model_says_nothing_replayed(pytester, tmp_path):
    _absent_conftest(pytester, "None")
    pytester.makepyfile(test_it=USES_THE_MODEL)
    result = pytester.runpytest(f"--modelizer-cache-dir={tmp_path / 'empty'}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*shout (forward): program absent, and no model of it is here*"])
    assert "replaying" not in result.stdout.str()


def test_drift_is_an_error_naming_both_versions_unless_accepted(pytester, toy_cache):
    _absent_conftest(pytester, "'9.9'")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.modelize("shout")
        def test_it(mock_program):
            assert mock_program("cat dog") == "cat|dog"
        """
    )
    result = pytester.runpytest(f"--modelizer-cache-dir={toy_cache}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*installed program is 9.9, its models are trained on 1.0*--modelizer-accept-drift*"])
    result = pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", "--modelizer-accept-drift")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*program drift: 9.9 installed, models trained on 1.0*"])


def test_another_version_installed_records_nothing_under_the_declared_one(pytester, toy_cache):
    _absent_conftest(pytester, "'9.9'")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.modelize("shout")
        def test_it(mock_program):
            assert mock_program("cat 42")  # digits: the model has no answer; on_uncertain=real asks 9.9
        """
    )
    result = pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", "--modelizer-mode", "record")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*mode 'record' stamps each answer with the program version 'shout' declares "
                                 "(1.0), and 9.9 is installed here*program_version='9.9'*"])
    result = pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", "--modelizer-accept-drift")
    result.assert_outcomes(failed=1)  # the program raises ValueError on digits: asked, and not recorded
    assert not (pytester.path / "__modelizer_recordings__").exists()


@pytest.mark.parametrize("mode", ["verify", "record", "real"])
def test_a_mode_that_runs_the_program_errors_at_setup_where_it_is_absent(pytester, toy_cache, mode):
    _absent_conftest(pytester, "None")
    pytester.makepyfile(USES_THE_MODEL)
    result = pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", "--modelizer-mode", mode)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*'shout' needs its real program in mode '{mode}', and it is not installed here*"])


def test_training_refuses_an_absent_program(pytester, tmp_path):
    _absent_conftest(pytester, "None")
    pytester.makepyfile(USES_THE_MODEL)
    result = pytester.runpytest(f"--modelizer-cache-dir={tmp_path}", "--modelizer-train")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*cannot train the forward model of 'shout': its program is not installed here*"])


EDITED_CONFTEST = """
import sys
sys.path.insert(0, {tests!r})
import toy

def shout(text):
    return toy.shout(text){suffix}

def pytest_modelizer_subjects(config):
    return [toy.make_subject(program=shout, training=toy.QUICK_TRAINING)]
"""


def test_an_edited_callable_is_drift_until_retrained(pytester, tmp_path):
    """The key names a callable by its name; its source, stored with the model, catches an edit."""
    def conftest(suffix: str) -> None:
        pytester.makeconftest(EDITED_CONFTEST.format(tests=str(toy.TESTS_DIR), suffix=suffix))

    conftest("")
    pytester.makeini("[pytest]\nmodelizer_min_exact = 0\n")  # a quick model: accuracy is not the point
    pytester.makepyfile(USES_THE_MODEL)
    cache = f"--modelizer-cache-dir={tmp_path}"
    pytester.runpytest_subprocess(cache, "--modelizer-train").assert_outcomes(passed=1)
    pytester.runpytest_subprocess(cache).assert_outcomes(passed=1)
    conftest(".upper()")
    result = pytester.runpytest_subprocess(cache)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*program of 'shout' (shout) was edited since its forward model*--modelizer-train*"])
    result = pytester.runpytest_subprocess(cache, "--modelizer-accept-drift")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["shout (forward): program edited since this model was trained*"])  # not forgotten
    pytester.runpytest_subprocess(cache, "--modelizer-train").assert_outcomes(passed=1)  # retrains under the same key
    pytester.runpytest_subprocess(cache).assert_outcomes(passed=1)


def test_a_missing_model_where_the_program_is_absent_says_to_train_where_it_is_installed(pytester, tmp_path):
    _absent_conftest(pytester, "None")
    pytester.makepyfile(USES_THE_MODEL)
    result = pytester.runpytest(f"--modelizer-cache-dir={tmp_path / 'empty'}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*Fix: pytest --modelizer-train*where shout's program is installed (1.0), then commit "
                                 "the model*here it is absent*cache dir may be the wrong one*"])
