"""Convert model files of the torch format (`.pt`) to `.npz`: in 16 bits where that changes no answer.

    python benchmarks/convert_models.py subjects/models/*/*.pt > benchmarks/results/storage-precision.json

Each file is the model of a bundled subject, found by its folder (the subject) and name (aspect and
direction). Its float32 weights and the same weights rounded to 16 bits answer the same queries:
500 synthetic held-out inputs plus the subject's real-world corpora (forward models), the forward
model's covered answers to those (inverse models), every failure kind and the success label
(failure-aspect inverse models). Where every greedy answer and every verdict against the calibrated
threshold is the same, the file is stored in 16 bits, else in 32 (as training decides on its
held-out pairs). The key, and so the file name, stays; the `.pt` file is replaced.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from pytest_modelizer.config import ModelConfig
from pytest_modelizer.data import held_out_inputs
from pytest_modelizer.decoder import NumpyDecoder
from pytest_modelizer.mock import MockProgram
from pytest_modelizer.registry import SubjectRegistry
from pytest_modelizer.spec import ModelSpec
from pytest_modelizer.store import SUFFIX, load_artifact, save_artifact


def compare(mock: MockProgram, queries: list[str]) -> dict:
    """How many of `queries` the 16-bit weights answer otherwise, or judge otherwise against the threshold."""
    queries = [q for q in dict.fromkeys(queries) if mock.covers(q)]
    sources = [mock.src_vocab.encode(mock.encode(q)[0]) for q in queries]
    cfg = ModelConfig.from_meta(mock.artifact.meta["model"])
    full = {k: np.asarray(v, dtype=np.float32) for k, v in mock.artifact.state_dict.items()}
    half = {k: v.astype(np.float16).astype(np.float32) for k, v in full.items()}
    a, b = NumpyDecoder(cfg, full).decode(sources), NumpyDecoder(cfg, half).decode(sources)
    threshold = mock.threshold if mock.threshold is not None else float("inf")
    return {
        "n": len(queries),
        "answers_differ": sum(x[0] != y[0] for x, y in zip(a, b)),
        "verdicts_differ": sum((x[1] >= threshold) != (y[1] >= threshold) for x, y in zip(a, b)),
        "max_confidence_change": max((abs(x[1] - y[1]) for x, y in zip(a, b)), default=0.0),
    }


def main(paths: list[Path]) -> None:
    registry = SubjectRegistry.discover([])
    forward_answers: dict[tuple[str, str], list[str]] = {}
    report = []
    # Forward models first: their answers are the inverse models' queries.
    for path in sorted(paths, key=lambda p: ("inverse" in p.name, str(p))):
        subject = registry.get(path.parent.name)
        label = path.name.rsplit("-", 1)[0]
        aspect, direction = ("failure", label.split("-", 1)[1]) if label.startswith("failure-") else ("output", label)
        spec = ModelSpec(subject, direction, aspect)
        artifact = load_artifact(path)
        mock = MockProgram(spec, artifact)
        if direction == "forward":
            queries = held_out_inputs(subject, 500, spec.training)
            queries += [json.loads(line)["input"] for corpus in subject.corpora.values() for line in open(corpus)]
            predictions = mock.predict_batch([q for q in queries if mock.covers(q)], count=False)
            forward_answers[(subject.name, aspect)] = [p.behaviour.output for p in predictions
                                                       if p.covered and p.behaviour.ok and p.behaviour.output]
        elif aspect == "failure":
            queries = [*artifact.meta.get("failure_kinds", {}), "ok"]
        else:
            queries = forward_answers[(subject.name, aspect)]
        result = compare(mock, queries)
        dtype = "float16" if result["answers_differ"] == result["verdicts_differ"] == 0 else "float32"
        target, before = path.with_suffix(SUFFIX), path.stat().st_size
        save_artifact(artifact, target, dtype)
        if path.suffix != SUFFIX:
            path.unlink()
        report.append({"model": str(target), "subject": subject.name, "aspect": aspect, "direction": direction,
                       "stored": dtype, "bytes_before": before,
                       "bytes": target.stat().st_size, **result})
        print(json.dumps(report[-1]), file=sys.stderr)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the checkout too
    from benchmarks.common import machine

    json.dump({"models": report, "machine": machine()}, sys.stdout, indent=1)


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]])
