"""Finding failures: the failure models against fuzzingbook's fuzzers, for the same budget of real executions."""
from __future__ import annotations

import statistics
import time
from typing import Any, Sequence

from benchmarks.common import find_model, machine
from pytest_modelizer.registry import SubjectRegistry
from pytest_modelizer.spec import ModelSpec
from pytest_modelizer.store import ModelStore


def run_failures(registry: SubjectRegistry, store: ModelStore, name: str, budget: int = 1000,
                 seeds: Sequence[int] = (0, 1, 2)) -> dict[str, Any]:
    """Failures and distinct kinds per `budget` real executions: model-driven vs fuzzingbook's fuzzers."""
    from pytest_modelizer.generate import Candidate, CaseGenerator, Generation, Target, confirm, fuzz
    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.runner import ProgramRunner
    from pytest_modelizer.store import load_artifact

    subject = registry.get(name)
    forward, inverse = (MockProgram(spec, load_artifact(find_model(store, spec)))
                        for spec in (ModelSpec(subject, "forward", "failure"), ModelSpec(subject, "inverse", "failure")))
    runs: dict[str, list[Generation]] = {"model": [], "coverage": [], "probabilistic": []}
    fuzz_seconds: dict[str, float] = {"coverage": 0.0, "probabilistic": 0.0}
    with ProgramRunner(subject) as runner:
        for seed in seeds:
            runs["model"].append(CaseGenerator(subject, forward, inverse, seed=seed).generate(Target(), budget, runner))
            for fuzzer in ("coverage", "probabilistic"):
                start = time.perf_counter()
                inputs = fuzz(subject, fuzzer, budget, seed)
                fuzz_seconds[fuzzer] += time.perf_counter() - start
                generation = Generation(Target())
                confirm(subject, Target(), [Candidate(x, fuzzer) for x in inputs], runner, generation)
                runs[fuzzer].append(generation)

    def stats(gens: list[Generation]) -> dict[str, Any]:
        n = len(gens)
        kinds_union = sorted({k for g in gens for k in g.kinds})
        return {
            "executions": statistics.mean(g.executions for g in gens),
            "failures": statistics.mean(g.failures for g in gens),
            "failures_per_1000": statistics.mean(1000 * g.failures / max(1, g.executions) for g in gens),
            "failures_per_seed": [g.failures for g in gens],
            "rejections": statistics.mean(g.rejections for g in gens),
            "kinds": statistics.mean(len(g.kinds) for g in gens),
            "kinds_per_seed": [len(g.kinds) for g in gens],
            "kinds_all_seeds": kinds_union,
            "model_seconds": sum(g.model_seconds for g in gens) / n,
            "program_seconds": sum(g.program_seconds for g in gens) / n,
            "proposed": gens[0].proposed,
        }

    report = {name: stats(gens) for name, gens in runs.items()}
    for fuzzer, seconds in fuzz_seconds.items():
        report[fuzzer]["fuzz_seconds"] = seconds / len(seeds)
    best = max(("coverage", "probabilistic"), key=lambda f: report[f]["failures_per_1000"])
    best_kinds = max(report["coverage"]["kinds"], report["probabilistic"]["kinds"])
    model = report["model"]
    return {
        "subject": name,
        "budget": budget,
        "seeds": list(seeds),
        "model_failures": model["failures"],
        "model_kinds": model["kinds"],
        "model_failure_rate": model["failures_per_1000"] / 1000,
        "baseline": best,
        "baseline_failures": report[best]["failures"],
        "baseline_kinds": best_kinds,
        "baseline_failure_rate": report[best]["failures_per_1000"] / 1000,
        "ratio": model["failures"] / max(1.0, report[best]["failures"]),
        "kinds_ratio": model["kinds"] / max(1.0, best_kinds),
        "training_seconds": sum(float(m.artifact.meta.get("train_seconds", 0)) for m in (forward, inverse)),
        "parameters": {"forward": forward.info.parameters, "inverse": inverse.info.parameters},
        "rejections_counted_apart": list(subject.rejections),
        "details": report,
        "machine": machine(),
    }
