"""What every benchmark shares: the machine it ran on, the model it measures, fresh inputs, worker processes."""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Sequence

from pytest_modelizer.config import TrainingConfig
from pytest_modelizer.registry import SubjectRegistry, subjects_from_file
from pytest_modelizer.spec import ModelSpec
from pytest_modelizer.store import ModelError, ModelStore
from pytest_modelizer.subject import Subject

ROOT = Path(__file__).resolve().parent.parent
# Seed offset for benchmark inputs: apart from training (seed) and `modelizer eval` (seed + 7919).
INPUT_SEED_OFFSET = 104729


def machine() -> dict[str, Any]:
    """What the numbers were measured on (torch is imported only if already loaded)."""
    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    try:
        info["cpus_available"] = len(os.sched_getaffinity(0))
    except AttributeError:
        info["cpus_available"] = os.cpu_count()
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch"] = torch.__version__
        info["threads"] = torch.get_num_threads()
    else:  # without importing it
        from importlib.metadata import PackageNotFoundError, version

        try:
            info["torch"] = version("torch")
        except PackageNotFoundError:
            info["torch"] = None
    return info


def ms(seconds: float, n: int) -> float:
    return 1000.0 * seconds / max(1, n)


def summary(values: Sequence[float]) -> dict[str, float]:
    """min and median of seconds, in milliseconds."""
    return {"min_ms": 1000 * min(values), "median_ms": 1000 * statistics.median(values)}


def find_model(store: ModelStore, spec: ModelSpec) -> Path:
    """The model file `modelizer eval` would use: the cache dir first, then the shipped folder."""
    path = store.find_model(spec)
    if path is None:
        name = spec.subject.name
        raise ModelError(
            f"no {spec.label} model of {name!r} with key {spec.key} in {store.cache_dir} or the shipped models; train "
            f"it first: modelizer train {name} --direction {spec.direction}{spec.aspect_args} --cache-dir {store.cache_dir}"
        )
    return path


def fresh_inputs(subject: Subject, count: int, training: TrainingConfig | None = None,
                 cache_dir: Path | None = None) -> list[str]:
    """Up to `count` fresh inputs, from a seed apart from training's and `modelizer eval`'s."""
    from pytest_modelizer.data import held_out_inputs

    return held_out_inputs(subject, count, training or subject.training, cache_dir, INPUT_SEED_OFFSET)


def subject_from_spec(spec: dict[str, Any]) -> Subject:
    """The subject a worker's spec names, declared by its conftest files or an entry point."""
    declared: list[Subject] = []
    for path in spec.get("conftests", []):
        declared.extend(subjects_from_file(Path(path)))
    return SubjectRegistry.discover(declared).get(spec["subject"])


RESULT_MARK = "MODELIZER-BENCH-RESULT "


def run_worker(kind: str, spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run `benchmarks.worker`'s `kind` on `spec` in a fresh interpreter and return its result."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.worker", kind, json.dumps(spec)],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    raise RuntimeError(f"benchmark worker {kind!r} failed (exit {done.returncode}):\n"
                       + textwrap.indent((done.stderr or done.stdout)[-3000:], "  "))
