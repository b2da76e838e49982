"""`@pytest.mark.modelize(..., binary="NAME")`: the model answers an application that runs a command.

The subject here is `shout` as a command, `shout -I -S -c CODE` (input on stdin), where the real
`shout` is a script that starts Python: present on PATH only where a test puts it there. Its
model is trained quickly (accuracy is irrelevant: the tests compare with `mock_program`'s answer,
or use the program, recordings and refusals, which do not depend on the model).
"""
from __future__ import annotations

import inspect
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import toy
from pytest_modelizer.behaviour import Behaviour
from pytest_modelizer.binary import EXIT_REFUSED, StandIn, exit_code, script_source
from pytest_modelizer.errors import PredictedFailure, ProgramFailure, UncertainPrediction, UncoveredInputError
from pytest_modelizer.spec import ModelSpec
from pytest_modelizer.store import ModelError

CODE = "import sys\n" + inspect.getsource(toy.shout) + (
    "try:\n    sys.stdout.write(shout(sys.stdin.read()))\n"
    "except ValueError as exc:\n    sys.stderr.write(str(exc))\n    sys.exit(4)\n"
)
ARGS = ["-I", "-S", "-c", CODE]
SUBJECT = toy.make_subject(name="shout-cmd", program=("shout", *ARGS), training=toy.QUICK_TRAINING)

CONFTEST = toy.conftest_source(
    "toy.SUBJECT, SHOUT_CMD",
    extra=f"ARGS = {ARGS!r}\nSHOUT_CMD = toy.make_subject(name='shout-cmd', program=('shout', *ARGS), "
          f"training=toy.QUICK_TRAINING)\n",
)
APP = f'''
import os
import subprocess

ARGS = {ARGS!r}


def shout(text, *args):
    """Runs `shout` (or $SHOUT_BIN) as the application would."""
    command = [os.environ.get("SHOUT_BIN", "shout"), *(args or ARGS)]
    return subprocess.run(command, input=text, capture_output=True, text=True, timeout=60)
'''


@pytest.fixture(scope="session")
def real_shout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the real `shout`: a script that runs this Python with its arguments."""
    folder = tmp_path_factory.mktemp("real-shout")
    script = folder / "shout"
    script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
    script.chmod(0o755)
    return folder


@pytest.fixture(scope="session")
def shout_cache(tmp_path_factory: pytest.TempPathFactory, real_shout: Path) -> Path:
    """A model cache holding a (quickly trained) forward model of the `shout-cmd` command subject."""
    from pytest_modelizer.learn import learn
    from pytest_modelizer.store import ModelStore

    cache = tmp_path_factory.mktemp("shout-cmd-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", f"{real_shout}{os.pathsep}{os.environ['PATH']}")
        learn(ModelSpec(SUBJECT, "forward"), ModelStore(cache))
    return cache


@pytest.fixture
def shout_pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester declaring the toy subjects (callable `shout`, command `shout-cmd`), with the app module."""
    pytester.makeconftest(CONFTEST)
    pytester.makeini("[pytest]\nmodelizer_min_exact = 0\n")  # a quick model: its accuracy is not the point
    pytester.makepyfile(app=APP)
    return pytester


@pytest.fixture
def shout_installed(monkeypatch: pytest.MonkeyPatch, real_shout: Path) -> Path:
    """The real `shout` on PATH for the test (and the pytester runs inside it)."""
    monkeypatch.setenv("PATH", f"{real_shout}{os.pathsep}{os.environ['PATH']}")
    return real_shout / "shout"


def run(pytester: pytest.Pytester, cache: Path, *args: str) -> pytest.RunResult:
    return pytester.runpytest(f"--modelizer-cache-dir={cache}", *args)


def test_a_call_through_the_command_gets_the_models_answer(shout_pytester, shout_cache):
    path = os.environ["PATH"]
    shout_pytester.makepyfile(test_app="""
        import shutil
        import pytest
        import app

        @pytest.mark.modelize("shout-cmd", binary="shout", on_uncertain="accept")
        def test_it(mock_program, modelizer_binary):
            assert shutil.which("shout") == str(modelizer_binary)
            for text in ("cat !dog", "owl bee ant"):
                done = app.shout(text)
                assert (done.returncode, done.stdout, done.stderr) == (0, mock_program(text), "")
        """)
    result = run(shout_pytester, shout_cache)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*shout-cmd (forward) calls answered by the model 4, a recording 0, the program 0; refused 0*",
        "shout-cmd (forward): 2 calls through the `shout` binary",
    ])
    assert os.environ["PATH"] == path


def test_other_arguments_exit_2_where_no_real_binary_is_installed(shout_pytester, shout_cache):
    shout_pytester.makepyfile(test_app="""
        import pytest
        import app

        @pytest.mark.modelize("shout-cmd", binary="shout")
        def test_it():
            done = app.shout("cat", "--version")
            assert done.returncode == 2 and done.stdout == ""
            assert "stand-in for subject 'shout-cmd', which models only `shout -I -S -c " in done.stderr
            assert "(the input on stdin); it was run as `shout --version`, and no real `shout` is on PATH" in done.stderr
        """)
    result = run(shout_pytester, shout_cache)
    result.assert_outcomes(failed=1)  # after its asserts passed: the stand-in could not answer that call
    result.stdout.fnmatch_lines(["*the `shout` stand-in refused 1 call (the application saw exit status 2*",
                                 "shout-cmd (forward): 0 calls through the `shout` binary "
                                 "(1 more with other arguments, not modelled)"])


def test_other_arguments_run_the_real_binary_with_the_same_stdin(shout_pytester, shout_cache, shout_installed):
    shout_pytester.makepyfile(test_app="""
        import pytest
        import app

        @pytest.mark.modelize("shout-cmd", binary="shout")
        def test_it(modelizer_binary):
            done = app.shout("", "--version")
            assert done.returncode == 0 and done.stdout.startswith("Python 3")
            reverse = "import os, sys; print(sys.stdin.read()[::-1], str(%r) in os.environ['PATH'])" % str(modelizer_binary.parent)
            done = app.shout("abc", "-c", reverse)
            assert (done.returncode, done.stdout) == (0, "cba False\\n")  # the stand-in's folder is off its PATH
        """)
    result = run(shout_pytester, shout_cache)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*: 0 calls through the `shout` binary (2 more with other arguments, not modelled)"])
    # It passed against the real program: the test says so, as patch= does for a target never called.
    result.stdout.fnmatch_lines(["*binary='shout': this test never reached the model: it ran `shout` 2 times with "
                                 "other arguments than `shout -I -S -c *` (the real one answered).*absolute path*"])


def test_failures_and_refusals_become_exit_codes_and_stderr(shout_pytester, shout_cache):
    folder = shout_pytester.path / "__modelizer_recordings__"
    folder.mkdir()
    (folder / "shout-cmd.jsonl").write_text(
        '{"input": "cat 7", "failure": "exit 4", "message": "numbers are not words", "program_version": "1.0"}\n'
        '{"input": "dog", "failure": "timeout", "message": "no answer within 5 s", "program_version": "1.0"}\n'
        '{"input": "owl", "failure": "exit -11", "message": "", "program_version": "1.0"}\n'
    )
    shout_pytester.makepyfile(test_app="""
        import pytest
        import app

        @pytest.mark.modelize("shout-cmd", binary="shout", on_uncertain="error")
        def test_recorded_failures():
            done = app.shout("cat 7")
            assert (done.returncode, done.stdout, done.stderr) == (4, "", "numbers are not words\\n")
            done = app.shout("dog")
            assert (done.returncode, done.stdout, done.stderr) == (1, "", "no answer within 5 s\\n")
            assert app.shout("owl").returncode == -11  # died of SIGSEGV, as the program did

        @pytest.mark.modelize("shout-cmd", binary="shout", on_uncertain="error")
        def test_uncovered_input_is_refused():
            done = app.shout("CAT")
            assert done.returncode == 3 and done.stdout == ""
            assert "cannot represent it" in done.stderr and "refuses to guess" in done.stderr

        @pytest.mark.modelize("shout-cmd", binary="shout")
        def test_a_model_error_errors_the_test_before_the_application_runs():
            app.shout("cat")  # mode record needs the real program, absent here
        """)
    result = run(shout_pytester, shout_cache, "-k", "not model_error")
    result.assert_outcomes(passed=1, failed=1)  # a refusal fails its test after the call, asserts or not
    result.stdout.fnmatch_lines(["*calls answered by the model 0, a recording 3, the program 0; refused 1*",
                                 "shout-cmd (forward): 4 calls through the `shout` binary"])
    result = run(shout_pytester, shout_cache, "-k", "model_error", "--modelizer-mode", "record")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*'shout-cmd' needs its real program in mode 'record'*"])


def test_a_refused_call_fails_the_test_even_where_the_application_took_it_for_a_failure(shout_pytester, shout_cache):
    # The application takes any non-zero status for bad input: the stand-in's refusal must not pass for that.
    shout_pytester.makepyfile(test_app="""
        import pytest
        import app

        @pytest.mark.modelize("shout-cmd", binary="shout", on_uncertain="error")
        def test_bad_input_is_rejected():
            assert app.shout("CAT").returncode != 0
        """)
    result = run(shout_pytester, shout_cache)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*modelizer: the `shout` stand-in refused 1 call (the application saw exit status 3, "
                                 "which it may have taken for the program's failure)*",
                                 "*- modelizer: the `shout` stand-in refused 1 call -*",
                                 "exit status 3: *cannot represent it*"])
    assert result.stdout.str().count("- modelizer: the `shout` stand-in refused") == 1


class FakeServed:
    """Answers "out", or raises `failure`: what a ServedProgram does, without a model."""

    subject, spec = SUBJECT, ModelSpec(SUBJECT, "forward")

    def __init__(self, failure: Exception | None) -> None:
        self.failure = failure

    def __call__(self, text: str) -> str:
        if self.failure is not None:
            raise self.failure
        return "out"


@pytest.mark.parametrize("failure, code, stderr", [
    (PredictedFailure("s", Behaviour.failed("exit 64", "bad flag")), 64, "bad flag\n"),
    (PredictedFailure("s", Behaviour.failed("exit 2: usage")), 2, "the model of 's' predicts the program fails with "
                                                                  "exit 2: usage\n"),
    (ProgramFailure("s", Behaviour.failed("exit -9", "")), 137, "the program of 's' failed with exit -9\n"),
    (ProgramFailure("s", Behaviour.failed("timeout", "no answer within 1 s")), 1, "no answer within 1 s\n"),
    (UncertainPrediction("unsure"), EXIT_REFUSED, "unsure\n"),
    (UncoveredInputError("uncovered"), EXIT_REFUSED, "uncovered\n"),
    (ModelError("no model"), EXIT_REFUSED, "no model\n"),
    (RuntimeError("boom"), EXIT_REFUSED, "modelizer: serving `shout` failed: RuntimeError: boom\n"),
    (None, 0, ""),
], ids=["exit-n", "failure-aspect-kind", "signal", "timeout", "uncertain", "uncovered", "model-error", "unexpected",
        "ok"])
def test_answers_map_to_exit_codes(failure, code, stderr):
    stand_in = StandIn(FakeServed(failure), "shout", {})
    answer = stand_in.answer("cat")
    assert answer.pop("signal", None) == (9 if code == 137 else None)  # the stand-in dies of it where it can
    assert answer == {"exit": code, "stdout": "out" if code == 0 else "", "stderr": stderr}
    assert stand_in.tally == {"served": 1, "other": 0}
    assert exit_code("exit 300") == 1 and exit_code("exit x") == 1 and exit_code(None) == 1


def test_a_subject_taking_its_input_as_last_argument_is_answered_without_stdin():
    served = FakeServed(None)
    served.subject = toy.make_subject(name="shout-arg", program=("shout", "--text"), stdin=False)
    stand_in = StandIn(served, "shout", {})
    assert stand_in.reply(["--text", "cat"]) == {"exit": 0, "stdout": "out", "stderr": ""}
    assert stand_in.reply(["--text"])["exit"] == 2  # no input: not the modelled call (and no real `shout`)
    assert "models only `shout --text` (the input as the last argument)" in stand_in.reply(["-x", "cat"])["stderr"]
    assert stand_in.tally == {"served": 1, "other": 2}


def test_path_and_variable_restored_and_folder_private_and_removed(shout_pytester, shout_cache):
    path = os.environ["PATH"]
    shout_pytester.makepyfile(test_app=f"""
        import os
        import stat
        import pytest
        import app

        FOLDERS = {str(shout_pytester.path / "folders.txt")!r}

        @pytest.mark.modelize("shout-cmd", binary="shout", binary_env="SHOUT_BIN", on_uncertain="accept")
        def test_env_form(modelizer_binary, mock_program):
            folder = modelizer_binary.parent
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
            assert stat.S_IMODE(modelizer_binary.stat().st_mode) == 0o700
            assert stat.S_ISSOCK((folder / ".modelizer.sock").stat().st_mode)
            assert os.environ["SHOUT_BIN"] == str(modelizer_binary)
            assert os.environ["PATH"].split(os.pathsep)[0] == str(folder)
            with open(FOLDERS, "a") as out:
                out.write(str(folder) + "\\n")
            os.environ["PATH"] = os.environ["PATH"].split(os.pathsep, 1)[1]  # found by the variable alone
            assert app.shout("emu").stdout == mock_program("emu")

        def test_after():
            assert "SHOUT_BIN" not in os.environ
            assert os.environ["PATH"] == {path!r}
            assert not any(os.path.exists(line) for line in open(FOLDERS).read().split())
        """)
    result = run(shout_pytester, shout_cache)
    result.assert_outcomes(passed=2)
    assert os.environ["PATH"] == path and "SHOUT_BIN" not in os.environ
    folders = (shout_pytester.path / "folders.txt").read_text().split()
    assert len(folders) == 1 and not Path(folders[0]).exists()


def test_under_xdist_each_worker_serves_its_tests_and_the_counts_merge(shout_pytester, shout_cache):
    words = ["cat", "dog", "owl", "bee"]
    shout_pytester.makepyfile(test_app="""
        import pytest
        import app

        @pytest.mark.parametrize("word", %r)
        @pytest.mark.modelize("shout-cmd", binary="shout", on_uncertain="accept")
        def test_it(mock_program, word):
            assert app.shout(word).stdout == mock_program(word)
        """ % words)
    result = run(shout_pytester, shout_cache, "-n", "2")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["shout-cmd (forward): 4 calls through the `shout` binary"])


def test_mode_real_answers_through_the_real_program(shout_pytester, shout_installed, tmp_path):
    shout_pytester.makepyfile(test_app="""
        import pytest
        import app

        @pytest.mark.modelize("shout-cmd", binary="shout")
        def test_it(real_program):
            assert app.shout("cat !dog").stdout == "cat|<b>dog</b>"
            done = app.shout("cat 7")
            assert (done.returncode, done.stderr) == (4, "numbers are not words\\n")
            assert real_program("owl").output == "owl"  # the real `shout`, not the stand-in
        """)
    # An empty cache: mode real never loads a model. The subject's program is `shout`, found on PATH:
    # the stand-in must not answer the plugin's own runs of it.
    result = run(shout_pytester, tmp_path / "empty", "--modelizer-mode", "real")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*calls answered by the model 0, a recording 0, the program 2; refused 0*",
                                 "shout-cmd (forward): 2 calls through the `shout` binary"])


def test_mode_record_then_mock_replays_the_recording_without_the_program(shout_pytester, shout_cache,
                                                                         monkeypatch, real_shout):
    shout_pytester.makepyfile(test_app="""
        import pytest
        import app

        @pytest.mark.modelize("shout-cmd", binary="shout", on_uncertain="error")
        def test_it():
            assert app.shout("owl !ant").stdout == "owl|<b>ant</b>"
        """)
    with monkeypatch.context() as mp:
        mp.setenv("PATH", f"{real_shout}{os.pathsep}{os.environ['PATH']}")
        run(shout_pytester, shout_cache, "--modelizer-mode", "record").assert_outcomes(passed=1)
    assert '"input": "owl !ant", "output": "owl|<b>ant</b>"' in (
        shout_pytester.path / "__modelizer_recordings__" / "shout-cmd.jsonl").read_text()
    result = run(shout_pytester, shout_cache)  # mock, the real `shout` gone: the recording answers
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*program absent*", "*a recording 1, the program 0*"])


def test_mode_verify_returns_the_programs_answer_and_checks_the_model(shout_pytester, shout_cache, shout_installed):
    shout_pytester.makepyfile(test_app="""
        import pytest
        import app

        @pytest.mark.modelize("shout-cmd", binary="shout")
        def test_it():
            assert app.shout("bee !emu").stdout == "bee|<b>emu</b>"
        """)
    result = run(shout_pytester, shout_cache, "--modelizer-mode", "verify")
    outcomes = result.parseoutcomes()
    agreed = outcomes.get("passed", 0)  # a quick model may disagree: then the test fails, after the call
    assert agreed + outcomes.get("failed", 0) == 1
    result.stdout.fnmatch_lines(["*the program 1; refused 0; verify: model agreed on *",
                                 "shout-cmd (forward): 1 call through the `shout` binary"])
    # ... or be unsure of its answer, which mock mode would not serve: not compared, the test passes.
    line = next(line for line in result.stdout.lines if "; verify: model agreed on" in line)
    assert f"agreed on {agreed}/1" in line or (agreed == 1 and "agreed on 0/0, and would not have answered 1" in line)


@pytest.mark.parametrize("marker, message", [
    ('"shout", binary="shout"', "*binary='shout' stands in for a command, and subject 'shout' is a Python callable*"
                                "patch='module.attr'*"),
    ('"shout-cmd", binary="bin/shout"', "*binary='bin/shout' must be a command name without a path*"),
    ('"shout-cmd", binary_env="SHOUT_BIN"', "*binary_env='SHOUT_BIN' names the variable*needs binary='NAME' too*"),
    ('"shout-cmd", binary="shout", direction="inverse"', "*needs direction='forward' and aspect='output'*"),
], ids=["callable", "path", "env-alone", "inverse"])
def test_bad_binary_markers_are_clear_errors(shout_pytester, tmp_path, marker, message):
    shout_pytester.makepyfile(test_app=f"""
        import pytest

        @pytest.mark.modelize({marker})
        def test_it():
            pass
        """)
    result = run(shout_pytester, tmp_path)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([message])


def test_modelizer_binary_needs_the_option(shout_pytester, tmp_path):
    shout_pytester.makepyfile(test_app="""
        import pytest

        @pytest.mark.modelize("shout-cmd")
        def test_it(modelizer_binary):
            pass
        """)
    result = run(shout_pytester, tmp_path, "--modelizer-mode", "real")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*modelizer_binary needs a command to stand in for*binary='NAME'*"])


@pytest.mark.parametrize("spaced", [False, True], ids=["shebang", "sh-wrapper"])
def test_the_script_runs_isolated_and_says_when_its_test_is_gone(tmp_path, spaced):
    python = sys.executable
    if spaced:  # a #! line cannot hold a space: the script starts Python through sh instead
        folder = tmp_path / "with space"
        folder.mkdir()
        (folder / "python").symlink_to(os.path.realpath(sys.executable))
        python = str(folder / "python")
    script = tmp_path / "shout"
    script.write_text(script_source(str(tmp_path / "gone.sock"), str(tmp_path), "shout", python=python))
    script.chmod(0o700)
    done = subprocess.run([str(script), "x"], input="cat", capture_output=True, text=True, timeout=30,
                          env={**os.environ, "PYTHONPATH": "/nonexistent"})
    assert done.returncode == EXIT_REFUSED
    assert "this `shout` is pytest-modelizer's stand-in; it answers only during the test that made it" in done.stderr
    assert "pytest_modelizer" not in script.read_text().split("\n", 2)[2]  # it never imports the plugin
    assert stat.S_IMODE(script.stat().st_mode) == 0o700


def test_a_killed_runs_stand_in_folder_is_removed_by_a_later_run(monkeypatch):
    import socket
    import tempfile
    import time

    from pytest_modelizer.binary import SOCKET_NAME, STALE_AFTER_S, remove_stale_folders

    base = Path(tempfile.mkdtemp(prefix="mt", dir="/tmp"))  # short: a socket path has a length limit
    monkeypatch.setattr(tempfile, "tempdir", str(base))

    def folder(name: str, age: float, served: bool) -> tuple[Path, socket.socket]:
        path = base / f"modelizer-{name}"
        path.mkdir()
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(path / SOCKET_NAME))
        if served:
            server.listen()
        else:
            server.close()  # the file stays, nobody answers: its run was killed
        os.utime(path, (time.time() - age, time.time() - age))
        return path, server

    try:
        killed, _ = folder("killed", STALE_AFTER_S + 60, served=False)
        running, server = folder("running", STALE_AFTER_S + 60, served=True)
        starting, _ = folder("starting", 1, served=False)
        other = base / "modelizer-no-socket"
        other.mkdir()
        assert killed in remove_stale_folders()  # (and any a killed run left in /tmp)
        assert not killed.exists() and running.exists() and starting.exists() and other.exists()
        server.close()
    finally:
        import shutil

        shutil.rmtree(base, ignore_errors=True)
