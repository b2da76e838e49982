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
    spec = session.spec(toy.QUICK_SUBJECT, "forward")
    session.ensure_trained([spec], lambda text: None)
    session.mock(spec)
    assert random.random() == expected_random and torch.equal(torch.rand(1), expected_torch)
    assert torch.get_num_threads() == chosen
    torch.set_num_threads(threads)


def test_progress_in_a_log_is_plain_lines_and_counts_the_time_cap():
    from pytest_modelizer.session import ProgressBar
    from pytest_modelizer.train import TrainProgress

    def progress(epoch, step, elapsed):
        return TrainProgress(epoch, step, 100, 1.0, None, elapsed, 10.0, limit_s=60.0)

    log = []
    bar = ProgressBar(log.append, tty=False)
    bar.log("synthesizing")
    for step in range(5):
        bar.update(progress(1, step, 1.0))
    bar.update(progress(2, 5, 30.0))
    bar.close()
    assert all("\r" not in line for line in log) and len(log) == 3  # one line per epoch, not per step
    assert log[-1].strip() == "epoch 2 loss 1.000 30s of 60s"
    screen = []
    tty = ProgressBar(screen.append, width=10)
    tty.update(progress(1, 5, 30.0))  # 5 % of the steps, half the time cap: the cap fills the bar
    assert "[#####.....]" in screen[-1]
