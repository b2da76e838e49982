"""Under pytest-xdist, workers needing the same missing model train it once, under a lock."""
from __future__ import annotations

import toy

from pytest_modelizer.data import pairs_path
from pytest_modelizer.spec import ModelSpec

# Every worker imports this conftest; it counts the calls of `learn` in a shared log file.
COUNT_TRAINING = """
import os
import pytest_modelizer.session

_learn = pytest_modelizer.session.learn

def _counting_learn(spec, *args, **kwargs):
    with open(os.environ["TRAINING_LOG"], "a") as log:
        log.write(f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')} {spec.subject.name} {spec.direction}\\n")
    return _learn(spec, *args, **kwargs)

pytest_modelizer.session.learn = _counting_learn
"""

TEST = """
import pytest

@pytest.mark.modelize("shout")
def test_{name}(mock_program):
    assert isinstance(mock_program("{text}"), str)
"""


def test_two_workers_train_once(pytester, tmp_path, monkeypatch):
    log = tmp_path / "training.log"
    key = ModelSpec(toy.QUICK_SUBJECT, "forward").key
    monkeypatch.setenv("TRAINING_LOG", str(log))
    pytester.makeconftest(toy.conftest_source("toy.QUICK_SUBJECT", extra=COUNT_TRAINING))
    pytester.makeini("[pytest]\nmodelizer_min_exact = 0\n")  # a quick model: only that it is trained once counts
    pytester.makepyfile(
        test_one=TEST.format(name="one", text="cat"),
        test_two=TEST.format(name="two", text="!dog owl"),
    )
    cache = tmp_path / "cache"
    result = pytester.runpytest_subprocess(
        "-n", "2", "--dist", "load", "--modelizer-train", "--modelizer-cache-dir", str(cache)
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*2 workers*"])
    # The controller's summary merges what the workers did: one training, two queries of the model.
    result.stdout.fnmatch_lines(
        ["*= modelizer =*", "trained shout (forward)", f"shout (forward) key {key}: held-out exact match *; 2 queries of the model*"]
    )
    # pytest-xdist drops a worker's terminal output: the training worker says what it does on stderr.
    result.stderr.fnmatch_lines(["[[]gw?[]] modelizer: training the forward model of shout (key *)",
                                 "[[]gw?[]]   epoch 1 loss *"])
    lines = log.read_text().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("gw") and lines[0].endswith(" shout forward")
    assert sorted(p.name for p in (cache / "shout").iterdir() if not p.name.startswith(".")) == [
        f"forward-{key}.npz",
        pairs_path(toy.QUICK_SUBJECT, toy.QUICK_TRAINING, cache).name,
    ]
    assert not list(cache.rglob("*.tmp"))

