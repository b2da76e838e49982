"""The `modelize` marker: its options, validated."""
from __future__ import annotations

from dataclasses import dataclass, fields

from pytest_modelizer.aspect import ASPECTS
from pytest_modelizer.errors import did_you_mean
from pytest_modelizer.generate import Target, TargetError
from pytest_modelizer.serve import ON_UNCERTAIN
from pytest_modelizer.subject import DIRECTIONS

MARKER_HELP = (
    "modelize(subject, direction='forward', patch=None, aspect='output', cases=None, count=10, budget=200, "
    "on_uncertain=None, min_exact=None, binary=None, binary_env=None): "
    "serve the test with a learned model of `subject`; `patch` names a 'module.attr' callable replaced by the "
    "model for the test; aspect='failure' models only how the program fails; cases='failure' (or "
    "'failure:KIND', 'output:TEXT') parametrizes `modelizer_case` with up to `count` committed regression cases; "
    "on_uncertain='real'|'error'|'accept' says what answers an input the model is unsure of; min_exact is the "
    "held-out exact match below which the model is refused; binary='NAME' puts a stand-in executable NAME "
    "first on PATH for the test, answered by the model (a command subject), and binary_env='VAR' sets VAR to its path"
)


class MarkerError(ValueError):
    """A `modelize` marker with a bad option."""


@dataclass(frozen=True)
class ModelizeSpec:
    """What one test asks of the plugin."""

    subject: str
    direction: str = "forward"
    patch: str | None = None
    aspect: str = "output"
    cases: str | None = None  # a case target: "failure", "failure:KIND" or "output:TEXT"
    count: int = 10  # cases to keep for the test
    budget: int = 200  # real-program runs spent proposing new cases (with --modelizer-update-cases)
    on_uncertain: str | None = None  # "real", "error" or "accept"; None: the ini key, else by the program's presence
    min_exact: float | None = None  # the quality gate; None: the ini key
    binary: str | None = None  # a command name served by the model through a stand-in executable on PATH
    binary_env: str | None = None  # an environment variable set to the stand-in's path


VALID_OPTIONS = tuple(f.name for f in fields(ModelizeSpec) if f.name != "subject")


def parse_marker(args: tuple, kwargs: dict) -> ModelizeSpec:
    """A validated spec from the marker's arguments; errors list the valid choices."""
    if len(args) != 1 or not isinstance(args[0], str):
        raise MarkerError(f"@pytest.mark.modelize takes one subject name, e.g. modelize('markdown-it'); got {args!r}")
    unknown = sorted(set(kwargs) - set(VALID_OPTIONS))
    if unknown:
        meant = did_you_mean(unknown[0], VALID_OPTIONS) if len(unknown) == 1 else ""
        raise MarkerError(f"unknown modelize option(s) {', '.join(unknown)}{meant}; valid options: "
                          f"{', '.join(VALID_OPTIONS)}")
    direction = kwargs.get("direction", "forward")
    if direction not in DIRECTIONS:
        raise MarkerError(f"modelize direction={direction!r} is not valid; valid: {', '.join(DIRECTIONS)}")
    patch = kwargs.get("patch")
    if patch is not None and (not isinstance(patch, str) or "." not in patch):
        raise MarkerError(f"modelize patch={patch!r} must be a dotted 'module.attribute' path")

    aspect = kwargs.get("aspect", "output")
    if aspect not in ASPECTS:
        raise MarkerError(f"modelize aspect={aspect!r} is not valid; valid: {', '.join(ASPECTS)}")
    cases = kwargs.get("cases")
    if cases is not None:
        try:
            Target.parse(cases if isinstance(cases, str) else repr(cases))
        except TargetError as exc:
            raise MarkerError(f"modelize cases=: {exc}") from None
    numbers = {}
    for name, default in (("count", 10), ("budget", 200)):
        value = kwargs.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise MarkerError(f"modelize {name}={value!r} must be a positive integer")
        numbers[name] = value

    on_uncertain = kwargs.get("on_uncertain")
    if on_uncertain is not None and on_uncertain not in ON_UNCERTAIN:
        raise MarkerError(f"modelize on_uncertain={on_uncertain!r} is not valid; valid: {', '.join(ON_UNCERTAIN)}")
    min_exact = kwargs.get("min_exact")
    if min_exact is not None and (isinstance(min_exact, bool) or not isinstance(min_exact, (int, float))
                                  or not 0 <= min_exact <= 1):
        raise MarkerError(f"modelize min_exact={min_exact!r} must be a number from 0 to 1")
    binary, binary_env = kwargs.get("binary"), kwargs.get("binary_env")
    if binary is not None and (not isinstance(binary, str) or binary in ("", ".", "..") or "/" in binary
                               or "\\" in binary or not binary.isprintable()):
        raise MarkerError(f"modelize binary={binary!r} must be a command name without a path, e.g. binary='pandoc'")
    if binary_env is not None:
        if binary is None:
            raise MarkerError(f"modelize binary_env={binary_env!r} names the variable to set to the stand-in "
                              f"executable's path: it needs binary='NAME' too")
        if (not isinstance(binary_env, str) or not binary_env or "=" in binary_env or not binary_env.isprintable()
                or binary_env == "PATH"):
            raise MarkerError(f"modelize binary_env={binary_env!r} must be an environment variable name, "
                              f"e.g. 'PYPANDOC_PANDOC'")
    return ModelizeSpec(args[0], direction, patch, aspect, cases, **numbers, on_uncertain=on_uncertain,
                        min_exact=min_exact, binary=binary, binary_env=binary_env)
