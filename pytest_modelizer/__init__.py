"""pytest-modelizer: learned models of black-box programs for pytest."""
from __future__ import annotations

__version__ = "0.1.0"

# Cheap imports only: importing the plugin must not pull in torch or fuzzingbook.
from pytest_modelizer.behaviour import Behaviour
from pytest_modelizer.config import ModelConfig
from pytest_modelizer.errors import (
    ModelizerRefusal,
    PredictedFailure,
    ProgramFailure,
    UncertainPrediction,
    UncoveredInputError,
)
from pytest_modelizer.samples import CorpusSamples
from pytest_modelizer.subject import Subject, TrainingConfig, command_version, package_version
from pytest_modelizer.tokenizer import Escaped, LarkTokenizer, Verbatim

__all__ = [
    "Behaviour",
    "CorpusSamples",
    "Escaped",
    "LarkTokenizer",
    "ModelConfig",
    "ModelizerRefusal",
    "PredictedFailure",
    "ProgramFailure",
    "UncertainPrediction",
    "UncoveredInputError",
    "Verbatim",
    "Subject",
    "TrainingConfig",
    "__version__",
    "command_version",
    "package_version",
]
