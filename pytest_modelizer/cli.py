"""The `modelizer` command: list subjects, train and evaluate models outside a test run."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from pytest_modelizer.registry import SubjectRegistry, UnknownSubjectError, subjects_from_file
from pytest_modelizer.session import ModelizerSession, ProgressBar, stderr_write
from pytest_modelizer.store import ModelError, ModelStore, load_artifact, read_meta
from pytest_modelizer.subject import DIRECTIONS, Subject


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--cache-dir", default=os.environ.get("MODELIZER_CACHE_DIR", ".modelizer"),
                        help="model cache directory (default: $MODELIZER_CACHE_DIR or ./.modelizer)")
    common.add_argument("--conftest", type=Path, action="append", default=[],
                        help="a Python file whose pytest_modelizer_subjects(config) hook declares subjects")
    model = argparse.ArgumentParser(add_help=False)
    model.add_argument("subject")
    model.add_argument("--direction", choices=DIRECTIONS, default="forward")
    model.add_argument("--pairs", type=int, help="synthesized pairs (changes the model key)")
    model.add_argument("--seed", type=int, help="synthesis and training seed (changes the model key)")
    model.add_argument("--device", default="cpu", help="torch device: cpu or cuda")

    parser = argparse.ArgumentParser(prog="modelizer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("subjects", parents=[common], help="list subjects, versions and model status")
    train = sub.add_parser("train", parents=[common, model], help="train a model of a subject")
    train.add_argument("--ship", action="store_true",
                       help="write the model into the subject's shipped models folder instead of the cache")
    evaluate = sub.add_parser("eval", parents=[common, model], help="compare a model with the real program")
    evaluate.add_argument("--inputs", type=Path, help="JSON-lines file with an 'input' key per line")
    evaluate.add_argument("--limit", type=int, help="evaluate at most N inputs (default: all, or 500 synthetic)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _session(args: argparse.Namespace) -> ModelizerSession:
    declared: list[Subject] = []
    for path in args.conftest:
        declared.extend(subjects_from_file(path))
    device = getattr(args, "device", "cpu")
    return ModelizerSession(SubjectRegistry.discover(declared), ModelStore(Path(args.cache_dir).resolve()), device)


def _training(subject: Subject, args: argparse.Namespace):
    changes = {k: v for k, v in (("pairs", args.pairs), ("seed", args.seed)) if v is not None}
    return subject.training.replace(**changes) if changes else subject.training


def cmd_subjects(session: ModelizerSession, args: argparse.Namespace) -> int:
    for name in session.registry.names():
        subject = session.registry.get(name)
        print(f"{name}  (subject {subject.version}, program {subject.resolved_program_version()})")
        for direction in DIRECTIONS:
            path = session.model_path(subject, direction)
            if path is not None:
                meta = read_meta(path) or {}
                exact = meta.get("metrics", {}).get("exact_match")
                fidelity = f", held-out exact match {exact:.1%}" if exact is not None else ""
                status = f"ready ({path}{fidelity})"
            elif session.store.others(name, direction, subject.shipped_models):
                status = f"stale (run: modelizer train {name} --direction {direction})"
            else:
                status = "missing"
            print(f"  {direction:<8} key {subject.model_key(direction)}: {status}")
    return 0


def cmd_train(session: ModelizerSession, args: argparse.Namespace) -> int:
    from pytest_modelizer.learn import learn

    subject = session.registry.get(args.subject)
    training = _training(subject, args)
    session.check_device()
    bar = ProgressBar(stderr_write)
    artifact = learn(subject, args.direction, session.store, training, args.device, log=bar.log, progress=bar.update)
    bar.close()
    if args.ship:
        if subject.shipped_models is None:
            raise ModelError(f"subject {subject.name!r} has no shipped_models folder")
        from pytest_modelizer.store import save_artifact

        for old in subject.shipped_models.glob(f"{args.direction}-*.pt"):
            old.unlink()
        save_artifact(artifact, subject.shipped_models / f"{args.direction}-{artifact.key}.pt")
    metrics = artifact.metrics
    print(
        f"{subject.name} {args.direction}: key {artifact.key}, {artifact.meta['parameters']:,} parameters, "
        f"{artifact.meta['train_seconds']} s training, held-out exact match {metrics['exact_match']:.1%} "
        f"(n={metrics['n']}), BLEU {metrics['bleu']:.3f}; saved to {artifact.path}"
    )
    return 0


def _held_out_inputs(subject: Subject, training, limit: int) -> list[str]:
    """Fresh synthetic inputs: another seed than training's, without any training input."""
    from pytest_modelizer.synthesis import SynthesisPlan, synthesize

    plan = SynthesisPlan(limit * 2, training.seed + 7919, training.max_nonterminals, training.coverage_share,
                         training.max_input_chars, subject.start_symbol)
    return synthesize(subject.grammar, plan)


def cmd_eval(session: ModelizerSession, args: argparse.Namespace) -> int:
    from pytest_modelizer.data import read_inputs, synthesis_key, read_pairs
    from pytest_modelizer.evaluate import evaluate_inputs
    from pytest_modelizer.mock import MockProgram

    subject = session.registry.get(args.subject)
    training = _training(subject, args)
    key = subject.model_key(args.direction, training)
    path = session.store.find(subject.name, args.direction, key, subject.shipped_models)
    if path is None:
        raise ModelError(session.missing_message(subject, args.direction).replace(
            "pytest --modelizer-train", f"modelizer train {subject.name} --direction {args.direction}", 1))
    mock = MockProgram(subject, args.direction, load_artifact(path), args.device)
    if args.inputs:
        inputs = read_inputs(args.inputs)[: args.limit]
        source = str(args.inputs)
    else:
        limit = args.limit or 500
        pairs_file = session.store.cache_dir / subject.name / f"pairs-{synthesis_key(subject, training)}.jsonl"
        seen = {p.input for p in read_pairs(pairs_file)} if pairs_file.is_file() else set()
        inputs = [x for x in _held_out_inputs(subject, training, limit) if x not in seen][:limit]
        source = "synthetic held-out"
    report = evaluate_inputs(mock, inputs)
    report["inputs"] = source
    if args.json:
        print(json.dumps(report, sort_keys=True))
    else:
        print(
            f"{subject.name} {args.direction} on {source} (n={report['n']}): exact match {report['exact_match']:.1%}, "
            f"BLEU {report['bleu']:.3f} ± {report['bleu_se']:.3f}, token accuracy {report['token_accuracy']:.1%}, "
            f"coverage {report['coverage']:.1%}; mock {report['mock_ms_per_call']:.2f} ms/call, "
            f"program {report['program_ms_per_call']:.2f} ms/call"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"subjects": cmd_subjects, "train": cmd_train, "eval": cmd_eval}
    try:
        return commands[args.command](_session(args), args)
    except (ModelError, UnknownSubjectError, ValueError, LookupError, FileNotFoundError) as exc:
        print(f"modelizer: error: {exc}", file=sys.stderr)
        return 2
