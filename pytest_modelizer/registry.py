"""Where subjects come from: the `pytest_modelizer.subjects` entry points and conftest hooks."""
from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Iterable

from pytest_modelizer.errors import did_you_mean
from pytest_modelizer.subject import Subject
from pytest_modelizer.validate import SubjectError, validate_subject

ENTRY_POINT_GROUP = "pytest_modelizer.subjects"


class ConftestError(LookupError):
    """A file that should declare subjects cannot be imported; the message names it and the error."""


class UnknownSubjectError(LookupError):
    """No subject has this name; the message lists the known ones."""


@dataclass
class SubjectRegistry:
    """Subjects by name; entry-point subjects load only when first asked for."""

    declared: dict[str, Subject] = field(default_factory=dict)
    _entry_points: dict = field(default_factory=dict)
    # Declared subjects that are not valid, and why: only the tests that use one error (the others
    # run), and `modelizer subjects` lists it with the reason.
    invalid: dict[str, str] = field(default_factory=dict)

    @classmethod
    def discover(cls, declared: Iterable[Subject] = ()) -> "SubjectRegistry":
        registry = cls()
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            registry._entry_points.setdefault(ep.name, ep)
        for subject in declared:
            registry.add(subject)
        return registry

    def add(self, subject: Subject) -> None:
        """Declare `subject`, validated (SubjectError) without building its lexers: that would load lark."""
        if not isinstance(subject, Subject):
            raise TypeError(f"expected a pytest_modelizer.Subject, got {subject!r}")
        if subject.name in self.declared and self.declared[subject.name] is not subject:
            raise ValueError(f"two subjects are named {subject.name!r}; subject names must be unique")
        if self.declared.get(subject.name) is not subject:
            try:
                validate_subject(subject, lexers=False)
            except SubjectError as exc:
                self.invalid[subject.name] = str(exc)
                return
        self.declared[subject.name] = subject

    def names(self) -> list[str]:
        return sorted(set(self.declared) | set(self._entry_points) | set(self.invalid))

    def get(self, name: str) -> Subject:
        """The subject named `name`: UnknownSubjectError if none is, SubjectError if it is not valid."""
        if name in self.declared:
            return self.declared[name]
        if name in self.invalid:
            raise SubjectError(self.invalid[name])
        ep = self._entry_points.get(name)
        if ep is None:
            known = ", ".join(self.names()) or "none"
            meant = did_you_mean(name, self.names())
            raise UnknownSubjectError(
                f"unknown subject {name!r}{meant}; known subjects: {known}. Declare it in a conftest.py hook "
                f"`pytest_modelizer_subjects(config)` or an entry point in the {ENTRY_POINT_GROUP!r} group"
            )
        loaded = ep.load()
        subject = loaded() if callable(loaded) and not isinstance(loaded, Subject) else loaded
        if not isinstance(subject, Subject) or subject.name != name:
            raise TypeError(f"entry point {ep.value!r} must give a Subject named {name!r}, got {subject!r}")
        self.add(subject)
        return subject


def subjects_from_file(path: Path) -> list[Subject]:
    """Subjects declared by `pytest_modelizer_subjects` in a Python file (e.g. a conftest.py).

    The file's folder goes first on `sys.path`, as pytest puts a conftest's folder there, so that
    its imports of the project's own modules work the same.
    """
    path = Path(path).resolve()
    spec = importlib.util.spec_from_file_location(f"_modelizer_conftest_{abs(hash(str(path)))}", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise FileNotFoundError(f"cannot import {path}: no such Python file")
    module = importlib.util.module_from_spec(spec)
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's file: name it and its error, not a traceback of ours
        raise ConftestError(f"{path} cannot be imported ({type(exc).__name__}: {exc}); fix the file, "
                            "or name the one that declares your subjects with --conftest") from exc
    hook = getattr(module, "pytest_modelizer_subjects", None)
    if hook is None:
        raise LookupError(f"{path} defines no pytest_modelizer_subjects(config) hook")
    try:
        return list(hook(config=None) or [])
    except Exception as exc:
        raise ConftestError(f"the pytest_modelizer_subjects hook of {path} raised {type(exc).__name__}: {exc} "
                            "(outside a test run it is called with config=None)") from exc
