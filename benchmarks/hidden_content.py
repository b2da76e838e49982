"""Content hidden in placeholders that decides the program's behaviour, per subject.

    python benchmarks/hidden_content.py [SUBJECT ...] [--inputs N] [--checked N]

For each subject (default: every bundled subject whose program runs here, and the user-style
subjects of `user_subjects.py`), the check training runs before its first step
(`pytest_modelizer.content_check`): fresh grammar-made inputs are run on the real program, one
placeholder's value of each checked input is changed to another value of the same kind, and the
program is run again. *changed*: inputs whose answer changed beyond that value, which no model of
these tokens can learn. Writes `benchmarks/results/hidden-content.json`; `python benchmarks/run.py
--render-only` puts it into BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import ROOT, fresh_inputs, machine  # noqa: E402
from user_subjects import user_subjects  # noqa: E402

from pytest_modelizer.content_check import check_hidden_content  # noqa: E402
from pytest_modelizer.data import Pair, encode_pair  # noqa: E402
from pytest_modelizer.registry import SubjectRegistry  # noqa: E402
from pytest_modelizer.runner import ProgramRunner  # noqa: E402
from pytest_modelizer.spec import ModelSpec  # noqa: E402


def measure(subject, inputs: int, checked: int) -> dict:
    spec = ModelSpec(subject, "forward")
    started = time.perf_counter()
    texts = fresh_inputs(subject, inputs)
    with ProgramRunner(subject) as runner:
        runs = runner.run_many(texts)
        examples = [e for e in (encode_pair(spec, Pair(t, r.behaviour)) for t, r in zip(texts, runs)) if e]
        found = check_hidden_content(spec, examples, runner, count=checked)
    return {"subject": subject.name, "inputs": len(texts), **found.to_meta(), "warns": found.warns,
            "seconds": round(time.perf_counter() - started, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("subjects", nargs="*")
    parser.add_argument("--inputs", type=int, default=600, help="fresh inputs made and run per subject")
    parser.add_argument("--checked", type=int, default=200, help="inputs whose value is changed and run again")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "hidden-content.json")
    args = parser.parse_args()
    users = {s.name: s for s in user_subjects()}
    registry = SubjectRegistry.discover(users.values())
    names = args.subjects or registry.names()
    rows = []
    for name in names:
        subject = registry.get(name)
        if subject.program_status().absent:
            print(f"{name}: program absent here, skipped", file=sys.stderr)
            continue
        row = measure(subject, args.inputs, args.checked)
        row["user_style"] = name in users
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    args.out.write_text(json.dumps({"command": "python benchmarks/hidden_content.py", "machine": machine(),
                                    "subjects": rows}, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
