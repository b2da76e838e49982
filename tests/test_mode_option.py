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
    assert _recordings(toy_pytester) == [
        {"input": "cat !dog", "output": "cat|<b>dog</b>", "program_version": "1.0"},
        {"input": "owl bee", "output": "owl|bee", "program_version": "1.0"},
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


def test_a_corrupt_recording_file_names_the_file_the_line_and_the_fix(toy_pytester, toy_cache):
    toy_pytester.makepyfile(TESTS)
    folder = toy_pytester.path / "__modelizer_recordings__"
    folder.mkdir()
    (folder / "shout.jsonl").write_text('{"input": "cat", "output": "cat", "program_version": "1.0"}\n{"input": \n')
    result = toy_pytester.runpytest(f"--modelizer-cache-dir={toy_cache}")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*shout.jsonl:2: corrupt recording*--modelizer-mode record*"])
    assert "INTERNALERROR" not in result.stdout.str()
