"""`--modelizer-mode mock|record|verify|real` (ini `modelizer_mode`) and the recordings it reads and writes."""
from __future__ import annotations

import json

import pytest

import toy

TESTS = """
import pytest

@pytest.mark.modelize("shout")
def test_a(mock_program):
    assert mock_program("cat !dog") == "cat|<b>dog</b>"

@pytest.mark.modelize("shout")
def test_b(mock_program):
    assert mock_program("owl bee") == "owl|bee"
"""


def _recordings(pytester) -> list[dict]:
    path = pytester.path / "__modelizer_recordings__" / "shout.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_record_writes_sorted_recordings_that_mock_replays_exactly(toy_pytester, toy_cache):
    toy_pytester.makepyfile(TESTS)
    result = toy_pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", "--modelizer-mode", "record")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*mode: record*", "*the program 2; refused 0*", "*recordings written: *shout.jsonl*"])
    source = toy.SUBJECT.source_fingerprint()  # the callable's own source: a recording made before an edit is drift
    assert _recordings(toy_pytester) == [
        {"input": "cat !dog", "output": "cat|<b>dog</b>", "program_version": "1.0", "program_source": source},
        {"input": "owl bee", "output": "owl|bee", "program_version": "1.0", "program_source": source},
    ]
    # A recording answers before the model: edit one, and mock mode serves the edit.
    path = toy_pytester.path / "__modelizer_recordings__" / "shout.jsonl"
    path.write_text(path.read_text().replace('"owl|bee"', '"recorded"'))
    toy_pytester.makepyfile(test_replay="""
        import pytest

        @pytest.mark.modelize("shout")
        def test_replay(mock_program):
            assert mock_program("owl bee") == "recorded"
        """)
    result = toy_pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", "test_replay.py")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*answered by the model 0, a recording 1, the program 0*"])


def test_record_under_xdist_merges_every_worker(toy_pytester, toy_cache):
    words = ["cat", "dog", "owl", "bee", "ant", "emu"]
    toy_pytester.makepyfile("""
        import pytest

        @pytest.mark.parametrize("word", %r)
        @pytest.mark.modelize("shout")
        def test_it(mock_program, word):
            assert mock_program(word + " !" + word) == word + "|<b>" + word + "</b>"
        """ % words)
    result = toy_pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", "--modelizer-mode", "record", "-n", "2")
    result.assert_outcomes(passed=6)
    assert sorted(r["input"] for r in _recordings(toy_pytester)) == sorted(f"{w} !{w}" for w in words)


def test_verify_reports_agreement_and_fails_on_a_disagreement(pytester, toy_cache):
    # The same model key (callables are keyed by name), but a program that now answers in capitals.
    pytester.makeconftest(toy.conftest_source(
        "toy.make_subject(program=shout)",
        extra="def shout(text):\n    return toy.shout(text).upper() if 'owl' in text else toy.shout(text)\n"))
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(TESTS.replace('== "owl|bee"', '== "OWL|BEE"'))
    result = pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", "--modelizer-mode", "verify")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*modelizer verify: the model and the real program disagree on 1 call(s):*",
        "*program: OWL|BEE*", "*model: owl|bee*",
        "*verify: model agreed on 1/2 (50.0%)*",
    ])


def test_verify_counts_the_calls_the_model_would_not_answer_apart(toy_pytester, toy_cache):
    # Mock mode would ask the program about "cat 42" (digits: never seen, no answer): no disagreement.
    toy_pytester.makepyfile("""
        import pytest

        @pytest.mark.modelize("shout")
        def test_it(mock_program):
            assert mock_program("cat !dog") == "cat|<b>dog</b>"
            with pytest.raises(ValueError):
                mock_program("cat 42")
        """)
    result = toy_pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", "--modelizer-mode", "verify")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*verify: model agreed on 1/1 (100.0%), and would not have answered 1 (unsure or "
                                 "uncovered: on_uncertain decides those)*"])


def test_real_never_loads_the_model(toy_pytester, tmp_path):
    toy_pytester.makepyfile(TESTS)
    result = toy_pytester.runpytest(f"--modelizer-cache-dir={tmp_path / 'empty'}", "--modelizer-mode", "real")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*the program 2; refused 0*"])
    assert not (tmp_path / "empty" / "shout").exists()


def test_ini_sets_the_mode_and_a_bad_one_is_a_usage_error(toy_pytester, tmp_path):
    toy_pytester.makepyfile(TESTS)
    toy_pytester.makeini("[pytest]\nmodelizer_mode = real\n")
    toy_pytester.runpytest(f"--modelizer-cache-dir={tmp_path}").assert_outcomes(passed=2)
    toy_pytester.makeini("[pytest]\nmodelizer_mode = replay\n")
    result = toy_pytester.runpytest(f"--modelizer-cache-dir={tmp_path}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*modelizer_mode = 'replay' is not valid*"])


@pytest.mark.parametrize("mode", ["mock", "record", "verify"])
def test_a_corrupt_recording_file_errors_the_tests_naming_the_file_the_line_and_the_fix(toy_pytester, toy_cache, mode):
    toy_pytester.makepyfile(TESTS)
    folder = toy_pytester.path / "__modelizer_recordings__"
    folder.mkdir()
    corrupt = '{"input": "cat", "output": "cat", "program_version": "1.0"}\n{"input": \n'
    (folder / "shout.jsonl").write_text(corrupt)
    result = toy_pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", "--modelizer-mode", mode)
    # At setup, before any call: an application's `except ValueError:` never sees it, and a record
    # run that cannot write its recordings is red, not green.
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*shout.jsonl:2: corrupt recording*Fix or delete that line*"])
    assert "recordings.py" not in result.stdout.str()  # the message, not our traceback
    assert "INTERNALERROR" not in result.stdout.str()
    assert (folder / "shout.jsonl").read_text() == corrupt


def test_a_record_run_that_cannot_write_its_recordings_fails(toy_pytester, toy_cache):
    toy_pytester.makepyfile(TESTS)
    conftest = toy_pytester.path / "conftest.py"
    conftest.write_text(conftest.read_text() + (
        "\nimport pytest_modelizer.recordings as _recordings\n\n"
        "def _full_disk(path, recordings):\n    raise OSError(28, 'No space left on device')\n\n"
        "_recordings.write_recordings = _full_disk\n"))
    result = toy_pytester.runpytest_subprocess(f"--modelizer-cache-dir={toy_cache}", "--modelizer-mode", "record")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*recordings NOT written: *No space left on device*"])


def test_a_recording_made_before_the_callable_was_edited_is_drift(pytester, toy_cache):
    def conftest(comment: str) -> str:
        return toy.conftest_source("toy.make_subject(program=shout)",
                                   extra=f"def shout(text):\n    {comment}\n    return toy.shout(text)\n")

    pytester.makeconftest(conftest("# first"))
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(TESTS)
    pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", "--modelizer-mode", "record").assert_outcomes(passed=2)
    assert all(r["program_source"] for r in _recordings(pytester))
    result = pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", "--modelizer-mode", "verify")
    assert "recordings made by another program version" not in result.stdout.str()
    pytester.makeconftest(conftest("# edited"))  # the same name and declared version, another function
    result = pytester.runpytest(f"--modelizer-cache-dir={toy_cache}", "--modelizer-mode", "verify")
    result.stdout.fnmatch_lines(["*; 2 recordings made by another program version (drift)*"])


def test_a_recording_is_made_by_its_version_and_callable_source():
    from pytest_modelizer.behaviour import Behaviour
    from pytest_modelizer.recordings import Recording

    made = Recording("cat", Behaviour.success("cat"), "1.0", "abc")
    assert made.made_by("1.0", "abc") and not made.made_by("1.0", "def") and not made.made_by("2.0", "abc")
    assert Recording("cat", Behaviour.success("cat"), "1.0").made_by("1.0", "def")  # recorded before sources were kept
    assert made.made_by("1.0", None)  # a command: its version alone
