"""The `modelize` marker: its options, validated."""
from __future__ import annotations

from dataclasses import dataclass, fields

from pytest_modelizer.subject import DIRECTIONS

MARKER_HELP = (
    "modelize(subject, direction='forward', patch=None): serve the test with a learned model of "
    "`subject`; `patch` names a 'module.attr' callable replaced by the model for the test"
)


class MarkerError(ValueError):
    """A `modelize` marker with a bad option."""


@dataclass(frozen=True)
class ModelizeSpec:
    """What one test asks of the plugin."""

    subject: str
    direction: str = "forward"
    patch: str | None = None


VALID_OPTIONS = tuple(f.name for f in fields(ModelizeSpec) if f.name != "subject")


def parse_marker(args: tuple, kwargs: dict) -> ModelizeSpec:
    """A validated spec from the marker's arguments; errors list the valid choices."""
    if len(args) != 1 or not isinstance(args[0], str):
        raise MarkerError(f"@pytest.mark.modelize takes one subject name, e.g. modelize('markdown-it'); got {args!r}")
    unknown = sorted(set(kwargs) - set(VALID_OPTIONS))
    if unknown:
        raise MarkerError(f"unknown modelize option(s) {', '.join(unknown)}; valid options: {', '.join(VALID_OPTIONS)}")
    direction = kwargs.get("direction", "forward")
    if direction not in DIRECTIONS:
        raise MarkerError(f"modelize direction={direction!r} is not valid; valid: {', '.join(DIRECTIONS)}")
    patch = kwargs.get("patch")
    if patch is not None and (not isinstance(patch, str) or "." not in patch):
        raise MarkerError(f"modelize patch={patch!r} must be a dotted 'module.attribute' path")
    return ModelizeSpec(args[0], direction, patch)
