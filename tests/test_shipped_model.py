"""The model shipped for the bundled markdown-it subject is current and as good as claimed."""
from __future__ import annotations

from pytest_modelizer.registry import SubjectRegistry
from pytest_modelizer.store import ModelStore, load_artifact


def test_shipped_markdown_model_matches_the_subject_definition(tmp_path):
    subject = SubjectRegistry.discover().get("markdown-it")
    key = subject.model_key("forward")
    # An empty cache: only the shipped folder can answer.
    path = ModelStore(tmp_path).find(subject.name, "forward", key, subject.shipped_models)
    shipped = sorted(p.name for p in subject.shipped_models.glob("forward-*.pt"))
    assert path is not None, (
        f"the shipped forward model of markdown-it is stale: expected forward-{key}.pt, found {shipped}. "
        f"Regenerate it with: modelizer train markdown-it --ship"
    )
    assert shipped == [path.name], "old shipped models should be removed"


def test_shipped_markdown_model_describes_itself():
    subject = SubjectRegistry.discover().get("markdown-it")
    artifact = load_artifact(subject.shipped_models / f"forward-{subject.model_key('forward')}.pt")
    meta = artifact.meta
    assert meta["components"] == subject.key_components("forward")
    assert meta["metrics"]["exact_match"] >= 0.95
    assert meta["metrics"]["n"] >= 500
    assert meta["parameters"] <= 6_300_000
    assert artifact.path.stat().st_size < 8 * 1024 * 1024
