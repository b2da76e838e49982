"""Process hygiene: a disabled plugin is harmless; training and loading leave global state as found."""
from __future__ import annotations

import toy


def test_disabled_plugin_with_a_subject_declaring_conftest(pytester):
    pytester.makeconftest(toy.conftest_source())
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:modelizer")
    result.assert_outcomes(passed=1)
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert "modelizer:" not in result.stdout.str()  # no header, no summary


def test_training_and_loading_leave_seeds_and_threads_as_found(tmp_path):
    """The user's process keeps its random state, torch's generator and thread count."""
    import random

    import torch

    import toy
    from pytest_modelizer.session import ModelizerSession
    from pytest_modelizer.store import ModelStore

    session = ModelizerSession(registry=None, store=ModelStore(tmp_path))
    random.seed(1234)
    torch.manual_seed(1234)
    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, threads - 1) if threads > 1 else 2)
    chosen = torch.get_num_threads()
    expected_random, expected_torch = random.random(), torch.rand(1)
    random.seed(1234)
    torch.manual_seed(1234)
    session.ensure_trained([(toy.QUICK_SUBJECT, "forward")], lambda text: None)
    session.mock(toy.QUICK_SUBJECT, "forward")
    assert random.random() == expected_random and torch.equal(torch.rand(1), expected_torch)
    assert torch.get_num_threads() == chosen
    torch.set_num_threads(threads)
