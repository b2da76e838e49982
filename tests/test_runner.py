"""Running the real program: callables in worker processes, commands in process groups."""
from __future__ import annotations

import functools
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import toy
from pytest_modelizer import Behaviour
from pytest_modelizer.runner import ProgramRunner, run_command, run_program, start_method


def ansi_error(text: str) -> str:
    raise RuntimeError(f"\x1b[4mbad\x1b[0m   input at 0x7f3a2b1c {text}")


def moody(text: str) -> str:
    """Hangs on "hang", dies on "die", returns bytes on "bytes", else shouts."""
    if text == "hang":
        time.sleep(60)
    if text == "die":
        os._exit(3)
    if text == "bytes":
        return b"cat"  # type: ignore[return-value]
    return toy.shout(text)


def test_callable_success():
    assert run_program(toy.SUBJECT, "cat !dog") == Behaviour.success("cat|<b>dog</b>")


def test_exception_recorded_with_type_and_message():
    behaviour = run_program(toy.SUBJECT, "cat 42")
    assert behaviour == Behaviour.failed("ValueError", "numbers are not words")
    assert not behaviour.ok


def test_exception_message_is_cleaned():
    behaviour = run_program(toy.make_subject(program=ansi_error), "x")
    assert behaviour.failure == "RuntimeError"
    assert behaviour.message == "bad input at <...> x"


def test_timeout_kills_the_call_and_the_runner_keeps_working():
    with ProgramRunner(toy.make_subject(program=moody, timeout=0.5), workers=1) as runner:
        start = time.perf_counter()
        hung = runner.run("hang")
        assert time.perf_counter() - start < 5
        assert hung.behaviour.failure == "timeout"
        assert "0.5 s" in hung.behaviour.message
        assert runner.run("cat").behaviour == Behaviour.success("cat")


def test_progress_counts_the_calls_that_ran_out_of_time():
    # Each timeout costs a whole timeout: a slow synthesis should say that is why.
    heard: list[tuple[int, int]] = []
    with ProgramRunner(toy.make_subject(program=moody, timeout=0.5), workers=1) as runner:
        runner.run("cat")  # the worker is set up: the timeouts below are the calls'
        runs = runner.run_many(["cat", "hang", "dog", "hang"], progress=lambda k, timeouts: heard.append((k, timeouts)))
    assert [r.behaviour.failure for r in runs] == [None, "timeout", None, "timeout"]
    assert heard == [(1, 0), (2, 1), (3, 1), (4, 2)]


_SET_UP: list[bool] = []


def slow_setup(text: str) -> str:
    """Sets itself up in 0.6 s on its first call in a process (as py-asciimath builds its parser);
    then takes 0.8 s on "slow" and is `moody`."""
    if not _SET_UP:
        time.sleep(0.6)
        _SET_UP.append(True)
    if text == "slow":
        time.sleep(0.8)
    return moody(text)


def test_a_programs_setup_on_its_first_call_is_not_charged_to_a_call():
    with ProgramRunner(toy.make_subject(program=slow_setup, timeout=0.5), workers=1) as runner:
        runs = runner.run_many(["cat", "hang", "!dog", "die", "owl"])
        # The first call of a worker started again after the hang (or the crash) is timed alone:
        # the worker is set up on "cat" first.
        assert [r.behaviour.output or r.behaviour.failure for r in runs] == ["cat", "timeout", "<b>dog</b>", "crash", "owl"]
        assert runs[1].behaviour.message == "no answer within 0.5 s"
    with ProgramRunner(toy.make_subject(program=slow_setup, timeout=0.5), workers=1) as runner:
        # Answered within the first call's allowance, but slower than the timeout once set up.
        assert runner.run("slow").behaviour.failure == "timeout"
        assert runner.run("cat").behaviour == Behaviour.success("cat")


def test_dead_worker_is_a_crash_and_is_replaced():
    with ProgramRunner(toy.make_subject(program=moody), workers=1) as runner:
        died = runner.run("die").behaviour
        assert died.failure == "crash"
        assert "code 3" in died.message
        assert runner.run("!cat").behaviour == Behaviour.success("<b>cat</b>")


def test_non_str_result_is_bad_output():
    behaviour = run_program(toy.make_subject(program=moody), "bytes")
    assert behaviour.failure == "bad-output"
    assert "bytes" in behaviour.message


def test_run_many_keeps_input_order_across_workers():
    texts = ["cat", "hang", "!dog", "1", "die", "owl emu"]
    with ProgramRunner(toy.make_subject(program=moody, timeout=0.5), workers=2) as runner:
        runs = runner.run_many(texts)
    assert [r.behaviour.output or r.behaviour.failure for r in runs] == [
        "cat", "timeout", "<b>dog</b>", "ValueError", "crash", "owl|emu",
    ]


def command(argv, **changes):
    return toy.make_subject(program=list(argv), **changes)


def test_command_on_stdin():
    assert run_program(command(["tr", "a-z", "A-Z"]), "cat !dog") == Behaviour.success("CAT !DOG")


def test_command_with_input_as_argument():
    assert run_program(command(["printf", "[%s]"], stdin=False), "cat dog") == Behaviour.success("[cat dog]")


def test_command_nonzero_exit_keeps_stderr():
    behaviour = run_program(command(["sh", "-c", "echo 'it broke' >&2; exit 3"]), "x")
    assert behaviour.failure == "exit 3"
    assert behaviour.message == "it broke"


def test_command_that_cannot_start():
    behaviour = run_program(command(["/nonexistent/program"]), "x")
    assert behaviour.failure == "cannot-start"


def process_gone(pid: int) -> bool:
    """True when `pid` no longer runs (gone, or a zombie nobody reaped yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (process state)")
def test_command_timeout_kills_the_process_group(tmp_path):
    pidfile = tmp_path / "pid"
    subject = command(["sh", "-c", f"sleep 30 & echo $! > {pidfile}; sleep 30"], timeout=0.5)
    start = time.perf_counter()
    behaviour = run_program(subject, "x")
    assert time.perf_counter() - start < 10
    assert behaviour.failure == "timeout"
    pid = int(pidfile.read_text())
    deadline = time.time() + 5
    while not process_gone(pid) and time.time() < deadline:
        time.sleep(0.05)
    assert process_gone(pid), f"background child {pid} survived the timeout"


def test_a_commands_first_call_is_timed_without_its_load(tmp_path):
    # As a cold executable loads: the first run outlasts the timeout, and is asked again, loaded.
    marker = tmp_path / "loaded"
    subject = command(["sh", "-c", f"if [ -e {marker} ]; then echo ok; else touch {marker}; sleep 1; fi"],
                      timeout=0.5)
    with ProgramRunner(subject, workers=1) as runner:
        assert runner.run("x").behaviour.output == "ok\n"
        marker.unlink()
        assert runner.run("x").behaviour.failure == "timeout"  # once per runner: a real hang stays one


def test_every_call_started_while_a_command_loads_is_timed_without_the_load(tmp_path):
    # As pandoc's calls on two workers, both started before its cold binary has loaded: each
    # outlasts the timeout, and each is answered (asked again once loaded, within the timeout).
    marker = tmp_path / "loaded"
    subject = command(["sh", "-c", f"if [ -e {marker} ]; then echo ok; else sleep 1; touch {marker}; echo slow; fi"],
                      timeout=0.5)
    with ProgramRunner(subject, workers=2) as runner:
        assert [r.behaviour.output for r in runner.run_many(["x", "y", "z"])] == ["ok\n"] * 3


def test_command_undecodable_output_is_bad_output():
    argv = [sys.executable, "-c", "import sys; sys.stdout.buffer.write(b'caf\\xe9')"]
    behaviour = run_command(argv, "", timeout=30).behaviour
    assert behaviour.failure == "bad-output"
    assert "UTF-8" in behaviour.message


def _local_program():
    def echo(text: str) -> str:
        return text

    return echo


@pytest.mark.parametrize("program, method", [
    (toy.shout, "forkserver"),  # a module's function: the fork server's child imports it by name
    (functools.partial(toy.shout), "forkserver"),
    (lambda text: text, "fork"),
    (_local_program(), "fork"),  # a closure cannot be imported: forked, as before
])
def test_workers_start_without_forking_pytest_where_the_program_can_be_imported(program, method):
    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork server on this platform: workers are spawned")
    assert start_method(program) == method


THREADED_PARENT = """
import os, sys, threading, time
import toy
from pytest_modelizer.runner import ProgramRunner
from pytest_modelizer.synthesis import SynthesisPlan, synthesize

forks = []
real_fork = os.fork
os.fork = lambda: (forks.append(1), real_fork())[1]
threading.Thread(target=time.sleep, args=(30,), daemon=True).start()  # pytest's process has threads
with ProgramRunner(toy.SUBJECT, workers=2) as runner:
    assert runner.run("cat").behaviour.output == "cat"
inputs = synthesize(toy.GRAMMAR, SynthesisPlan(count=20, seed=1), workers=2)
print(len(forks), len(inputs))
"""


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here")
def test_program_workers_and_synthesis_never_fork_the_threaded_parent():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(toy.TESTS_DIR), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", THREADED_PARENT], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    forks, inputs = map(int, done.stdout.split())
    assert forks == 0 and inputs == 20
