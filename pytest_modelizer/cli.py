"""The `modelizer` command: list subjects, train and evaluate models outside a test run."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from pytest_modelizer import __version__
from pytest_modelizer.aspect import ASPECTS
from pytest_modelizer.cases import read_case_file, update_cases, write_case_file
from pytest_modelizer.data import held_out_inputs, pairs_path, read_inputs
from pytest_modelizer.errors import ModelizerRefusal, did_you_mean
from pytest_modelizer.learn import calibrate_pair, learn, recalibrate, trained_summary
from pytest_modelizer.registry import ConftestError, SubjectRegistry, UnknownSubjectError, subjects_from_file
from pytest_modelizer.samples import CORPUS_PARTS, SamplesError, corpus_part
from pytest_modelizer.session import ModelizerSession, ProgressBar, stderr_write
from pytest_modelizer.spec import ModelSpec
from pytest_modelizer.store import (
    MODEL_META_KEYS,
    SUFFIX,
    SUFFIXES,
    ModelArtifact,
    ModelError,
    ModelStore,
    atomic_write_bytes,
    load_artifact,
    read_meta,
    save_artifact,
)
from pytest_modelizer.subject import DIRECTIONS, UNDECLARED_VERSION, Subject
from pytest_modelizer.training_stack import MissingExtraError, require
from pytest_modelizer.validate import SubjectError, validate_subject


# Read when no --conftest is given: where a project's pytest_modelizer_subjects hook usually lives.
DEFAULT_CONFTESTS = ("conftest.py", "tests/conftest.py")
HOOK_DEFINITION = "def pytest_modelizer_subjects("


def common_options() -> argparse.ArgumentParser:
    """The options every command takes: where models live and which conftest files declare subjects."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--cache-dir", default=None,
                        help="model cache directory (default: $MODELIZER_CACHE_DIR, else .modelizer in the "
                             "nearest folder up from here with a pytest configuration file, where pytest keeps it)")
    common.add_argument("--conftest", type=Path, action="append", default=[],
                        help="a Python file whose pytest_modelizer_subjects(config) hook declares subjects "
                             f"(default: {' and '.join(DEFAULT_CONFTESTS)} here and at the project's root, where they declare some)")
    common.add_argument("--accept-drift", action="store_true",
                        help="use models whose program is installed in another version or was edited since "
                             "(pytest's --modelizer-accept-drift)")
    return common


def _parser() -> argparse.ArgumentParser:
    common = common_options()
    model = argparse.ArgumentParser(add_help=False)
    model.add_argument("subject")
    model.add_argument("--direction", choices=DIRECTIONS, default="forward")
    model.add_argument("--aspect", choices=ASPECTS, default="output",
                       help="what the model learns: the whole output, or only whether and how the program fails")
    model.add_argument("--pairs", type=int, help="synthesized pairs (changes the model key)")
    model.add_argument("--seed", type=int, help="synthesis and training seed (changes the model key)")
    model.add_argument("--device", default="cpu", help="torch device: cpu or cuda")

    parser = argparse.ArgumentParser(prog="modelizer", description=__doc__)
    parser.add_argument("--version", action="version", version=f"modelizer (pytest-modelizer) {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("subjects", parents=[common], help="list subjects, versions and model status")
    train = sub.add_parser("train", parents=[common, model], help="train a model of a subject")
    train.add_argument("--ship", action="store_true",
                       help="move the trained model into the subject's shipped models folder (and pair it there)")
    train.add_argument("--force", action="store_true",
                       help="train even if another process saved this model while this one waited for the lock")
    evaluate = sub.add_parser("eval", parents=[common, model], help="compare a model with the real program")
    evaluate.add_argument("--inputs", type=Path, help="JSON-lines file with an 'input' key per line")
    evaluate.add_argument("--part", choices=CORPUS_PARTS, default="all",
                          help="with --inputs: the corpus part to evaluate on, e.g. 'evaluation', the entries "
                               "that a subject's CorpusSamples leaves out of training (default: all)")
    evaluate.add_argument("--limit", type=int, help="evaluate at most N inputs (default: all, or 500 synthetic)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    prune = sub.add_parser("prune", parents=[common],
                           help="delete the cache's models and pairs that no declared subject uses any more")
    prune.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    sub.add_parser("calibrate", parents=[common, model],
                   help="store when to trust a model again, without retraining it (one calibrated by an "
                        "older version): re-synthesizes its training pairs and calibrates on their held-out part, "
                        "then with the model of the other direction where there is one")
    cases = sub.add_parser("cases", parents=[common],
                           help="propose failure-likely inputs with the failure models, confirmed on the real program")
    cases.add_argument("subject")
    cases.add_argument("--target", default="failure", help="'failure' (default), 'failure:KIND' or 'output:TEXT'")
    cases.add_argument("--budget", type=int, default=200, help="real-program executions to spend (default 200)")
    cases.add_argument("--count", type=int, default=10, help="cases to keep (default 10)")
    cases.add_argument("--seed", type=int, default=0)
    cases.add_argument("--file", type=Path, help="store the cases into this case file (with --test)")
    cases.add_argument("--test", help="the test name the cases belong to in --file, e.g. test_x or TestY::test_x")
    cases.add_argument("--json", action="store_true", help="print the cases as one JSON object")
    sub.add_parser("bench", add_help=False,
                   help="run one benchmark: latency, training, startup, failures (from a source checkout)")
    for command in sub.choices.values():
        command.set_defaults(command_parser=command)  # its usage, for an option it does not know
    return parser


def declared_subjects(conftests: Sequence[Path]) -> list[Subject]:
    """The subjects the `--conftest` files declare; without any, those of the usual conftest files here.

    A project's subjects are usually declared in its own conftest.py, which the command reads where
    pytest would find it from the project's root (the folder `modelizer` is run in): a user who
    declared a subject there can train and evaluate it by name, as in the test run.
    """
    if conftests:
        return [subject for path in conftests for subject in subjects_from_file(path)]
    found: list[Subject] = []
    here, root = Path.cwd().resolve(), rootdir()
    # Here, and at the project's root when run from below it (from `tests/`), as pytest would.
    candidates = dict.fromkeys([*(here / name for name in DEFAULT_CONFTESTS),
                                *(root / name for name in DEFAULT_CONFTESTS)])
    for path in candidates:
        # Only a file that defines the hook is imported: a test conftest's other side effects
        # (environment variables, plugins) are no business of this command.
        if path.is_file() and HOOK_DEFINITION in path.read_text(encoding="utf-8", errors="replace"):
            try:
                found.extend(subjects_from_file(path))
            except ConftestError as exc:  # the bundled subjects still work; say why the file's do not
                print(f"modelizer: warning: {exc}", file=sys.stderr)
    return found


# Files that make a folder pytest's rootdir when pytest runs there or below it.
ROOTDIR_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


def rootdir(start: Path | None = None) -> Path:
    """The nearest folder up from `start` (here) holding a pytest configuration file, else `start`:
    the rootdir pytest would use there, in the usual layouts."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if any((folder / name).is_file() for name in ROOTDIR_FILES):
            return folder
    return here


def default_cache_dir(start: Path | None = None) -> Path:
    """$MODELIZER_CACHE_DIR, else where pytest keeps the cache (`<rootdir>/.modelizer`). A command
    run from a project's `tests/` folder then finds the models pytest trained."""
    if os.environ.get("MODELIZER_CACHE_DIR"):
        return Path(os.environ["MODELIZER_CACHE_DIR"])
    return rootdir(start) / ".modelizer"


def session_for(args: argparse.Namespace) -> ModelizerSession:
    """The subjects (bundled and conftest-declared) and the model store the options name."""
    declared = declared_subjects(args.conftest)
    device = getattr(args, "device", "cpu")
    cache_dir = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    return ModelizerSession(SubjectRegistry.discover(declared), ModelStore(cache_dir.resolve()), device,
                            accept_drift=args.accept_drift, accept_drift_option="--accept-drift")


def _model(session: ModelizerSession, args: argparse.Namespace) -> ModelSpec:
    """The model the command names: subject, --direction, --aspect, and --pairs / --seed if given."""
    spec = session.spec(args.subject, args.direction, args.aspect)
    changes = {k: v for k, v in (("pairs", args.pairs), ("seed", args.seed)) if v is not None}
    return spec.with_training(spec.training.replace(**changes)) if changes else spec


def cmd_subjects(session: ModelizerSession, args: argparse.Namespace) -> int:
    print(f"models in {session.store.cache_dir} and each subject's shipped models")
    for name in session.registry.names():
        try:
            subject = session.registry.get(name)
        except SubjectError as exc:
            print(f"{name}  (not valid: {str(exc).replace(chr(10), ' ')})")
            continue
        status = subject.program_status()
        program = "version undeclared" if status.declared == UNDECLARED_VERSION else status.declared
        specs = [session.spec(subject, d, a) for a in ASPECTS for d in DIRECTIONS]
        try:
            keys = [spec.key for spec in specs]  # a key reads the subject's samples
        except SamplesError as exc:
            print(f"{name}  (subject version {subject.version}, program {program})")
            print(f"  its models cannot be looked up: {exc}")
            continue
        paths = {spec: session.model_path(spec) for spec in specs}
        here = ("" if not (status.absent or status.drift)
                else f"; {status.describe(model_here=any(paths.values()))}")
        print(f"{name}  (subject version {subject.version}, program {program}{here})")
        metas = {}
        for spec, key in zip(specs, keys):
            path = paths[spec]
            if path is not None:
                try:
                    meta = metas[spec] = load_artifact(path).meta
                except ModelError as exc:
                    print(f"  {spec.label:<8} key {key}: unreadable: {str(exc).removeprefix('modelizer: ')}")
                    continue
                exact = meta.get("metrics", {}).get("exact_match")
                fidelity = f", held-out exact match at training {exact:.1%}" if exact is not None and not spec.is_generator else ""
                status = f"ready ({path}{fidelity})"
            elif session.store.others(name, spec.label, subject.shipped_models):
                status = f"stale (run: modelizer train {name} --direction {spec.direction}{spec.aspect_args})"
            else:
                status = "missing"
            print(f"  {spec.label:<8} key {key}: {status}")
        for line in _unshipped_pairs(subject, paths, metas):
            print(f"  warning: {line}")
    return 0


def _unshipped_pairs(subject: Subject, paths: dict, metas: dict) -> list[str]:
    """Shipped models calibrated with a model of the other direction that is not shipped beside them.

    A fresh clone has only what is committed: such a model answers there at its own threshold,
    stricter (often 1.0 for a small model), and refuses what the developer's runs answered.
    """
    folder = subject.shipped_models
    lines = []
    for spec, path in paths.items():
        if path is None or folder is None or path.parent.resolve() != folder.resolve() or spec.is_failure:
            continue
        calibration = metas.get(spec, {}).get("calibration") or {}
        paired = calibration.get("paired") or {}
        other = paths.get(spec.reversed())
        if not paired or (other is not None and other.parent.resolve() == folder.resolve()):
            continue
        where = "only in the cache" if other is not None else "not here"
        lines.append(f"the shipped {spec.label} model's threshold {paired.get('threshold', 0):.3f} holds with the "
                     f"{spec.reversed().label} model it was calibrated with, which is {where}; without it a fresh "
                     f"clone answers at its own threshold {calibration.get('threshold', 1.0):.3f}. Ship both: "
                     f"modelizer train {subject.name} --direction {spec.reversed().direction} --ship")
    return lines


def cmd_train(session: ModelizerSession, args: argparse.Namespace) -> int:
    spec = _model(session, args)
    subject, label = spec.subject, spec.label
    validate_subject(subject)  # the lexers too, before minutes of synthesis
    session.require_program(subject, f"train the {label} model of {subject.name!r}")
    if args.ship and subject.shipped_models is None:
        raise ModelError(f"subject {subject.name!r} has no shipped_models folder to ship a model into; "
                         f"declare Subject(shipped_models=...) or train without --ship")
    session.check_device()
    store = session.store
    store.check_writable(subject.name)
    path = store.model_file(spec)
    before = _mtime(path)
    # The same lock as `pytest --modelizer-train` (and its xdist workers): one trainer per model.
    with store.lock(subject.name, label, waiting=lambda msg: stderr_write(f"modelizer: {msg}\n")):
        if not args.force and _mtime(path) not in (None, before):
            stderr_write(f"modelizer: another process saved {path} while this one waited for the lock; "
                         f"not training again (--force trains anyway)\n")
            artifact = load_artifact(path, MODEL_META_KEYS)
            trained = False
        elif args.ship and not args.force and before is not None and not session.source_changed(
                subject, read_meta(path)):
            # The model the user tried is the one to commit: training again could ship a worse one.
            stderr_write(f"modelizer: shipping the model already trained under this key ({path}); "
                         f"--force trains a new one first\n")
            artifact = load_artifact(path, MODEL_META_KEYS)
            trained = True  # newly placed: paired again where it is shipped
        else:
            bar = ProgressBar(stderr_write, tty=sys.stderr.isatty())
            try:
                artifact = learn(spec, store, args.device, log=bar.log, progress=bar.update)
            finally:
                bar.close()
            trained = True
    if args.ship:
        _ship(artifact, spec)
    # Outside the lock: pairing takes both directions' locks. A shipped model is paired where it was
    # shipped, and so is the other direction's shipped one: what is committed then carries the
    # threshold calibrated with the model committed beside it.
    for paired in calibrate_pair(spec, store, log=lambda m: stderr_write(m + "\n"), cached_only=not args.ship) \
            if trained else ():
        stderr_write(f"modelizer: {_paired_line(paired)}\n")
    metrics = artifact.metrics
    fidelity = (trained_summary(spec, artifact.meta) if spec.is_generator else
                f"held-out exact match {metrics['exact_match']:.1%} (n={metrics['n']}), BLEU {metrics['bleu']:.3f}")
    print(
        f"{spec.subject.name} {spec.label}: key {artifact.key}, {artifact.meta['parameters']:,} parameters, "
        f"{artifact.meta['train_seconds']} s training, {fidelity}; saved to {artifact.path}"
    )
    return 0


def _ship(artifact: ModelArtifact, spec: ModelSpec) -> None:
    """Move the model into its subject's shipped models folder, replacing that direction's earlier one.

    Moved, not copied: a copy left in the cache would be found first (`ModelStore.find`) and hide
    the shipped file, and what the user runs would no longer be what they commit. The new file is
    written (atomically) before anything is removed, so a run killed at any point loses no model.
    """
    folder = spec.subject.shipped_models
    assert folder is not None, "cmd_train checks this before training"
    shipped = folder / f"{spec.label}-{artifact.key}{SUFFIX}"
    trained_at = artifact.path
    if trained_at is not None and trained_at.suffix == SUFFIX:
        atomic_write_bytes(shipped, trained_at.read_bytes())  # as training stored it (16 or 32 bits)
    else:
        save_artifact(artifact, shipped)
    artifact.path = shipped
    for old in [p for suffix in SUFFIXES for p in folder.glob(f"{spec.label}-*{suffix}")]:
        if old != shipped:
            old.unlink()
    if trained_at is not None and trained_at != shipped:
        trained_at.unlink(missing_ok=True)


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def cmd_eval(session: ModelizerSession, args: argparse.Namespace) -> int:
    require("modelizer eval")
    # Modules that import numpy (or torch) load when a command needs a model, not for `--help`.
    from pytest_modelizer.evaluate import evaluate_inputs
    from pytest_modelizer.mock import MockProgram

    if args.part != "all" and not args.inputs:
        raise ValueError(f"modelizer eval --part {args.part} picks a part of a corpus: "
                         f"give the corpus with --inputs FILE.jsonl")
    spec = _model(session, args)
    subject = spec.subject
    session.require_program(subject, f"evaluate the {spec.label} model of {subject.name!r} against its program")
    path = session.model_path(spec)
    if path is None:
        raise ModelError(session.missing_message(spec).replace(
            "pytest --modelizer-train", f"modelizer train {subject.name} --direction {spec.direction}{spec.aspect_args}", 1))
    mock = MockProgram(spec, load_artifact(path, MODEL_META_KEYS), args.device)
    if args.inputs:
        inputs = corpus_part(read_inputs(args.inputs), args.part)[: args.limit]
        source = str(args.inputs) + ("" if args.part == "all" else f" ({args.part} part)")
    else:
        inputs = held_out_inputs(subject, args.limit or 500, spec.training, session.store.cache_dir)
        source = "synthetic held-out"
    # Only a model of the default configuration has a partner in the other direction to check with.
    other = session.other_direction(spec) if spec is session.spec(subject, spec.direction, spec.aspect) else None
    # Synthetic inputs are the grammar's own; real ones are split by whether the grammar describes them.
    report = evaluate_inputs(mock, inputs, log=lambda message: stderr_write(f"modelizer: {message}\n"), other=other,
                             split_by_grammar=bool(args.inputs))
    report["inputs"] = source
    report["part"] = args.part if args.inputs else None
    if args.inputs and subject.samples is not None:
        trained_on = set(subject.loaded_samples()[: spec.training.pairs // 2])  # what training takes of them
        report["in_training_samples"] = sum(text in trained_on for text in inputs)
        if report["in_training_samples"]:
            stderr_write(
                f"modelizer: {report['in_training_samples']} of the {len(inputs)} inputs are samples the model was "
                f"trained on (Subject(samples=...)): this measures how well it learnt them, not how it does on "
                f"inputs it has not seen. Keep a corpus's evaluation part apart: "
                f"Subject(samples=CorpusSamples(FILE)) trains on its sample part, and --part evaluation reads the rest\n")
    if args.json:
        print(json.dumps(report, sort_keys=True))
    else:
        print(
            f"{spec.subject.name} {spec.label} on {source} (n={report['n']}): exact match {report['exact_match']:.1%}, "
            f"BLEU {report['bleu']:.3f} ± {report['bleu_se']:.3f}, token accuracy {report['token_accuracy']:.1%}, "
            f"coverage {report['coverage']:.1%} (inputs read {report['query_coverage']:.1%}); "
            f"mock {report['mock_ms_per_call']:.3g} ms/call, "
            f"program {report['program_ms_per_call']:.3g} ms/call"
        )
        if "by_grammar" in report:
            print("  by the input grammar: " + "; ".join(f"{name} {part['n']} inputs, {part['exact_match']:.1%} exact"
                                                         for name, part in report["by_grammar"].items()))
        uncovered = report.get("uncovered")
        if uncovered:
            why = ", ".join(f"{count} {reason}" for reason, count in uncovered["why"].items())
            tokens = ", ".join(f"{token!r} ({count})" for token, count in uncovered["unseen_tokens"][:8])
            print(f"  uncovered: {uncovered['n']} inputs ({why})" + (f"; tokens never seen in training, by the "
                                                                    f"inputs they leave uncovered: {tokens}" if tokens else ""))
    return 0


def cmd_prune(session: ModelizerSession, args: argparse.Namespace) -> int:
    """Stale files of known subjects go; folders of subjects not declared here are listed, never touched."""
    cache = session.store.cache_dir
    if not cache.is_dir():
        print(f"nothing to prune: {cache} does not exist")
        return 0
    freed, stale = 0, []
    for folder in sorted(p for p in cache.iterdir() if p.is_dir()):
        try:
            subject = session.registry.get(folder.name)
        except UnknownSubjectError:
            print(f"kept {folder}: no subject {folder.name!r} is declared here (add its --conftest to prune it)")
            continue
        keep = set()
        for spec in [session.spec(subject, d, a) for a in ASPECTS for d in DIRECTIONS]:
            keep.add(pairs_path(subject, spec.training, cache).name)
            keep.update(f"{spec.label}-{spec.key}{suffix}" for suffix in SUFFIXES)
        stale += [p for p in folder.iterdir() if p.is_file() and p.suffix in (*SUFFIXES, ".jsonl") and p.name not in keep]
    for path in stale:
        freed += path.stat().st_size
        if not args.dry_run:
            path.unlink()
        print(f"{'would delete' if args.dry_run else 'deleted'} {path}")
    print(f"{len(stale)} stale files, {freed / 1e6:.1f} MB{' (dry run)' if args.dry_run else ''}")
    return 0


def _paired_line(artifact) -> str:
    paired = artifact.meta["calibration"]["paired"]
    return (f"{artifact.meta['subject']} {artifact.meta['direction']}, checked by the model of the other direction "
            f"(key {paired['other']}): threshold {paired['threshold']:.4f}, {paired['answered']:.1%} of {paired['n']} "
            f"held-out pairs answered, {paired['exact_among_answered'] or 0:.1%} of them exact; saved to {artifact.path}")


def cmd_calibrate(session: ModelizerSession, args: argparse.Namespace) -> int:
    spec = _model(session, args)
    session.require_program(spec.subject, f"calibrate the {spec.label} model of {spec.subject.name!r}")
    path = session.model_path(spec)
    if path is None:
        raise ModelError(session.missing_message(spec))
    artifact = recalibrate(spec, session.store, path, log=lambda m: stderr_write(m + "\n"))
    calibration = artifact.meta["calibration"]
    print(f"{spec.subject.name} {spec.label}: threshold {calibration['threshold']:.4f}, "
          f"{calibration['answered']:.1%} of {calibration['n']} held-out pairs answered, "
          f"{calibration['exact_among_answered'] or 0:.1%} of them exact; saved to {artifact.path}")
    for paired in calibrate_pair(spec, session.store, log=lambda m: stderr_write(m + "\n"), cached_only=False):
        print(_paired_line(paired))
    for kind, classes in (calibration.get("content_classes") or {}).items():
        print(f"  {kind} values may hold: {' '.join(repr(c) if len(c) == 1 else c + 's' for c in classes)}")
    for kind, chars in (calibration.get("content_runs") or {}).items():
        print(f"  {kind} values may hold runs of: {' '.join(map(repr, chars)) or '(none)'}")
    for kind, by_word in (calibration.get("special_words") or {}).items():
        print(f"  {kind} values treated specially: {' '.join(sorted(by_word))}")
    return 0


def cmd_cases(session: ModelizerSession, args: argparse.Namespace) -> int:
    if (args.file is None) != (args.test is None):
        raise ValueError("--file and --test go together: the case file and the test whose entry to write")
    subject = session.registry.get(args.subject)
    session.require_program(subject, f"find failure-likely inputs of {subject.name!r}")
    tests = read_case_file(args.file) if args.file and args.file.is_file() else {}
    cases, report = update_cases(session, subject, args.target, args.count, args.budget,
                                 tests.get(args.test) if args.test else None, log=lambda m: stderr_write(m + "\n"),
                                 seed=args.seed)
    if args.file:
        tests[args.test] = cases
        write_case_file(args.file, tests)
    if args.json:
        print(json.dumps({**cases.to_json(), "new": report.new, "unchanged": report.unchanged,
                          "changed": len(report.changed), "edited": len(report.edited)}, ensure_ascii=False,
                         sort_keys=True))
    else:
        for case in cases.cases:
            print(f"{case.id}\t{case.input!r}\t{case.expected}")
        where = f" into {args.file} ({args.test})" if args.file else ""
        edited = f", {len(report.edited)} edited by hand" if report.edited else ""
        print(f"{len(cases.cases)} cases ({report.new} new, {report.unchanged} unchanged, "
              f"{len(report.changed)} changed{edited}){where}", file=sys.stderr)
    return 0


def run_benchmark(argv: Sequence[str]) -> int:
    """`modelizer bench ...`: the benchmarks ship with the source, not the package; run them from a checkout."""
    checkout = Path(__file__).resolve().parent.parent
    if not (checkout / "benchmarks" / "bench.py").is_file():
        print("modelizer: error: the benchmarks are not part of the installed package; from a source checkout run "
              "`python -m benchmarks.bench KIND SUBJECT ...` or `python benchmarks/run.py` (see benchmarks/README.md)",
              file=sys.stderr)
        return 2

    try:
        require(f"modelizer bench {' '.join(argv[:1])}".strip())
    except MissingExtraError as exc:
        print(str(exc).replace("modelizer: ", "modelizer: error: ", 1), file=sys.stderr)
        return 2
    sys.path.insert(0, str(checkout))
    from benchmarks.bench import main as bench_main

    return bench_main(argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        return run_benchmark(argv[1:])
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # the command's own usage, and the option likely meant, not the top level's
        command = args.command_parser
        options = [o for action in command._actions for o in action.option_strings]  # noqa: SLF001 - argparse's own list
        meant = did_you_mean(unknown[0].split("=", 1)[0], options) if unknown[0].startswith("-") else ""
        command.error(f"unrecognized arguments: {' '.join(unknown)}{meant}")
    commands = {"subjects": cmd_subjects, "train": cmd_train, "eval": cmd_eval,
                "cases": cmd_cases, "calibrate": cmd_calibrate, "prune": cmd_prune}
    try:
        return commands[args.command](session_for(args), args)
    except (ModelError, UnknownSubjectError, ValueError, LookupError, FileNotFoundError, ModelizerRefusal) as exc:
        hint = ""
        if isinstance(exc, UnknownSubjectError) and not args.conftest:
            hint = (f" (read here and at the project's root, {rootdir()}: {', '.join(DEFAULT_CONFTESTS)} where they "
                    "define the hook; name another file with --conftest FILE)")
        message = str(exc).removeprefix("modelizer: ")  # messages shared with the plugin name it already
        print(f"modelizer: error: {message}{hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # files are written atomically: nothing half-written is left behind
        print("modelizer: interrupted; nothing was saved by the interrupted step", file=sys.stderr)
        return 130
