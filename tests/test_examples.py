"""The example suite (the README's main job) passes against the shipped model alone."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_example_suite_passes_with_shipped_model(tmp_path):
    # An empty cache dir and no --modelizer-train: only the shipped model can serve the tests.
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "conftest_examples", "-p", "no:cacheprovider",
         f"--modelizer-cache-dir={tmp_path}", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout and "error" not in done.stdout
    assert "= modelizer =" in done.stdout
    assert list(tmp_path.iterdir()) == [], "the example run must not train or write models"
