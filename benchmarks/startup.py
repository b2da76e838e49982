"""Startup: fresh interpreters timing the plugin import, a pytest run with and without it, a model's load and first call."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from benchmarks.common import find_model, fresh_inputs, machine, run_worker, subject_from_spec, summary
from pytest_modelizer.registry import SubjectRegistry
from pytest_modelizer.spec import ModelSpec
from pytest_modelizer.store import ModelStore


def _time_process(argv: Sequence[str], cwd: Path | None = None, env: dict | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {(done.stderr or done.stdout)[-2000:]}")
    return seconds


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return env


def bench_startup(registry: SubjectRegistry | None, store: ModelStore | None, name: str | None,
                  direction: str = "forward", repeats: int = 5, conftests: Sequence[Path] = (),
                  model: Path | None = None, sample: str | None = None) -> dict[str, Any]:
    """Fresh-interpreter timings: plugin import, a trivial pytest run with and without the plugin, model load.

    Without a subject (`name` None) only the first two are measured.
    """
    py = sys.executable
    env = _clean_env()
    report: dict[str, Any] = {"subject": name, "direction": direction, "repeats": repeats}

    imports = {"python_pass": [py, "-c", "pass"], "import_pytest": [py, "-c", "import pytest"],
               "import_plugin": [py, "-c", "import pytest_modelizer.plugin"]}
    times: dict[str, list[float]] = {k: [] for k in imports}
    for _ in range(repeats):  # interleaved, so drifting machine load hits each alike
        for label, argv in imports.items():
            times[label].append(_time_process(argv, env=env))
    report["import"] = {k: summary(v) for k, v in times.items()}
    report["import_plugin_over_pytest_ms"] = report["import"]["import_plugin"]["min_ms"] - \
        report["import"]["import_pytest"]["min_ms"]

    with tempfile.TemporaryDirectory(prefix="modelizer-bench-") as tmp:
        folder = Path(tmp)
        (folder / "pytest.ini").write_text("[pytest]\n")
        (folder / "test_trivial.py").write_text("def test_trivial():\n    assert True\n")
        base = [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_trivial.py"]
        runs: dict[str, list[float]] = {"with_plugin": [], "without_plugin": []}
        for _ in range(repeats):
            runs["with_plugin"].append(_time_process(base, cwd=folder, env=env))
            runs["without_plugin"].append(_time_process([*base, "-p", "no:modelizer"], cwd=folder, env=env))
    report["pytest"] = {k: summary(v) for k, v in runs.items()}
    report["pytest_plugin_overhead_ms"] = {
        stat: report["pytest"]["with_plugin"][stat] - report["pytest"]["without_plugin"][stat]
        for stat in ("min_ms", "median_ms")
    }

    if name is not None:
        assert registry is not None and store is not None
        subject = registry.get(name)
        path = model or find_model(store, ModelSpec(subject, direction))
        if sample is None:
            sample = fresh_inputs(subject, 1, cache_dir=store.cache_dir)[0]
        spec = {"subject": name, "conftests": [str(Path(c).resolve()) for c in conftests],
                "cache_dir": str(store.cache_dir), "direction": direction, "model": str(path), "input": sample}
        loads = [run_worker("load", spec, timeout=300) for _ in range(repeats)]
        report["model"] = str(path)
        report["load"] = {k: summary([r[k] for r in loads])
                          for k in ("import_s", "load_s", "first_prediction_s", "load_and_first_s", "total_s")}
        report["parameters"] = loads[0]["parameters"]
        report["load_imports_torch"] = any(r["torch_imported"] for r in loads)
    report["machine"] = machine()
    return report


def load_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: import, load the model file, build the mock, answer one call."""
    t0 = time.perf_counter()
    import numpy  # noqa: F401 - what replaying a model imports; timed apart from loading the model

    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.store import load_artifact

    subject = subject_from_spec(spec)
    t1 = time.perf_counter()
    mock = MockProgram(ModelSpec(subject, spec["direction"]), load_artifact(Path(spec["model"])))
    t2 = time.perf_counter()
    mock.predict(spec["input"])
    t3 = time.perf_counter()
    return {"import_s": t1 - t0, "load_s": t2 - t1, "first_prediction_s": t3 - t2, "load_and_first_s": t3 - t1,
            "total_s": t3 - t0, "parameters": mock.info.parameters, "torch_imported": "torch" in sys.modules}
