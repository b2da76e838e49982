"""The `train` extra: torch, fuzzingbook and sacrebleu, and the error that names it where they are missing.

A plain `pip install pytest-modelizer` replays models in numpy; training, evaluation, calibration,
case generation and the failure models' sampling need the extra. Availability is checked with
`importlib.util.find_spec`, which imports nothing.
"""
from __future__ import annotations

import importlib.util
from types import ModuleType

from pytest_modelizer.store import ModelError

EXTRA = "train"
INSTALL = f"pip install 'pytest-modelizer[{EXTRA}]'"
TRAINING_STACK = ("torch", "fuzzingbook", "sacrebleu")


class MissingExtraError(ModelError):
    """A feature needs a package of the `train` extra that is not installed; the message names the extra."""


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package that fails, or a module set to None in sys.modules
        return False


def missing(modules: tuple[str, ...] = TRAINING_STACK) -> list[str]:
    """Those of `modules` that cannot be imported."""
    return [m for m in modules if not installed(m)]


def require(feature: str, modules: tuple[str, ...] = TRAINING_STACK) -> None:
    """Raise MissingExtraError naming `feature`, what is missing and the install command, unless `modules` import."""
    absent = missing(modules)
    if absent:
        raise MissingExtraError(
            f"modelizer: {feature} needs the training stack, and {', '.join(absent)} "
            f"{'is' if len(absent) == 1 else 'are'} not installed. Install it: {INSTALL} "
            f"(replaying shipped and committed models needs none of it)"
        )


def require_torch(feature: str) -> ModuleType:
    """torch, imported; MissingExtraError naming `feature` where it is not installed."""
    require(feature, ("torch",))
    import torch

    return torch
