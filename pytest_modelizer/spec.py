"""ModelSpec: which model of a subject (the aspect it learns, the direction it maps), with its key.

A `Subject` is what a user declares: a program, its grammar and tokenizers, how to train. A
model of it is one more choice on top: the *aspect* (the whole output, or only how the program
fails) and the *direction* (input to output, or back). `ModelSpec` is that choice as one value:
it owns the model's label in the store, its training configuration, its source and target
tokenizers and its key. The key is computed once per spec (it hashes the grammar and, for the
older callable `program_version`, runs a probe), so code passes specs, not the three strings.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from functools import cached_property

from pytest_modelizer import __version__
from pytest_modelizer.aspect import ASPECTS, DEFAULT_FAILURE_KINDS
from pytest_modelizer.config import TrainingConfig, keyed_fields
from pytest_modelizer.samples import samples_fingerprint
from pytest_modelizer.store import FORMAT_VERSION
from pytest_modelizer.subject import DIRECTIONS, Subject, failure_training_for, timeout_component
from pytest_modelizer.tokenizer import LarkTokenizer


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """One model of `subject`: its `direction` ("forward": input to output, "inverse": back) and `aspect`.

    `training` is the configuration the model is trained with (and keyed on); by default the
    subject's, or for the failure aspect `Subject.failure_training` (default:
    `failure_training_for(subject.training)`). `with_training` keys another configuration.
    """

    subject: Subject
    direction: str = "forward"
    aspect: str = "output"
    training: TrainingConfig = field(default=None)  # type: ignore[assignment]  # resolved in __post_init__

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"unknown direction {self.direction!r}; valid: {', '.join(DIRECTIONS)}")
        if self.aspect not in ASPECTS:
            raise ValueError(f"subject {self.subject.name!r}: aspect {self.aspect!r} is not one of {', '.join(ASPECTS)}")
        if self.training is None:
            training = self.subject.training
            if self.is_failure:
                training = self.subject.failure_training or failure_training_for(training)
            object.__setattr__(self, "training", training)  # a resolved default on a frozen dataclass

    # -- identity ---------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelSpec) and (self.subject.name, self.label, self.key) == (
            other.subject.name, other.label, other.key)

    def __hash__(self) -> int:
        return hash((self.subject.name, self.label))

    def __str__(self) -> str:
        return f"{self.subject.name} ({self.label})"

    def __repr__(self) -> str:
        return f"ModelSpec({self.subject.name!r}, {self.direction!r}, aspect={self.aspect!r}, key={self.key})"

    @property
    def is_forward(self) -> bool:
        return self.direction == "forward"

    @property
    def is_failure(self) -> bool:
        """Whether the model learns only how the program fails (its answers are failure kinds)."""
        return self.aspect == "failure"

    @property
    def is_generator(self) -> bool:
        """Whether the model is sampled for many inputs per failure kind rather than decoded for one answer.

        Such a model (failure-aspect, inverse) writes concrete inputs, content included, and has no
        single right answer: it is judged by its likelihood, not by exact match.
        """
        return self.is_failure and not self.is_forward

    @property
    def label(self) -> str:
        """How the store names the model: `forward`, `inverse`, `failure-forward`, `failure-inverse`."""
        return self.direction if self.aspect == "output" else f"{self.aspect}-{self.direction}"

    @property
    def aspect_args(self) -> str:
        """The command-line arguments that name this aspect ("" for the default), for messages."""
        return f" --aspect {self.aspect}" if self.is_failure else ""

    # -- related models ---------------------------------------------------------------------------
    def reversed(self) -> "ModelSpec":
        """The model of the opposite direction, same subject and aspect."""
        other = "inverse" if self.is_forward else "forward"
        return ModelSpec(self.subject, other, self.aspect)

    def with_training(self, training: TrainingConfig) -> "ModelSpec":
        """The same model trained (and keyed) with another configuration, e.g. `modelizer train --pairs`."""
        return self if training == self.training else replace(self, training=training)

    # -- what it maps -----------------------------------------------------------------------------
    @property
    def source_tokenizer(self) -> LarkTokenizer:
        return self.subject.input_tokenizer if self.is_forward else self.subject.output_tokenizer

    @property
    def target_tokenizer(self) -> LarkTokenizer:
        return self.subject.output_tokenizer if self.is_forward else self.subject.input_tokenizer

    # -- the key ----------------------------------------------------------------------------------
    @cached_property
    def key_components(self) -> dict[str, str]:
        """Everything that must invalidate the model, as readable strings (diffed in errors)."""
        subject = self.subject
        components = {
            "subject": subject.name,
            "subject version": subject.version,
            "program": subject.program_name(),
            "program version": subject.resolved_program_version(),
            "direction": self.direction,
            "grammar": subject.grammar_fingerprint(),
            "input tokenizer": subject.input_tokenizer.fingerprint,
            "output tokenizer": subject.output_tokenizer.fingerprint,
            "training": json.dumps(keyed_fields(self.training, subject.samples is not None), sort_keys=True),
            "format": f"{FORMAT_VERSION}",
            "plugin": __version__.split(".")[0],
        }
        if self.is_failure:  # absent for the default aspect, so keys made before aspects stay valid
            components["aspect"] = self.aspect
            if subject.failure_kind is None:  # the labels it learns; absent for a subject's own function
                components["failure kinds"] = DEFAULT_FAILURE_KINDS
        if subject.samples is not None:  # absent without samples, so existing keys stay valid
            components["samples"] = samples_fingerprint(subject.loaded_samples())
        components.update(timeout_component(subject))
        return components

    @cached_property
    def key(self) -> str:
        text = json.dumps(self.key_components, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

