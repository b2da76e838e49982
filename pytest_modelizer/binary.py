"""`binary="NAME"`: a stand-in executable, first on PATH for one test, answered by the test's ServedProgram.

An application that runs a command (`subprocess.run(["pandoc", ...])`) reaches the model through
a tiny script called NAME in a private temporary folder (mode 0700) put first on `PATH`. The
script talks over a Unix socket in that folder to a server thread in the test process, which
answers through the test's `ServedProgram`, so modes, recordings, `on_uncertain` and the summary's
counts apply as they do to `mock_program`. No network port is opened, no model is loaded in the
script, and nobody but the folder's owner can reach the socket.

Protocol (length-prefixed JSON, a 4-byte big-endian length, then the message; bytes travel as
UTF-8 text, undecodable bytes as surrogate escapes):

1. script -> server `{"argv": [...]}` (its arguments, without argv[0])
2. server -> script, one of
   - `{"read": true}`: the arguments are the subject's and the input is on stdin: send it,
     `{"stdin": "..."}`, and get (3);
   - `{"exec": PATH}`: other arguments; exec the real binary found on PATH outside the folder
     (same arguments, stdin untouched);
   - (3) `{"exit": N, "stdout": "...", "stderr": "..."}`: write them and exit with N.

Exit codes: 0 with the output on stdout; a program failure (real, recorded or predicted) exits
with N for a failure kind `exit N` (-N, a signal, as 128+N), else 1, its message on stderr;
`EXIT_REFUSED` (3) when the model refuses (unsure, uncovered input, a model error) or the
script cannot reach its test; `EXIT_OTHER_ARGUMENTS` (2) for arguments the subject does not
model where no real binary is installed.
"""
from __future__ import annotations

import inspect
import os
import shlex
import shutil
import socketserver
import sys
import tempfile
import threading
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_modelizer.errors import ProgramFailure, UncertainPrediction, UncoveredInputError
from pytest_modelizer.marker import MarkerError
from pytest_modelizer.store import ModelError

if TYPE_CHECKING:
    from pytest_modelizer.marker import ModelizeSpec
    from pytest_modelizer.serve import ServedProgram
    from pytest_modelizer.subject import Subject

EXIT_OTHER_ARGUMENTS = 2
EXIT_REFUSED = 3
SOCKET_NAME = ".modelizer.sock"
# AF_UNIX paths are limited to 108 bytes (104 on macOS); beyond this, the folder goes to /tmp.
_SOCKET_PATH_LIMIT = 100


def check_subject(spec: "ModelizeSpec", subject: "Subject") -> None:
    """Refuse `binary=` where no stand-in can work: a callable subject, another query, no POSIX."""
    if spec.binary is None:
        return
    if not subject.is_command:
        raise MarkerError(
            f"modelize binary={spec.binary!r} stands in for a command, and subject {subject.name!r} is a Python "
            f"callable ({getattr(subject.program, '__qualname__', subject.program)!r}): use "
            f"patch='module.attr' to replace the function the application calls"
        )
    if spec.direction != "forward" or spec.aspect != "output":
        raise MarkerError(f"modelize binary={spec.binary!r} answers the program's own calls: it needs "
                          f"direction='forward' and aspect='output' (got {spec.direction!r}, {spec.aspect!r})")
    if os.name != "posix":
        raise MarkerError(f"modelize binary={spec.binary!r} needs a POSIX system (a Unix socket and a script "
                          f"with a #! line)")


def _exit_number(kind: str | None) -> int | None:
    """N of a failure kind `exit N` (negative: the program died of signal -N), else None."""
    head = (kind or "").split(":", 1)[0].strip()
    try:
        return int(head[5:]) if head.startswith("exit ") else None
    except ValueError:
        return None


def killing_signal(kind: str | None) -> int | None:
    """N for a failure kind `exit -N` (the program died of signal N), else None."""
    number = _exit_number(kind)
    return -number if number is not None and number < 0 else None


def exit_code(kind: str | None) -> int:
    """The exit status standing for a failure kind: N for `exit N` (a signal -N as 128+N, as a shell
    reports it), else 1. The stand-in dies of that signal itself (`killing_signal`) where it can."""
    number = _exit_number(kind)
    code = 128 - number if number is not None and number < 0 else number
    return code if code is not None and 0 < code < 256 else 1


# -- the wire, shared by the server and the script (whose source includes these functions) ---------
def _codec():
    """JSON's (dumps, loads), from its C accelerator where there is one: `import json` imports `re`
    and `import socket` imports `enum`, which would cost the script more than its interpreter's start."""
    try:
        import _json

        class Context:
            strict, object_hook, object_pairs_hook = True, None, None
            parse_float, parse_int, parse_constant = float, int, float

        scan = _json.make_scanner(Context())
        encode = _json.make_encoder(None, None, _json.encode_basestring_ascii, None, ":", ",", False, False, True)
    except (ImportError, AttributeError, TypeError):
        import json

        return json.dumps, json.loads
    return (lambda message: "".join(encode(message, 0))), (lambda text: scan(text, 0)[0])


_dumps, _loads = _codec()


def _send(conn, message):
    data = _dumps(message).encode()
    conn.sendall(len(data).to_bytes(4, "big") + data)


def _receive(conn):
    def exactly(n):
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise ConnectionError("the connection closed mid-message")
            data += chunk
        return data

    return _loads(exactly(int.from_bytes(exactly(4), "big")).decode())


def _script_main(socket_path, folder, name, refused):  # runs in the stand-in script, not in pytest
    import _socket
    import sys

    try:
        conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)  # not inherited by an exec'd binary
        conn.connect(socket_path)
        _send(conn, {"argv": sys.argv[1:]})
        reply = _receive(conn)
        if reply.get("read"):
            data = sys.stdin.buffer.read() if sys.stdin is not None else b""
            _send(conn, {"stdin": data.decode("utf-8", "surrogateescape")})
            reply = _receive(conn)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"modelizer: this `{name}` is pytest-modelizer's stand-in; it answers only during the "
                         f"test that made it, and cannot reach that test ({exc})\n")
        return refused
    if "exec" in reply:
        import os

        path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != folder)
        try:
            os.execve(reply["exec"], [reply["exec"], *sys.argv[1:]], {**os.environ, "PATH": path})
        except OSError as exc:
            sys.stderr.write(f"modelizer: the stand-in for `{name}` cannot run {reply['exec']}: {exc}\n")
            return 127
    sys.stdout.buffer.write(reply["stdout"].encode("utf-8", "surrogateescape"))
    sys.stderr.buffer.write(reply["stderr"].encode("utf-8", "surrogateescape"))
    if reply.get("signal"):  # the program died of it: so does its stand-in (returncode -N, as the program's)
        import os
        import signal

        sys.stdout.flush()
        sys.stderr.flush()
        try:
            signal.signal(reply["signal"], signal.SIG_DFL)
            os.kill(os.getpid(), reply["signal"])
        except (OSError, ValueError):
            pass  # a signal this system lacks: the shell's 128+N below
    return reply["exit"]


@lru_cache(maxsize=1)
def _script_functions() -> str:
    functions = "\n\n".join(inspect.getsource(f) for f in (_codec, _send, _receive, _script_main))
    return f"{functions}\n\n_dumps, _loads = _codec()\n"


def script_source(socket_path: str, folder: str, name: str, python: str | None = None) -> str:
    """The stand-in script: the interpreter isolated and without site (`-IS`: fast, never this plugin)."""
    python = python or sys.executable
    if len(python) <= 120 and not any(c.isspace() for c in python):
        head = f"#!{python} -IS\n"  # one argument: Linux passes the rest of a #! line as a single word
    else:  # a #! line cannot hold spaces or a long path: sh starts Python (this line is a string to Python)
        head = f"#!/bin/sh\n''''exec {shlex.quote(python)} -IS \"$0\" \"$@\" # '''\n"
    return (f"{head}# pytest-modelizer's stand-in for `{name}`: made for one test, removed after it.\n\n"
            f"{_script_functions()}\n\nimport sys\n\n"
            f"sys.exit(_script_main({socket_path!r}, {folder!r}, {name!r}, {EXIT_REFUSED}))\n")


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        stand_in: StandIn = self.server.stand_in  # type: ignore[attr-defined]
        try:
            reply = stand_in.reply(_receive(self.request)["argv"])
            if reply.get("read"):
                _send(self.request, reply)
                reply = stand_in.answer(_receive(self.request)["stdin"])
            _send(self.request, reply)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # the script went away mid-call (e.g. the application's timeout killed it): nobody to answer


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    block_on_close = False  # a script stuck mid-call must not hold up the test's teardown


STALE_AFTER_S = 600.0  # a folder this old whose socket nobody serves is a killed run's


def remove_stale_folders(now: float | None = None) -> list[Path]:
    """Remove the stand-in folders that killed runs left behind (a run killed with SIGKILL cannot).

    Only this user's `modelizer-*` folders holding a stand-in's socket, older than STALE_AFTER_S,
    whose socket no server answers: a running test's stand-in answers, and one being set up is young.
    """
    import socket
    import time

    now = time.time() if now is None else now
    removed = []
    for base in {Path(tempfile.gettempdir()), Path("/tmp")}:
        try:
            candidates = list(base.glob("modelizer-*"))
        except OSError:
            continue
        for folder in candidates:
            sock = folder / SOCKET_NAME
            try:
                info = folder.lstat()
                if (not folder.is_dir() or folder.is_symlink() or info.st_uid != os.getuid()
                        or now - info.st_mtime < STALE_AFTER_S or not sock.exists()):
                    continue
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                    probe.settimeout(1.0)
                    probe.connect(str(sock))
                continue  # served: a test of a running pytest
            except (ConnectionRefusedError, FileNotFoundError):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
            except OSError:
                continue
    return removed


@lru_cache(maxsize=1)
def _remove_stale_folders_once() -> None:
    """`remove_stale_folders`, at the first stand-in of a process (a killed run's folders do not come back)."""
    remove_stale_folders()


class StandIn:
    """One test's stand-in executable: its private folder, script and socket server.

    `calls` is the run's tally, `{"SUBJECT (forward)": {NAME: {"served": n, "other": m}}}`:
    served, the calls with the subject's arguments (answered through `served`); other, the calls
    with other arguments (run by the real binary or refused).
    """

    def __init__(self, served: "ServedProgram", name: str, calls: dict) -> None:
        self.served, self.name, self.subject = served, name, served.subject
        self.arguments = [str(a) for a in self.subject.program][1:]
        self.tally = calls.setdefault(str(served.spec), {}).setdefault(name, {"served": 0, "other": 0})
        self.lock = threading.Lock()  # one call at a time: the model and the counts are not thread-safe
        self.real = shutil.which(name)  # before PATH changes: the real binary, where one is installed
        # Why calls were refused: the application sees only an exit status (and perhaps swallows the
        # stderr), so a failing test's report shows these (plugin.pytest_runtest_makereport).
        self.refusals: list[tuple[int, str]] = []
        self.served_here = self.other_here = 0  # this test's calls, modelled and not
        self.folder: Path | None = None
        self._server: _Server | None = None

    @property
    def path(self) -> Path:
        assert self.folder is not None, "the stand-in is not started"
        return self.folder / self.name

    def start(self) -> None:
        _remove_stale_folders_once()
        folder = tempfile.mkdtemp(prefix="modelizer-")  # created 0700
        if len(os.path.join(folder, SOCKET_NAME)) > _SOCKET_PATH_LIMIT and os.path.isdir("/tmp"):
            os.rmdir(folder)
            folder = tempfile.mkdtemp(prefix="modelizer-", dir="/tmp")
        self.folder = Path(folder)
        os.chmod(self.folder, 0o700)
        socket_path = str(self.folder / SOCKET_NAME)
        self._server = _Server(socket_path, _Handler)
        self._server.stand_in = self  # type: ignore[attr-defined]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                         name=f"modelizer-binary-{self.name}").start()
        self.path.write_text(script_source(socket_path, str(self.folder), self.name))
        os.chmod(self.path, 0o700)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def install(self, mp) -> None:
        """Put the stand-in first on PATH (`mp`, a pytest.MonkeyPatch, restores it), and make sure the
        program's own runs reach the real binary rather than the stand-in."""
        mp.setenv("PATH", f"{self.folder}{os.pathsep}{os.environ.get('PATH', os.defpath)}")
        if self.unshadowed(self.subject) is not self.subject:
            runner = self.served.session.runner(self.subject)
            mp.setattr(runner, "subject", self.unshadowed(runner.subject))

    def unshadowed(self, subject: "Subject") -> "Subject":
        """`subject` with its program found past the stand-in, where it would find the stand-in on PATH."""
        program = [str(a) for a in subject.program]
        if program[0] != self.name:
            return subject
        real = self.real or f"{self.name}-not-installed-outside-the-modelizer-stand-in/{self.name}"
        return replace(subject, program=(real, *program[1:]))

    # -- the server's side of a call ---------------------------------------------------------------
    def reply(self, argv: list[str]) -> dict:
        if self.subject.stdin:
            modelled = argv == self.arguments
        else:
            modelled = len(argv) == len(self.arguments) + 1 and argv[:-1] == self.arguments
        if modelled:
            return {"read": True} if self.subject.stdin else self.answer(argv[-1])
        with self.lock:
            self.tally["other"] += 1
            self.other_here += 1
        if self.real:
            return {"exec": self.real}
        where = "on stdin" if self.subject.stdin else "as the last argument"
        return self._refuse(EXIT_OTHER_ARGUMENTS, (
            f"modelizer: this `{self.name}` is pytest-modelizer's stand-in for subject {self.subject.name!r}, "
            f"which models only `{shlex.join([self.name, *self.arguments])}` (the input {where}); it was run as "
            f"`{shlex.join([self.name, *argv])}`, and no real `{self.name}` is on PATH to run instead"))

    def answer(self, text: str) -> dict:
        """The served program's answer to `text`, as the script's exit status, stdout and stderr."""
        with self.lock:
            self.tally["served"] += 1
            self.served_here += 1
            try:
                text.encode()
            except UnicodeEncodeError:
                return self._refuse(EXIT_REFUSED, f"modelizer: the input of `{self.name}` is not UTF-8 text")
            try:
                return self._exit(0, stdout=self.served(text))
            except ProgramFailure as exc:
                answer = self._exit(exit_code(exc.behaviour.failure), stderr=exc.behaviour.message or str(exc))
                signal = killing_signal(exc.behaviour.failure)
                return {**answer, "signal": signal} if signal else answer
            except (UncertainPrediction, UncoveredInputError, ModelError) as exc:
                return self._refuse(EXIT_REFUSED, str(exc))
            except Exception as exc:  # noqa: BLE001 - the script must get an answer; the message says what broke
                return self._refuse(EXIT_REFUSED, f"modelizer: serving `{self.name}` failed: "
                                                  f"{type(exc).__name__}: {exc}")

    def _refuse(self, code: int, message: str) -> dict:
        self.refusals.append((code, message))
        return self._exit(code, stderr=message)

    def bypassed(self) -> str | None:
        """Why this test never reached the model through the stand-in (a warning), or None where it did."""
        if self.served_here:
            return None
        modelled = shlex.join([self.name, *self.arguments])
        modelled = modelled if len(modelled) <= 60 else modelled[:57].split("\n")[0] + "..."
        other = (f"it ran `{self.name}` {self.other_here} time{'s' * (self.other_here != 1)} with other arguments "
                 f"than `{modelled}` ({'the real one answered' if self.real else 'refused'})" if self.other_here
                 else f"nothing ran `{self.name}` through PATH")
        return (f"modelizer: binary={self.name!r}: this test never reached the model: {other}. An application that "
                f"runs it by an absolute path (such as {self.real or '/usr/bin/' + self.name}) or under another "
                f"name bypasses the stand-in, and the test ran against the real program, or none")

    def refusals_section(self) -> tuple[str, str] | None:
        """A report section (title, text) on the calls the stand-in refused, or None where it refused none."""
        if not self.refusals:
            return None
        count = len(self.refusals)
        listed = "\n".join(f"exit status {code}: {message}" for code, message in self.refusals[:5])
        more = f"\n(and {count - 5} more)" if count > 5 else ""
        return f"modelizer: the `{self.name}` stand-in refused {count} call{'s' * (count != 1)}", listed + more

    @staticmethod
    def _exit(code: int, stdout: str = "", stderr: str = "") -> dict:
        return {"exit": code, "stdout": stdout, "stderr": stderr if not stderr or stderr.endswith("\n") else stderr + "\n"}


def merge_calls(into: dict, other: dict) -> None:
    """Add another process's tally (a pytest-xdist worker's) to `into`."""
    for label, names in other.items():
        for name, tally in names.items():
            mine = into.setdefault(label, {}).setdefault(name, {"served": 0, "other": 0})
            for field, value in tally.items():
                mine[field] = mine.get(field, 0) + int(value)


def summary_lines(calls: dict) -> list[str]:
    """`SUBJECT (forward): N calls through the `NAME` binary`, per subject and name."""
    lines = []
    for label, names in sorted(calls.items()):
        for name, tally in sorted(names.items()):
            served = tally["served"]
            line = f"{label}: {served} call{'s' * (served != 1)} through the `{name}` binary"
            if tally.get("other"):
                line += f" ({tally['other']} more with other arguments, not modelled)"
            lines.append(line)
    return lines
