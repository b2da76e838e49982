"""What the samples decide of each bundled subject's training, against what its configuration sets.

    python benchmarks/sample_lengths.py [SUBJECT ...]

For each bundled subject with samples (default: all of them), with its training configuration's
`max_nonterminals` and `placeholder_limit` left to the samples (`pytest_modelizer.from_samples`):
the limits tried and the mean length in tokens of the longest tenth of each one's 500 inputs,
against the samples', the limit taken, the placeholder limit, and the seconds it took. Writes
`benchmarks/results/sample-lengths.json`; `python benchmarks/run.py --render-only` puts it into
BENCHMARKS.md. Synthesis only: the programs do not run.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import ROOT, machine  # noqa: E402

from pytest_modelizer.data import mined_samples, settled_placeholder_limit  # noqa: E402
from pytest_modelizer.from_samples import fit_nonterminals  # noqa: E402
from pytest_modelizer.registry import SubjectRegistry  # noqa: E402


def measure(subject) -> dict:
    configured = subject.training
    training = configured.replace(max_nonterminals=None, placeholder_limit=None)
    started = time.perf_counter()
    samples, _, mined = mined_samples(subject, training)
    fit = fit_nonterminals(subject, training, samples, mined.grammar)
    return {"subject": subject.name, "samples": len(samples),
            "configured": {"max_nonterminals": configured.max_nonterminals,
                           "placeholder_limit": configured.placeholder_limit},
            "max_nonterminals": fit.limit, "tails": {str(k): round(v, 1) for k, v in sorted(fit.tails.items())},
            "samples_tail": round(fit.samples_tail, 1),
            "placeholder_limit": settled_placeholder_limit(subject, training),
            "seconds": round(time.perf_counter() - started, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("subjects", nargs="*")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "sample-lengths.json")
    args = parser.parse_args()
    registry = SubjectRegistry.discover()
    rows = []
    for name in args.subjects or registry.names():
        subject = registry.get(name)
        if subject.samples is None:
            continue
        rows.append(measure(subject))
        print(json.dumps(rows[-1]), file=sys.stderr)
    args.out.write_text(json.dumps({"command": "python benchmarks/sample_lengths.py", "machine": machine(),
                                    "subjects": rows}, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
