"""Subjects: a program, its input grammar, its tokenizers and how to train a model of it."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, Union

from pytest_modelizer.behaviour import Behaviour
from pytest_modelizer.config import ModelConfig, TrainingConfig
from pytest_modelizer.samples import load_samples
from pytest_modelizer.tokenizer import LarkTokenizer

Program = Union[Callable[[str], str], Sequence[str]]
Grammar = Mapping[str, Sequence[Any]]

DIRECTIONS = ("forward", "inverse")
DEFAULT_TIMEOUT = 5.0  # seconds per program call
UNDECLARED_VERSION = "unknown"  # in model keys made without a declared version; kept so those keys stay valid


@dataclass(frozen=True)
class Subject:
    """A program under test: callable `str -> str` or argv command, plus what a model needs.

    `program` is either a callable taking the input text and returning the output text, or an
    argv list; a command gets the input on stdin (`stdin=True`) or as its last argument.
    `program_version` declares the version the models are trained on (e.g. "sqlglot==30.30.0"):
    it is part of the model key, so models replay where the program is not installed.
    `installed_version` probes the version installed here (`package_version`, `command_version`),
    or None where the program is absent; it only detects drift and is never part of the key.
    Without a probe, a command is present when its executable is found, a callable always.
    `version` is the version of this subject definition itself.
    """

    name: str
    program: Program
    grammar: Grammar
    input_tokenizer: LarkTokenizer
    output_tokenizer: LarkTokenizer
    program_version: str | Callable[[], str | None] = UNDECLARED_VERSION
    installed_version: Callable[[], str | None] | None = None
    version: str = "1"
    timeout: float = DEFAULT_TIMEOUT
    stdin: bool = True
    start_symbol: str = "<start>"
    training: TrainingConfig = field(default_factory=TrainingConfig)
    # Failure kinds that mean "input outside the program's language", reported apart.
    rejections: tuple[str, ...] = ()
    # The program's exception classes by failure kind (a class or "module.Class"), for kinds that are
    # not builtins: a predicted failure is raised as that type too, so the application's handlers catch it.
    exception_types: Mapping[str, Any] = field(default_factory=dict)
    # Where models shipped with the subject live (read-only; the cache dir is searched first).
    shipped_models: Path | None = None
    # Real inputs that steer synthesis (pytest_modelizer.samples): a path or glob of JSON-lines or text
    # files, a list of strings, or a callable returning them. Their text is part of the model key.
    samples: Any = None
    # Real-world evaluation inputs (JSON lines with an "input" key) by name; not in the model key.
    corpora: Mapping[str, Path] = field(default_factory=dict)
    description: str = ""
    # Labels a failure for the failure aspect and for cases ("Type: message class"); default:
    # `aspect.default_failure_kind` (numbers and quoted values dropped). Make it drop names too
    # where messages hold them unquoted, so that kinds do not split.
    failure_kind: Callable[[Behaviour], str] | None = None
    # Training of failure-aspect models (default: `failure_training_for(self.training)`).
    failure_training: TrainingConfig | None = None

    def __post_init__(self) -> None:
        if not self.name or any(c in self.name for c in "/\\ "):
            raise ValueError(f"Subject name {self.name!r} must be non-empty without spaces or slashes")
        if self.start_symbol not in self.grammar:
            raise ValueError(f"Subject {self.name!r}: grammar has no start symbol {self.start_symbol!r}")

    @property
    def is_command(self) -> bool:
        return not callable(self.program)

    def resolved_program_version(self) -> str:
        """The declared program version: the one in the model key.

        A callable `program_version` (the older form) is a probe: it declares whatever is installed,
        so such a subject's models do not replay where the program is absent.
        """
        version = self.program_version
        if not callable(version):
            return version
        probed = self.__dict__.get("_probed_version")
        if probed is None:  # a probe may run a command: once per subject
            probed = version() or "(program not installed)"
            object.__setattr__(self, "_probed_version", probed)  # a cache on a frozen dataclass
        return probed

    def loaded_samples(self) -> list[str]:
        """The declared samples, read once (they enter the key, which is computed often)."""
        cached = self.__dict__.get("_samples")
        if cached is None:
            cached = load_samples(self.samples)
            object.__setattr__(self, "_samples", cached)  # a cache on a frozen dataclass
        return cached

    def program_status(self) -> "ProgramStatus":
        """The declared version beside the installed one (None where the program is absent)."""
        declared = self.resolved_program_version()
        if self.installed_version is not None:
            installed = self.installed_version()
        elif callable(self.program_version):
            installed = None if declared == "(program not installed)" else declared
        elif self.is_command:
            executable = str(list(self.program)[0])
            found = shutil.which(executable) or (Path(executable).is_file() and os.access(executable, os.X_OK))
            installed = declared if found else None
        else:
            installed = declared
        return ProgramStatus(self.name, declared, installed)

    def program_name(self) -> str:
        """The program as the model key names it: a command's executable name and arguments, a callable's name.

        The executable by name only: its install path differs between machines and virtual
        environments, and would make shipped models stale everywhere else (the version is keyed).
        """
        if self.is_command:
            argv = [str(a) for a in self.program]
            return " ".join([Path(argv[0]).name, *argv[1:]])
        return getattr(self.program, "__qualname__", repr(self.program))

    def source_fingerprint(self) -> str | None:
        """A hash of a callable program's source text (None for a command, or where the source is unknown).

        Stored with each model and compared when it is loaded: an edited function is drift even
        though its name, and so the model key, stayed the same. Only the function's own source
        counts, not the code it calls (a library's version is the program version's business).
        """
        if self.is_command:
            return None
        import functools
        import inspect
        import textwrap

        program: Any = self.program
        while isinstance(program, functools.partial):
            program = program.func
        try:
            source = textwrap.dedent(inspect.getsource(getattr(program, "__func__", program)))
        except (OSError, TypeError):
            return None
        return hashlib.sha256(source.strip().encode()).hexdigest()[:16]

    def grammar_fingerprint(self) -> str:
        text = json.dumps(self.grammar, sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ProgramStatus:
    """A subject's program here: the version its models are keyed on, and the one installed."""

    subject: str
    declared: str
    installed: str | None

    @property
    def absent(self) -> bool:
        return self.installed is None

    @property
    def drift(self) -> bool:
        return self.installed is not None and self.installed != self.declared

    def describe(self, model_here: bool = True) -> str:
        """One line for a summary; `model_here`: whether a model of the subject is here to replay."""
        if self.absent and not model_here:
            return "program absent, and no model of it is here (recordings aside, nothing can answer its tests)"
        if self.absent and self.declared == UNDECLARED_VERSION:
            return ("program absent: replaying the model trained on an undeclared program version "
                    "(declare Subject(program_version=...) to have other versions detected as drift)")
        if self.absent:
            return f"program absent: replaying the model trained on {self.declared}"
        if self.drift:
            return f"program drift: {self.installed} installed, models trained on {self.declared}"
        return f"program {self.declared}"


def timeout_component(subject: "Subject") -> dict[str, str]:
    """The timeout, where it is not the default: it decides which inputs time out, and so the pairs.

    Absent for the default timeout, so keys made before it was keyed stay valid.
    """
    return {} if subject.timeout == DEFAULT_TIMEOUT else {"timeout": f"{subject.timeout:g} s"}


def failure_training_for(training: TrainingConfig) -> TrainingConfig:
    """Failure-aspect training: the same synthesized pairs (cached once), a smaller, shorter run."""
    # Not rotary: a failure model answers one label, with no span to copy, and the shipped ones predate it.
    model = ModelConfig(d_model=96, n_heads=4, enc_layers=2, dec_layers=2, d_ff=384, dropout=0.1,
                        max_len=training.model.max_len, rotary=False)
    return training.replace(model=model, max_epochs=min(training.max_epochs, 10), max_minutes=min(training.max_minutes, 6.0),
                            patience=4, placeholder_limit=0)


def package_version(distribution: str) -> Callable[[], str | None]:
    """An `installed_version` probe: "dist==X.Y" for the installed distribution, None when absent."""

    def version() -> str | None:
        from importlib.metadata import PackageNotFoundError, version as dist_version

        try:
            return f"{distribution}=={dist_version(distribution)}"
        except PackageNotFoundError:
            return None

    return version


def command_version(argv: Sequence[str], timeout: float = 10.0) -> Callable[[], str | None]:
    """An `installed_version` probe: the first line a command prints (e.g. `--version`), None when absent."""

    def version() -> str | None:
        try:
            done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired):
            return None
        lines = (done.stdout or done.stderr).strip().splitlines()
        return lines[0] if lines else f"{argv[0]} (no version output)"

    return version
