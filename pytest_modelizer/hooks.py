"""Hook specifications that conftest files and plugins implement to declare subjects."""
from __future__ import annotations


def pytest_modelizer_subjects(config):  # type: ignore[no-untyped-def]
    """Return an iterable of `pytest_modelizer.Subject` objects this conftest or plugin declares."""
