"""Train the user-style subjects (user_subjects.py) with the default training configuration.

    python benchmarks/user_defaults.py                      # every subject, defaults, 2 threads
    python benchmarks/user_defaults.py date-format --set lr=2e-3 --set model.dropout=0.0
    python benchmarks/user_defaults.py shell-words --cache-dir /tmp/pairs --busy 120

Prints, per subject, the held-out exact match (also by input length in tokens), the share
answered confidently, training time and epochs; with `--out`, writes them as JSON (BENCHMARKS.md renders results/user-defaults.json).
`--set` overrides a field of the configuration (a `model.` prefix: of the model's shape), to
compare a candidate default against the current one side by side. `--busy SECONDS` runs one
busy process per core beside the first seconds of each subject's run, as another job on a
shared CI machine would (with `--cache-dir` holding the pairs of an earlier run, those seconds
are training, not synthesis).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from user_subjects import user_subjects  # noqa: E402


def _value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def configured(training, settings: list[str]):
    """`training` with `key=value` overrides (`model.key=value` for the model's shape)."""
    model_changes, changes = {}, {}
    for setting in settings:
        key, _, value = setting.partition("=")
        if key.startswith("model."):
            model_changes[key[len("model."):]] = _value(value)
        else:
            changes[key] = _value(value)
    return replace(training, model=replace(training.model, **model_changes), **changes)


@contextlib.contextmanager
def busy_machine(seconds: float):
    """One process per core, each spinning for `seconds` (stopped early when the block ends)."""
    spin = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass"
    spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(os.cpu_count() or 1) if seconds > 0]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def train_one(subject, settings: list[str], threads: int, cache_dir: Path | None = None, busy_s: float = 0.0) -> dict:
    import torch

    from pytest_modelizer.learn import learn
    from pytest_modelizer.spec import ModelSpec
    from pytest_modelizer.store import ModelStore

    training = configured(subject.training, settings)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    started = time.time()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            # A model is never reused from `cache_dir`: training always runs (its pairs are reused).
            store = ModelStore(Path(cache_dir or scratch))
            spec = ModelSpec(subject, "forward", training=training)
            with busy_machine(busy_s):
                artifact = learn(spec, store, log=lambda msg: print(f"  {msg}", flush=True))
    finally:
        torch.set_num_threads(before)
    meta = artifact.meta
    return {
        "subject": subject.name,
        "settings": settings,
        "exact_match": meta["metrics"]["exact_match"],
        "by_length": {bucket: m["exact_match"] for bucket, m in meta["metrics"].get("by_length", {}).items()},
        "confident": meta["calibration"]["answered"],
        "confident_exact": meta["metrics"].get("confident_exact"),
        "train_seconds": meta["train_seconds"],
        "synthesis_seconds": meta["synthesis_seconds"],
        "total_seconds": round(time.time() - started, 1),
        "epochs": meta["epochs"],
        "stopped": meta["stopped"],
        "curve": [(h["seconds"], h.get("val_exact")) for h in meta["history"]],
        "lr_curve": [(h["seconds"], h["lr_factor"]) for h in meta["history"]],
        "train_pairs": meta["train_pairs"],
        "parameters": meta["parameters"],
        "threads": threads,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("subjects", nargs="*", help="names (default: all whose program is available)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--cache-dir", type=Path, help="keep the synthesized pairs here for the next run")
    parser.add_argument("--busy", type=float, default=0.0, metavar="SECONDS",
                        help="run one busy process per core beside the first SECONDS of each run")
    args = parser.parse_args(argv)
    subjects = [s for s in user_subjects() if not args.subjects or s.name in args.subjects]
    load = os.getloadavg()[0]  # other work on the machine slows training within its time limit
    results = []
    for subject in subjects:
        print(f"{subject.name}: training with the defaults{' and ' + ', '.join(args.set) if args.set else ''}",
              flush=True)
        result = train_one(subject, args.set, args.threads, args.cache_dir, args.busy)
        results.append(result)
        among = result["confident_exact"]
        print(f"{subject.name}: held-out exact {result['exact_match']:.1%}, confident {result['confident']:.1%} "
              f"({'–' if among is None else format(among, '.1%')} exact among them), "
              f"{result['train_seconds']:.0f} s training ({result['epochs']} epochs, {result['train_pairs']} pairs, "
              f"stopped: {result['stopped']}); validation exact by second: "
              + ", ".join(f"{s:.0f}: {v:.1%}" for s, v in result["curve"] if v is not None),
              flush=True)
    if args.out:
        from benchmarks.common import machine

        label = "defaults" + (" with " + ", ".join(args.set) if args.set else "")
        busy = f", {os.cpu_count()} busy processes beside its first {args.busy:g} s" if args.busy else ""
        runs = [{**r, "config": label, "load": f"load average {load:.1f} at the start{busy}"} for r in results]
        report = {"command": "python benchmarks/user_defaults.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                  "machine": machine(), "runs": runs}
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
