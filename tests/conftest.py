"""Shared fixtures: the toy "shout" subject, trained once per session, and pytester helpers."""
from __future__ import annotations

import os

# Tiny models train several times faster on one thread than on two contended ones; set before
# torch is imported anywhere (subprocesses inherit it).
os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

import toy  # noqa: E402


@pytest.fixture(scope="session")
def toy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache holding the trained forward model of `toy.SUBJECT` (trained once)."""
    from pytest_modelizer.learn import learn
    from pytest_modelizer.spec import ModelSpec
    from pytest_modelizer.store import ModelStore

    cache = tmp_path_factory.mktemp("toy-cache")
    learn(ModelSpec(toy.SUBJECT, "forward"), ModelStore(cache))
    return cache


@pytest.fixture
def toy_pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester whose conftest.py declares the toy subject."""
    pytester.makeconftest(toy.conftest_source())
    return pytester


@pytest.fixture(autouse=True)
def _modules_outlive_inline_runs(request: pytest.FixtureRequest) -> None:
    """pytester's in-process runs unload the modules they imported. torch (a C extension) cannot
    be imported twice in a process, and reloaded stdlib modules confuse pickling: import what
    the plugin loads lazily here, outside those runs, so that they keep it."""
    if "pytester" in request.fixturenames:
        import importlib

        for name in LAZY_MODULES:
            importlib.import_module(name)


@pytest.fixture(autouse=True)
def _pytester_runs_are_their_own_rootdir(request: pytest.FixtureRequest) -> None:
    """pytest takes an option's value given as a separate argument (`--modelizer-cache-dir PATH`)
    for a path when it determines the rootdir: with a session-wide cache beside the pytester
    folder, the rootdir became their common parent, and recordings made by one test (written
    under <rootdir>) answered another test's calls. Pin each run's rootdir to its own folder
    (pytester clears PYTEST_ADDOPTS when it starts; in-process and subprocess runs read it)."""
    if "pytester" in request.fixturenames:
        pytester = request.getfixturevalue("pytester")
        request.getfixturevalue("monkeypatch").setenv("PYTEST_ADDOPTS", f"--rootdir={pytester.path}")


LAZY_MODULES = (
    "torch",
    "torch._dynamo",  # by torch.optim, on the first optimizer step of a training
    "sacrebleu",
    "filelock",
    "lark",
    "concurrent.futures.process",
    "fuzzingbook.Grammars",
    "pytest_modelizer.data",
    "pytest_modelizer.decoder",
    "pytest_modelizer.evaluate",
    "pytest_modelizer.learn",
    "pytest_modelizer.mock",
    "pytest_modelizer.model",
    "pytest_modelizer.runner",
    "pytest_modelizer.synthesis",
    "pytest_modelizer.train",
)


@pytest.fixture(scope="session")
def failing_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache holding the failure-aspect models (both directions) of `toy.FAILING_SUBJECT`."""
    from pytest_modelizer.learn import learn
    from pytest_modelizer.spec import ModelSpec
    from pytest_modelizer.store import ModelStore

    cache = tmp_path_factory.mktemp("failing-cache")
    for direction in ("forward", "inverse"):
        learn(ModelSpec(toy.FAILING_SUBJECT, direction, "failure"), ModelStore(cache))
    return cache


@pytest.fixture(scope="session")
def toy_inverse_cache(tmp_path_factory: pytest.TempPathFactory, toy_cache: Path) -> Path:
    """`toy_cache` plus the inverse model of `toy.SUBJECT` (output -> input)."""
    import shutil

    from pytest_modelizer.learn import learn
    from pytest_modelizer.spec import ModelSpec
    from pytest_modelizer.store import ModelStore

    cache = tmp_path_factory.mktemp("toy-inverse-cache")
    shutil.copytree(toy_cache, cache, dirs_exist_ok=True)
    learn(ModelSpec(toy.SUBJECT, "inverse"), ModelStore(cache))
    return cache
