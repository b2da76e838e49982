"""Run a subject's real program in worker processes with a hard timeout per call."""
from __future__ import annotations

import atexit
import functools
import importlib.util
import multiprocessing
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from pytest_modelizer.behaviour import Behaviour
from pytest_modelizer.subject import Subject

# Outputs beyond this are treated as a failure: a program that floods stdout is not mockable.
MAX_OUTPUT_CHARS = 1_000_000
# How often a worker (and the command reaper) checks that the process that started it still lives.
PARENT_CHECK_S = 0.25
# How long a new worker may take to import the program, apart from the per-call timeout.
STARTUP_TIMEOUT_S = 60.0
# A program may set itself up on its first call rather than on import (py-asciimath builds its
# parser: 0.9 s on an idle machine of 2 cores, over 5 s beside a training) or load slowly (pandoc's
# 160 MB from a cold disk), which is no hang: a first call may take this many times the timeout
# (at most STARTUP_TIMEOUT_S).
FIRST_CALL_ALLOWANCE = 4
READY = "ready"


@dataclass
class Run:
    """A behaviour and how long the program itself took (seconds, without IPC)."""

    behaviour: Behaviour
    seconds: float


def _exception_behaviour(exc: BaseException) -> Behaviour:
    return Behaviour.failed(type(exc).__name__, str(exc))


def _output_behaviour(output: object) -> Behaviour:
    if not isinstance(output, str):
        return Behaviour.failed("bad-output", f"program returned {type(output).__name__}, not str")
    if len(output) > MAX_OUTPUT_CHARS:
        return Behaviour.failed("output-too-large", f"{len(output)} characters")
    return Behaviour.success(output)


def _process_gone(pid: int) -> bool:
    """Whether process `pid` has ended (a zombie has: only its exit status is left)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False


def _watch_parent(parent: int, forked: bool) -> None:
    """Exit this process as soon as `parent` is gone (killed, even with SIGKILL).

    A daemon thread, so it also ends a worker stuck in a long call. A forked worker sees its
    parent change. A worker from the fork server is the server's child, and the server lives as
    long as any of its children (each holds the server's lifeline), so it watches the pid of the
    process that asked for it. (Not PR_SET_PDEATHSIG: that fires when the *thread* that forked
    the worker ends, and workers are restarted from threads.)
    """

    def watch() -> None:
        if forked:
            while os.getppid() == parent:
                time.sleep(PARENT_CHECK_S)
        else:
            while not _process_gone(parent):
                time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="modelizer-parent-watch", daemon=True).start()


def start_method(program: object) -> str:
    """How to start a worker process for `program` without forking pytest's threads.

    pytest's process has threads by the time programs run (torch's pool, the runner's own), and
    forking a threaded process may deadlock the child (Python 3.12 warns on every such fork). A
    worker started from multiprocessing's fork server (or spawned, where there is no fork) is
    safe, but it must import the program by name: that holds for a function defined at the top of
    a module that the child finds on `sys.path` as the same file. Anything else (a lambda, a
    closure, a function of a module pytest imported under a name `sys.path` does not resolve) is
    forked as before.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" not in methods:
        return "spawn"
    if "forkserver" in methods and main_module_reimport_safe() and _importable_by_name(program):
        return "forkserver"
    return "fork"


@functools.lru_cache(maxsize=None)  # the main script does not change while it runs: read it once
def main_module_reimport_safe() -> bool:
    """Whether a child started by the fork server may import `__main__` again.

    It runs the main script once more (as multiprocessing does on every platform without fork):
    harmless for pytest and the `modelizer` command, whose entry scripts are guarded by
    `if __name__ == "__main__":`, but a user's script without that guard would run again in
    every worker.
    """
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if not path:
        return True
    try:
        with open(path, encoding="utf-8", errors="replace") as source:
            text = source.read()
    except OSError:
        return False
    return "__name__ == '__main__'" in text or '__name__ == "__main__"' in text


def _importable_by_name(program: object) -> bool:
    target = program.func if isinstance(program, functools.partial) else program
    module_name = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", "")
    if not module_name or module_name == "__main__" or "<" in qualname:
        return False
    module = sys.modules.get(module_name)
    try:
        spec = importlib.util.find_spec(module_name)
    except (ImportError, ValueError):
        return False
    origin, file = getattr(spec, "origin", None), getattr(module, "__file__", None)
    if not origin or not file or os.path.realpath(origin) != os.path.realpath(file):
        return False
    found: object = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if found is not target:
        return False
    try:
        pickle.dumps(program)
    except Exception:  # noqa: BLE001 - unpicklable arguments of a partial, ...
        return False
    return True


def _call_worker(program: Callable[[str], str], conn, parent: int, parent_end=None) -> None:
    """Worker loop: receive an input, call the program, send back (behaviour json, seconds)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business.
    forked = parent_end is not None
    if forked:
        # Forked with the parent's end of the pipe: close it, or the worker never sees EOF when the parent dies.
        parent_end.close()
    import faulthandler

    if faulthandler.is_enabled():
        # pytest enables it: a crashing program would dump a traceback on every call. A crash is behaviour.
        faulthandler.disable()
    _watch_parent(parent, forked)
    try:
        conn.send(READY)
    except OSError:
        return
    while True:
        try:
            text = conn.recv()
        except (EOFError, OSError):
            return
        start = time.perf_counter()
        try:
            behaviour = _output_behaviour(program(text))
        except RecursionError as exc:
            behaviour = _exception_behaviour(exc)
        except Exception as exc:  # noqa: BLE001 - every exception is behaviour to record
            behaviour = _exception_behaviour(exc)
        try:
            conn.send((behaviour.to_json(), time.perf_counter() - start))
        except OSError:  # the parent is gone, or gave up on this call
            return


class _CallableWorker:
    """One worker process running a Python callable; replaced when it hangs or dies."""

    def __init__(self, program: Callable[[str], str], own_interpreter: bool = False) -> None:
        self.program = program
        self.method = start_method(program)
        if own_interpreter and self.method == "forkserver":  # spawned: a hash seed of its own
            self.method = "spawn"
        # An input the program answered here within the timeout (whatever it answered): a worker
        # started again after a hang or a crash sets the program up on it before its next call.
        self.answered: str | None = None
        self._start()

    def _start(self) -> None:
        ctx = multiprocessing.get_context(self.method)
        self.set_up = False  # whether the program answered a call in this process
        self.conn, child = ctx.Pipe()
        forked = self.method == "fork"
        # Only a forked worker inherits the parent's end of the pipe.
        self.process = ctx.Process(target=_call_worker, daemon=True,
                                   args=(self.program, child, os.getpid(), self.conn if forked else None))
        self.process.start()
        child.close()
        # Wait until the worker has imported the program, so that its start is not charged to the
        # first call's timeout. One that cannot import it (a module that imports differently in a
        # fresh process) is forked instead.
        try:
            if self.conn.poll(STARTUP_TIMEOUT_S) and self.conn.recv() == READY:
                return
        except (EOFError, OSError):
            pass
        if self.method != "fork" and "fork" in multiprocessing.get_all_start_methods():
            self.close()
            self.method = "fork"
            self._start()

    def run(self, text: str, timeout: float) -> Run:
        """The program's behaviour on `text`, timed without the program's own setup (FIRST_CALL_ALLOWANCE).

        A process that has not answered yet is set up first: on an input it answered before the
        restart, or else on `text` itself, which is then run once more where that first call took
        longer than `timeout` (so the same input is not a timeout on one call and an answer on another).
        """
        if not self.set_up:
            allowance = min(STARTUP_TIMEOUT_S, FIRST_CALL_ALLOWANCE * timeout)
            if self.answered is None:
                first = self._call(text, timeout, allowance)
                if not self.set_up or first.seconds <= timeout:
                    return first
            else:
                self._call(self.answered, timeout, allowance)
        return self._call(text, timeout)

    def _call(self, text: str, timeout: float, limit: float | None = None) -> Run:
        """One call; the worker is started again where it does not answer within `limit` (the timeout) or dies."""
        start = time.perf_counter()
        try:
            self.conn.send(text)
            if self.conn.poll(timeout if limit is None else limit):
                data, seconds = self.conn.recv()
                self.set_up = True
                if seconds <= timeout:
                    self.answered = text
                return Run(Behaviour.from_json(data), seconds)
        except (EOFError, OSError, BrokenPipeError):
            self.process.join(1)
            code = self.process.exitcode
            self._restart()
            return Run(Behaviour.failed("crash", f"worker exited with code {code}"), time.perf_counter() - start)
        self._restart()
        return Run(Behaviour.failed("timeout", f"no answer within {timeout:g} s"), time.perf_counter() - start)

    def _restart(self) -> None:
        self.close()
        self._start()

    def close(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


# The reaper: a small process that kills the process groups of running commands once their
# parent is gone (SIGKILL included), since a command runs in a session of its own and would
# otherwise outlive it. It learns groups as "+PGID" / "-PGID" lines on its stdin and stops at
# EOF or when its parent changes.
_REAPER_SOURCE = """
import os, select, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
parent, interval = int(sys.argv[1]), float(sys.argv[2])
groups, buffer = set(), b""

def read(timeout):
    global buffer
    if not select.select([0], [], [], timeout)[0]:
        return True
    data = os.read(0, 65536)
    *lines, buffer = (buffer + data).split(b"\\n")
    for line in lines:
        (groups.add if line[:1] == b"+" else groups.discard)(int(line[1:]))
    return bool(data)

while os.getppid() == parent and read(interval):
    pass
while select.select([0], [], [], 0)[0] and read(0):  # what the parent wrote just before it died
    pass
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""


class _Reaper:
    """This process's reaper (started with its first command); registration is best effort."""

    _lock = threading.Lock()
    _process: "subprocess.Popen[bytes] | None" = None
    _owner = 0  # the pid that started it: a forked child must not write to its parent's reaper

    @classmethod
    def tell(cls, line: str) -> None:
        with cls._lock:
            if cls._process is None or cls._owner != os.getpid() or cls._process.poll() is not None:
                if line.startswith("-"):
                    return
                try:
                    cls._start()
                except (OSError, ValueError):  # no interpreter to start: commands run unguarded, as before
                    cls._process = None
                    return
            try:
                cls._process.stdin.write(f"{line}\n".encode())  # type: ignore[union-attr]
                cls._process.stdin.flush()  # type: ignore[union-attr]
            except (OSError, ValueError):
                cls._process = None

    @classmethod
    def _start(cls) -> None:
        cls._process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _REAPER_SOURCE, str(os.getpid()), str(PARENT_CHECK_S)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        if cls._owner == 0:
            atexit.register(cls.stop)
        cls._owner = os.getpid()

    @classmethod
    def stop(cls) -> None:
        """End the reaper (at exit: no command runs any more)."""
        with cls._lock:
            process, cls._process = cls._process, None
            if process is None or cls._owner != os.getpid():
                return
            try:
                process.stdin.close()  # type: ignore[union-attr]
                process.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()


def run_command(argv: Sequence[str], text: str, timeout: float, stdin: bool = True, limit: float | None = None) -> Run:
    """Run a command once, in its own process group so a timeout kills all of it (after `limit`
    seconds where given, but reported as the `timeout`)."""
    args = list(argv) if stdin else [*argv, text]
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        return Run(Behaviour.failed("cannot-start", f"{args[0]}: {exc}"), 0.0)
    _Reaper.tell(f"+{proc.pid}")  # its process group: killed by the reaper if this process dies first
    try:
        out, err = proc.communicate(text.encode() if stdin else None, timeout=timeout if limit is None else limit)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        return Run(Behaviour.failed("timeout", f"no answer within {timeout:g} s"), time.perf_counter() - start)
    finally:
        _Reaper.tell(f"-{proc.pid}")
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        return Run(Behaviour.failed(f"exit {proc.returncode}", err.decode(errors="replace")), seconds)
    try:
        output = out.decode()
    except UnicodeDecodeError as exc:
        return Run(Behaviour.failed("bad-output", f"not UTF-8: {exc.reason}"), seconds)
    return Run(_output_behaviour(output), seconds)


@dataclass
class ProgramRunner:
    """Runs a subject's program on many inputs across `workers` processes, in input order."""

    subject: Subject
    workers: int = field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    # Workers in interpreters of their own, each with its own hash seed, where the program can be
    # imported by name (else forked, sharing this process's): the fork server's children share the
    # server's seed, so a program whose answers follow set order answers alike in all of them.
    own_interpreters: bool = False
    _pool: list[_CallableWorker] = field(default_factory=list, init=False)
    _command_answered: bool = field(default=False, init=False)  # a command call answered within its limit
    _cold_calls: int = field(default=0, init=False)  # command calls given the first calls' allowance
    _cold_lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __enter__(self) -> "ProgramRunner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for worker in self._pool:
            worker.close()
        self._pool.clear()

    def _workers(self, n: int) -> list[_CallableWorker]:
        while len(self._pool) < n:
            self._pool.append(_CallableWorker(self.subject.program, self.own_interpreters))  # type: ignore[arg-type]
        return self._pool[:n]

    def run(self, text: str) -> Run:
        return self.run_many([text])[0]

    def _run_command(self, text: str, timeout: float) -> Run:
        """One run of a command, timed without loading it (as a callable's setup, FIRST_CALL_ALLOWANCE).

        Loading a large executable whose pages are not in memory (pandoc is 160 MB: after an
        install, or once the system has reclaimed them) can take longer than a call's timeout, for
        every call started before it is loaded (one per worker). Until a call has answered, the
        first `workers` calls may take FIRST_CALL_ALLOWANCE times the timeout; an answer slower
        than the timeout is asked again, loaded. A program that really hangs costs those calls
        the allowance rather than the timeout, once per runner.
        """
        def once(limit: float | None = None) -> Run:
            return run_command(self.subject.program, text, timeout, self.subject.stdin, limit)  # type: ignore[arg-type]

        with self._cold_lock:
            cold = not self._command_answered and self._cold_calls < self.workers
            self._cold_calls += cold
        if not cold:
            return once()
        allowance = min(STARTUP_TIMEOUT_S, FIRST_CALL_ALLOWANCE * timeout)
        run = once(allowance)
        if run.behaviour.failure != "timeout":
            self._command_answered = True
            if run.seconds > timeout:
                run = once()
        return run

    def run_many(self, inputs: Iterable[str], progress: Callable[[int, int], None] | None = None) -> list[Run]:
        """Runs for `inputs`, in order; `progress(k, timeouts)` is called as runs complete (timeouts: how
        many of the k ran out of time, each a full timeout long: what makes a run slow)."""
        texts = list(inputs)
        results: list[Run | None] = [None] * len(texts)
        todo: "queue.Queue[int]" = queue.Queue()
        for i in range(len(texts)):
            todo.put(i)
        lock = threading.Lock()
        done, timeouts = [0], [0]
        timeout = self.subject.timeout
        n = max(1, min(self.workers, len(texts)))

        def serve(worker: _CallableWorker | None) -> None:
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                if worker is None:
                    results[i] = self._run_command(texts[i], timeout)
                else:
                    results[i] = worker.run(texts[i], timeout)
                with lock:
                    done[0] += 1
                    timeouts[0] += results[i].behaviour.failure == "timeout"
                    if progress:
                        progress(done[0], timeouts[0])

        pool: list[_CallableWorker | None] = [None] * n if self.subject.is_command else list(self._workers(n))
        threads = [threading.Thread(target=serve, args=(w,), daemon=True) for w in pool]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return [r for r in results if r is not None]


def run_program(subject: Subject, text: str) -> Behaviour:
    """The behaviour of the real program on one input (fresh worker, hard timeout)."""
    with ProgramRunner(subject, workers=1) as runner:
        return runner.run(text).behaviour

