"""Every model shipped with a bundled subject is current and describes itself."""
from __future__ import annotations

import pytest

from pytest_modelizer.registry import SubjectRegistry
from pytest_modelizer.store import ModelStore, load_artifact

REGISTRY = SubjectRegistry.discover()
SHIPPED = sorted(
    (name, path.name.split("-", 1)[0])
    for name in REGISTRY.names()
    if REGISTRY.get(name).shipped_models and REGISTRY.get(name).shipped_models.is_dir()
    for path in REGISTRY.get(name).shipped_models.glob("*.pt")
)


def test_markdown_it_ships_a_forward_model():
    assert ("markdown-it", "forward") in SHIPPED


@pytest.mark.parametrize("name, direction", SHIPPED, ids=[f"{n}-{d}" for n, d in SHIPPED])
def test_shipped_model_matches_the_subject_definition(name, direction, tmp_path):
    subject = REGISTRY.get(name)
    key = subject.model_key(direction)
    # An empty cache: only the shipped folder can answer.
    path = ModelStore(tmp_path).find(subject.name, direction, key, subject.shipped_models)
    shipped = sorted(p.name for p in subject.shipped_models.glob(f"{direction}-*.pt"))
    assert path is not None, (
        f"the shipped {direction} model of {name} is stale: expected {direction}-{key}.pt, found {shipped}. "
        f"Regenerate it with: modelizer train {name} --direction {direction} --ship"
    )
    assert shipped == [path.name], "old shipped models should be removed"


@pytest.mark.parametrize("name, direction", SHIPPED, ids=[f"{n}-{d}" for n, d in SHIPPED])
def test_shipped_model_describes_itself(name, direction):
    subject = REGISTRY.get(name)
    artifact = load_artifact(subject.shipped_models / f"{direction}-{subject.model_key(direction)}.pt")
    meta = artifact.meta
    assert meta["components"] == subject.key_components(direction)
    assert meta["metrics"]["n"] >= 500 and 0.0 <= meta["metrics"]["exact_match"] <= 1.0
    assert meta["parameters"] <= 6_300_000
    assert artifact.path.stat().st_size < 8 * 1024 * 1024


def test_markdown_it_model_is_as_good_as_the_readme_says():
    subject = REGISTRY.get("markdown-it")
    meta = load_artifact(subject.shipped_models / f"forward-{subject.model_key('forward')}.pt").meta
    assert meta["metrics"]["exact_match"] >= 0.95
