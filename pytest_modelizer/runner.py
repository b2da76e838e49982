"""Run a subject's real program in worker processes with a hard timeout per call."""
from __future__ import annotations

import atexit
import multiprocessing
import os
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


def _watch_parent(parent: int) -> None:
    """Exit this process as soon as `parent` is no longer its parent (killed, even with SIGKILL).

    A daemon thread, so it also ends a worker stuck in a long call. (Not PR_SET_PDEATHSIG: that
    fires when the *thread* that forked the worker ends, and workers are restarted from threads.)
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="modelizer-parent-watch", daemon=True).start()


def _call_worker(program: Callable[[str], str], conn, parent: int, parent_end=None) -> None:
    """Worker loop: receive an input, call the program, send back (behaviour json, seconds)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business.
    if parent_end is not None:
        # Forked with the parent's end of the pipe: close it, or the worker never sees EOF when the parent dies.
        parent_end.close()
    import faulthandler

    if faulthandler.is_enabled():
        # pytest enables it: a crashing program would dump a traceback on every call. A crash is behaviour.
        faulthandler.disable()
    _watch_parent(parent)
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

    def __init__(self, program: Callable[[str], str]) -> None:
        self.program = program
        self._start()

    def _start(self) -> None:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        ctx = multiprocessing.get_context(method)
        self.conn, child = ctx.Pipe()
        parent_end = self.conn if method == "fork" else None  # a spawned worker does not inherit it
        self.process = ctx.Process(target=_call_worker, args=(self.program, child, os.getpid(), parent_end),
                                   daemon=True)
        self.process.start()
        child.close()

    def run(self, text: str, timeout: float) -> Run:
        start = time.perf_counter()
        try:
            self.conn.send(text)
            if self.conn.poll(timeout):
                data, seconds = self.conn.recv()
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


def run_command(argv: Sequence[str], text: str, timeout: float, stdin: bool = True) -> Run:
    """Run a command once, in its own process group so a timeout kills all of it."""
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
        out, err = proc.communicate(text.encode() if stdin else None, timeout=timeout)
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
    _pool: list[_CallableWorker] = field(default_factory=list, init=False)

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
            self._pool.append(_CallableWorker(self.subject.program))  # type: ignore[arg-type]
        return self._pool[:n]

    def run(self, text: str) -> Run:
        return self.run_many([text])[0]

    def run_many(self, inputs: Iterable[str], progress: Callable[[int], None] | None = None) -> list[Run]:
        """Runs for `inputs`, in order; `progress(k)` is called as runs complete."""
        texts = list(inputs)
        results: list[Run | None] = [None] * len(texts)
        todo: "queue.Queue[int]" = queue.Queue()
        for i in range(len(texts)):
            todo.put(i)
        lock = threading.Lock()
        done = [0]
        timeout = self.subject.timeout
        n = max(1, min(self.workers, len(texts)))

        def serve(worker: _CallableWorker | None) -> None:
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                if worker is None:
                    results[i] = run_command(self.subject.program, texts[i], timeout, self.subject.stdin)  # type: ignore[arg-type]
                else:
                    results[i] = worker.run(texts[i], timeout)
                with lock:
                    done[0] += 1
                    if progress:
                        progress(done[0])

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

