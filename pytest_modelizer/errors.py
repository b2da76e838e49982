"""The exceptions a test may see from a served program, and how a failure becomes one.

Cheap to import (no torch, no lark): `from pytest_modelizer import PredictedFailure, ...`.
"""
from __future__ import annotations

import builtins
import importlib
from typing import TYPE_CHECKING, Callable

from pytest_modelizer.behaviour import Behaviour

if TYPE_CHECKING:
    from pytest_modelizer.subject import Subject


class ProgramFailure(Exception):
    """The program failed on this input (in `real`, `record` or `verify` mode, or a fallback call).

    Raised as a subclass that is also the program's own exception type where it resolves (a
    builtin such as `ValueError`, or one the subject names in `exception_types`), so that the
    application's `except ValueError:` handles it as it would the real failure.
    """

    predicted = False

    def __init__(self, subject: str, behaviour: Behaviour) -> None:
        verb = "the model of {!r} predicts the program fails" if self.predicted else "the program of {!r} failed"
        detail = f": {behaviour.message}" if behaviour.message else ""
        # Exception.__init__ directly: the program's type may want other arguments (UnicodeDecodeError, ...).
        Exception.__init__(self, f"{verb.format(subject)} with {behaviour.failure}{detail}")
        self.subject = subject
        self.behaviour = behaviour

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class PredictedFailure(ProgramFailure):
    """The model predicts that the real program fails on this input (`.behaviour.failure` is the kind)."""

    predicted = True


class ModelizerRefusal(BaseException):
    """The mock does not answer this call: the base of `UncertainPrediction` and `UncoveredInputError`.

    Not an `Exception`, as pytest's own `pytest.fail` is not: an application's `except ValueError:`
    or `except Exception:` around the call must not take the mock's refusal for the program's own
    failure and go on with a wrong result (skip the input, return a default). The refusal reaches
    the test, which fails with the reason; `pytest.raises(UncertainPrediction)` still catches it.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UncoveredInputError(ModelizerRefusal):
    """The model cannot represent this input (a token it never saw, or too long).

    `why` is "unseen tokens", "too long" or "untokenizable"; `unseen` holds the tokens never seen.
    """

    def __init__(self, message: str, why: str = "", unseen: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.why, self.unseen = why, unseen


class UncertainPrediction(ModelizerRefusal):
    """The model's answer is below its calibrated confidence threshold (or the input is uncovered),
    and `on_uncertain="error"` (the default where the program is absent) refuses to serve it."""


_CLASSES: dict[tuple[type, type], type] = {}


def resolve_exception_type(subject: "Subject", kind: str | None) -> type[BaseException] | None:
    """The program's exception class for a failure kind: the subject's `exception_types`, else a builtin."""
    if not kind:
        return None
    kind = kind.split(":", 1)[0].strip()  # a failure-aspect kind is "Type: message class"
    named = dict(subject.exception_types).get(kind)
    if isinstance(named, str):
        module, _, attr = named.rpartition(".")
        try:
            named = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):  # the program is absent: its types are too
            named = None
    if named is None:
        named = getattr(builtins, kind, None)
    if isinstance(named, type) and issubclass(named, Exception) and not issubclass(named, ProgramFailure):
        return named
    return None


def failure_exception(subject: "Subject", behaviour: Behaviour, predicted: bool) -> ProgramFailure:
    """The exception that stands for `behaviour`'s failure: ours, and the program's type where known."""
    base = PredictedFailure if predicted else ProgramFailure
    program_type = resolve_exception_type(subject, behaviour.failure)
    cls: type = base
    if program_type is not None:
        cls = _CLASSES.get((base, program_type))
        if cls is None:
            try:
                cls = type(f"{'Predicted' if predicted else 'Program'}{program_type.__name__}", (base, program_type),
                           {"__module__": __name__})
            except TypeError:  # incompatible layouts: ours alone still says what failed
                cls = base
            _CLASSES[(base, program_type)] = cls
    return cls(subject.name, behaviour)


def did_you_mean(name: str, choices, cutoff: float = 0.6, shown: "Callable[[str], str]" = str) -> str:
    """" (did you mean 'X'?)" for the choice closest to a mistyped `name`, or "" where none is close."""
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=cutoff)
    return f" (did you mean {shown(close[0])!r}?)" if close else ""
