"""--modelizer-train, the cache dir and device options, and the errors for missing or stale models."""
from __future__ import annotations

import pytest

import toy
from pytest_modelizer.spec import ModelSpec

USES_MODEL = """
import pytest

@pytest.mark.modelize("shout")
def test_uses_model(mock_program):
    assert isinstance(mock_program("cat !dog"), str)
"""


@pytest.fixture
def quick(pytester):
    """A pytester declaring the toy subject with a training config that finishes in seconds."""
    pytester.makeconftest(toy.conftest_source("toy.QUICK_SUBJECT"))
    pytester.makeini("[pytest]\nmodelizer_min_exact = 0\n")  # a quick model is barely trained: only its existence counts
    pytester.makepyfile(test_uses=USES_MODEL)
    return pytester


def test_missing_model_errors_with_key_and_fix(quick, tmp_path):
    cache = tmp_path / "cache"
    result = quick.runpytest("--modelizer-cache-dir", str(cache))
    result.assert_outcomes(errors=1)
    key = ModelSpec(toy.QUICK_SUBJECT, "forward").key
    result.stdout.fnmatch_lines(
        [
            f"*modelizer: no forward model of subject 'shout' with key {key} (cache dir {cache}).",
            "*No forward model of this subject was ever trained here.",
            "*Fix: pytest --modelizer-train test_uses.py::test_uses_model*",
        ]
    )
    assert not cache.exists() or not any(cache.rglob("*.npz"))


def test_train_then_run(quick, tmp_path):
    cache = tmp_path / "cache"
    # In a subprocess: training imports parts of torch that an in-process run would unload.
    result = quick.runpytest_subprocess("--modelizer-train", f"--modelizer-cache-dir={cache}")
    result.assert_outcomes(passed=1)
    key = ModelSpec(toy.QUICK_SUBJECT, "forward").key
    result.stdout.fnmatch_lines(
        [
            f"modelizer: *, cache: {cache}, device: cpu, training enabled",
            f"modelizer: training the forward model of shout (key {key})",
            "*= modelizer =*",
            "trained shout (forward)",
            f"shout (forward) key {key}: held-out exact match *; 1 query of the model, *",
        ]
    )
    assert [p.name for p in (cache / "shout").glob("*.npz")] == [f"forward-{key}.npz"]

    # The next run reuses the model without the flag and trains nothing.
    again = quick.runpytest_subprocess(f"--modelizer-cache-dir={cache}")
    again.assert_outcomes(passed=1)
    assert "trained shout" not in again.stdout.str()
    assert "training the forward model" not in again.stdout.str()


def test_failed_training_is_a_usage_error_and_writes_no_model(pytester, tmp_path):
    # max_len 3 leaves room for one token: too few pairs fit, so training refuses to start.
    subject = "toy.make_subject(training=toy.QUICK_TRAINING.replace(model=replace(toy.TINY_MODEL, max_len=3)))"
    pytester.makeconftest(toy.conftest_source(subject, extra="from dataclasses import replace"))
    pytester.makepyfile(test_uses=USES_MODEL)
    cache = tmp_path / "cache"
    result = pytester.runpytest_subprocess("--modelizer-train", "--modelizer-cache-dir", str(cache))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: modelizer: training failed: subject 'shout': only * synthesized pairs can be trained on: * are "
         "longer than 1 tokens (raise ModelConfig(max_len=...) or lower max_input_chars)"]
    )
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert not list(cache.rglob("*.npz"))


def test_stale_model_says_what_changed(pytester, toy_cache):
    pytester.makeconftest(toy.conftest_source("toy.make_subject(version='2')"))
    pytester.makepyfile(test_uses=USES_MODEL)
    result = pytester.runpytest("--modelizer-cache-dir", str(toy_cache))
    result.assert_outcomes(errors=1)
    old = ModelSpec(toy.SUBJECT, "forward").key
    new = ModelSpec(toy.make_subject(version="2"), "forward").key
    result.stdout.fnmatch_lines(
        [
            f"*no forward model of subject 'shout' with key {new}*",
            f"*Stale model *forward-{old}.npz (key {old}) differs in: subject version: '1' -> '2'",
            "*Fix: pytest --modelizer-train*",
        ]
    )
    assert "program version" not in result.stdout.str()


def test_ini_cache_dir_is_used(toy_pytester, toy_cache):
    toy_pytester.makeini(f"[pytest]\nmodelizer_cache_dir = {toy_cache}\n")
    toy_pytester.makepyfile(test_uses=USES_MODEL)
    result = toy_pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"modelizer: *, cache: {toy_cache}, device: cpu"])


def test_ini_cache_dir_is_relative_to_rootdir(toy_pytester):
    toy_pytester.makeini("[pytest]\nmodelizer_cache_dir = models/here\n")
    result = toy_pytester.runpytest()
    result.stdout.fnmatch_lines([f"modelizer: *, cache: {toy_pytester.path / 'models' / 'here'}, device: cpu"])


def test_option_beats_ini(toy_pytester, toy_cache, tmp_path):
    toy_pytester.makeini(f"[pytest]\nmodelizer_cache_dir = {toy_cache}\n")
    toy_pytester.makepyfile(test_uses=USES_MODEL)
    empty = tmp_path / "empty"
    result = toy_pytester.runpytest("--modelizer-cache-dir", str(empty))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"modelizer: *, cache: {empty}, device: cpu", f"*(cache dir {empty})*"])


def test_default_cache_dir_is_under_rootdir(toy_pytester, monkeypatch):
    monkeypatch.delenv("MODELIZER_CACHE_DIR", raising=False)
    result = toy_pytester.runpytest()
    result.stdout.fnmatch_lines([f"modelizer: 0.1.0, cache: {toy_pytester.path / '.modelizer'}, device: cpu"])


def test_cuda_without_cuda_is_a_clear_error(toy_pytester, toy_cache, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    toy_pytester.makepyfile(test_uses=USES_MODEL)
    result = toy_pytester.runpytest("--modelizer-device", "cuda", "--modelizer-cache-dir", str(toy_cache))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "modelizer: *, device: cuda",
            "*device 'cuda' was asked for but torch.cuda.is_available() is False*use --modelizer-device cpu*",
        ]
    )
    # With --modelizer-train the run stops before any test, with the same advice.
    result = toy_pytester.runpytest(
        "--modelizer-device", "cuda", "--modelizer-train", "--modelizer-cache-dir", str(toy_cache)
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*torch.cuda.is_available() is False*use --modelizer-device cpu*"])


def test_unknown_device_is_a_usage_error(toy_pytester):
    result = toy_pytester.runpytest("--modelizer-device", "tpu")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--modelizer-device='tpu' is not valid; use cpu, cuda or cuda:N*"])


def test_options_are_documented(pytester):
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "learned models of programs (pytest-modelizer):",
            "*--modelizer-train*",
            "*--modelizer-cache-dir=DIR*",
            "*--modelizer-device=DEVICE*",
            "*--modelizer-lock-timeout=SECONDS*",
            "*modelizer_cache_dir (string):*",
        ]
    )
