"""Every model shipped with a bundled subject is current and describes itself."""
from __future__ import annotations

import pytest

from pytest_modelizer.registry import SubjectRegistry
from pytest_modelizer.store import ModelStore, load_artifact

REGISTRY = SubjectRegistry.discover()


def _label(filename: str) -> tuple[str, str]:
    """(aspect, direction) of a shipped file: `forward-KEY.npz` or `failure-inverse-KEY.npz`."""
    parts = filename.split("-")
    return ("output", parts[0]) if parts[0] in ("forward", "inverse") else (parts[0], parts[1])


SHIPPED = sorted(
    (name, *_label(path.name))
    for name in REGISTRY.names()
    if REGISTRY.get(name).shipped_models and REGISTRY.get(name).shipped_models.is_dir()
    for path in REGISTRY.get(name).shipped_models.glob("*.npz")
)
IDS = [f"{n}-{d}" if a == "output" else f"{n}-{a}-{d}" for n, a, d in SHIPPED]


def test_markdown_it_ships_a_forward_model():
    assert ("markdown-it", "output", "forward") in SHIPPED


def test_shipped_models_need_no_torch_to_read():
    folders = [REGISTRY.get(name).shipped_models for name in REGISTRY.names() if REGISTRY.get(name).shipped_models]
    assert not [p for folder in folders for p in folder.glob("*.pt")], "convert them: benchmarks/convert_models.py"


@pytest.mark.parametrize("name, aspect, direction", SHIPPED, ids=IDS)
def test_shipped_model_matches_the_subject_definition(name, aspect, direction, tmp_path):
    subject = REGISTRY.get(name).with_aspect(aspect)
    key = subject.model_key(direction)
    label = subject.model_label(direction)
    # An empty cache: only the shipped folder can answer.
    path = ModelStore(tmp_path).find(subject.name, label, key, subject.shipped_models)
    shipped = sorted(p.name for p in subject.shipped_models.glob(f"{label}-*.npz"))
    assert path is not None, (
        f"the shipped {label} model of {name} is stale: expected {label}-{key}.npz, found {shipped}. "
        f"Regenerate it with: modelizer train {name} --direction {direction} --aspect {aspect} --ship"
    )
    assert shipped == [path.name], "old shipped models should be removed"


@pytest.mark.parametrize("name, aspect, direction", SHIPPED, ids=IDS)
def test_shipped_model_describes_itself(name, aspect, direction):
    subject = REGISTRY.get(name).with_aspect(aspect)
    label = subject.model_label(direction)
    artifact = load_artifact(subject.shipped_models / f"{label}-{subject.model_key(direction)}.npz")
    meta = artifact.meta
    assert meta["components"] == subject.key_components(direction)
    # A failure-aspect inverse model is scored on the held-out pairs that fail: a few percent
    # (pandoc-html: 9 of 300), and its greedy answer per kind is one input, so n counts little there.
    # Failure models may train on fewer pairs (pandoc-html: 6,000, so 300 held out).
    least = {"failure-inverse": 5, "failure-forward": 300}.get(label, 500)
    assert meta["metrics"]["n"] >= least and 0.0 <= meta["metrics"]["exact_match"] <= 1.0
    assert meta["parameters"] <= 6_300_000
    assert artifact.path.stat().st_size < 8 * 1024 * 1024


def test_markdown_it_model_is_as_good_as_the_readme_says():
    subject = REGISTRY.get("markdown-it")
    meta = load_artifact(subject.shipped_models / f"forward-{subject.model_key('forward')}.npz").meta
    assert meta["metrics"]["exact_match"] >= 0.95
