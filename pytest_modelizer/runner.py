"""Run a subject's real program in worker processes with a hard timeout per call."""
from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from pytest_modelizer.behaviour import Behaviour
from pytest_modelizer.subject import Subject

# Outputs beyond this are treated as a failure: a program that floods stdout is not mockable.
MAX_OUTPUT_CHARS = 1_000_000


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


def _call_worker(program: Callable[[str], str], conn) -> None:
    """Worker loop: receive an input, call the program, send back (behaviour json, seconds)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business.
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
        conn.send((behaviour.to_json(), time.perf_counter() - start))


class _CallableWorker:
    """One worker process running a Python callable; replaced when it hangs or dies."""

    def __init__(self, program: Callable[[str], str]) -> None:
        self.program = program
        self._start()

    def _start(self) -> None:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        ctx = multiprocessing.get_context(method)
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_call_worker, args=(self.program, child), daemon=True)
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
    try:
        out, err = proc.communicate(text.encode() if stdin else None, timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        return Run(Behaviour.failed("timeout", f"no answer within {timeout:g} s"), time.perf_counter() - start)
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

