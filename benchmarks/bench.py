"""`python -m benchmarks.bench KIND SUBJECT`: one benchmark of a subject's model, reported as text or JSON.

KIND is `latency`, `training`, `startup` or `failures` (`--help` after it lists its options);
`benchmarks/run.py` runs each in a fresh process and keeps the JSON. `modelizer bench ...` from a
source checkout runs this too.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from pytest_modelizer.cli import common_options, session_for
from pytest_modelizer.registry import UnknownSubjectError
from pytest_modelizer.store import ModelError
from pytest_modelizer.subject import DIRECTIONS


def parser() -> argparse.ArgumentParser:
    common = common_options()
    bench = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.splitlines()[0])
    kinds = bench.add_subparsers(dest="bench", required=True)
    target = argparse.ArgumentParser(add_help=False)
    target.add_argument("subject")
    target.add_argument("--direction", choices=DIRECTIONS, default="forward")
    target.add_argument("--json", action="store_true", help="print one JSON object")
    failures = kinds.add_parser("failures", parents=[common, target],
                                help="failures found per budget of real runs: model-driven vs fuzzingbook's fuzzers")
    failures.add_argument("--budget", type=int, default=1000, help="real-program executions per method and seed")
    failures.add_argument("--seeds", type=int, default=3, help="seeds to average over (default 3)")
    latency = kinds.add_parser("latency", parents=[common, target],
                               help="mock (unbatched, batched) vs the real program vs no-KV-cache decoding")
    latency.add_argument("--calls", type=int, default=200, help="inputs to time (default 200)")
    latency.add_argument("--inputs", type=Path, help="JSON-lines file with an 'input' key per line")
    latency.add_argument("--baseline-calls", type=int, help="inputs decoded without KV cache (default min(calls, 50))")
    latency.add_argument("--model", type=Path, help="time this model file instead of the subject's current one")
    latency.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    training = kinds.add_parser("training", parents=[common, target],
                                help="train with our configuration and the paper's; speed, fidelity, memory")
    training.add_argument("--minutes", type=float, default=5.0, help="time limit per configuration (default 5)")
    training.add_argument("--target", type=float, default=0.95, help="exact match to time (default 0.95)")
    training.add_argument("--configs", default="ours,paper", help="comma-separated: ours, paper")
    startup = kinds.add_parser("startup", parents=[common, target],
                               help="plugin import, pytest with/without the plugin, model load + first call")
    startup.add_argument("--repeats", type=int, default=5, help="fresh processes per measurement (default 5)")
    startup.add_argument("--model", type=Path, help="load this model file instead of the subject's current one")
    return bench


def run(args: argparse.Namespace) -> int:
    """Run the benchmark `args` names and print its report (`--json`: one JSON object)."""
    from benchmarks import failures, latency, startup, training
    from pytest_modelizer.data import read_inputs

    session = session_for(args)
    registry, store = session.registry, session.store
    if args.bench == "failures":
        report = failures.run_failures(registry, store, args.subject, args.budget, range(args.seeds))
        text = (f"{args.subject}, {args.budget} executions x {args.seeds} seeds: model {report['model_failures']:.0f} "
                f"failures, {report['model_kinds']:.1f} kinds; best baseline ({report['baseline']}) "
                f"{report['baseline_failures']:.0f} failures, {report['baseline_kinds']:.1f} kinds; ratio "
                f"{report['ratio']:.1f}x, kinds ratio {report['kinds_ratio']:.2f}x")
    elif args.bench == "latency":
        if args.threads:
            import torch

            torch.set_num_threads(args.threads)
        inputs = read_inputs(args.inputs) if args.inputs else None
        report = latency.run_latency(registry, store, args.subject, args.direction, args.calls,
                                     inputs, args.baseline_calls, args.model)
        text = (f"{args.subject} {args.direction}, {report['calls']} calls, {report['threads']} threads: mock "
                f"{report['mock_ms_per_call']:.2f} ms/call, batched {report['mock_batched_ms_per_call']:.2f}, program "
                f"{report['program_ms_per_call']:.2f} (wall {report['program_wall_ms_per_call']:.2f}), no-KV-cache "
                f"baseline {report['baseline_ms_per_call']:.2f}; batched/program {report['ratio_vs_program']:.2f}x, "
                f"batched/baseline {report['ratio_vs_baseline']:.3f}x; cached == uncached: "
                f"{report['outputs_identical']}")
    elif args.bench == "training":
        configs = [c.strip() for c in args.configs.split(",") if c.strip()]
        report = training.run_training(registry, store, args.subject, args.direction, args.minutes,
                                       args.target, configs, args.conftest)
        lines = [f"{args.subject} {args.direction}, {report['pairs']} pairs, at most {args.minutes:g} min each:"]
        for label, r in report["configs"].items():
            reached = f"{r['time_to_target_s']:.0f} s" if r["time_to_target_s"] is not None else "not reached"
            lines.append(f"  {label}: {r['parameters']:,} parameters, {r['pairs_per_s']:.0f} pairs/s, {r['steps']} "
                         f"steps, held-out exact match {r['held_out_exact_match']:.1%}, {args.target:.0%} "
                         f"{reached}, peak RSS {r['peak_rss_mb']:.0f} MB")
        text = "\n".join(lines)
    else:
        report = startup.bench_startup(registry, store, args.subject, args.direction, args.repeats,
                                       args.conftest, args.model)
        text = (f"import plugin {report['import']['import_plugin']['min_ms']:.0f} ms (python -c pass "
                f"{report['import']['python_pass']['min_ms']:.0f} ms); pytest run +"
                f"{report['pytest_plugin_overhead_ms']['min_ms']:.0f} ms with the plugin (min); model load + first "
                f"call {report['load']['load_and_first_s']['min_ms']:.0f} ms (with imports "
                f"{report['load']['total_s']['min_ms']:.0f} ms)")
    print(json.dumps(report, sort_keys=True) if args.json else text)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run(args)
    except (ModelError, UnknownSubjectError, ValueError, LookupError, FileNotFoundError) as exc:
        print(f"modelizer: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
