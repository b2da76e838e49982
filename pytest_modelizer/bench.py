"""Benchmarks: mock latency against the program and the paper-style baseline, training speed, startup.

Three measurements, each returning one JSON-ready dict (see `modelizer bench --help`):

- `bench_latency`: on the same fresh inputs, the mock unbatched and batched (KV cache), the real
  program in its worker process, and the paper's decoding (no KV cache, one input at a time) on
  the same model; plus a check that cached and uncached decoding agree.
- `bench_training`: our training configuration against the paper's (d_model 256, 8 heads, 1+1
  layers, d_ff 1024, AdamW 5e-4, batch size 1), each in a fresh subprocess for a clean peak RSS.
- `bench_startup`: fresh interpreters timing the plugin import, a trivial pytest run with and
  without the plugin, and loading a cached model plus its first prediction.
- `run_failures`: with the same budget of real-program executions, failures and distinct failure
  kinds found by the model-driven generator against fuzzingbook's coverage and probabilistic
  fuzzers on the subject's own grammar, over several seeds.

Only the standard library and torch are used for timing (`time.perf_counter`, `resource`).
Run as `python -m pytest_modelizer.bench JSON` it is the worker of the subprocess measurements.
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterator, Sequence

from pytest_modelizer.config import ModelConfig, TrainingConfig
from pytest_modelizer.registry import SubjectRegistry, subjects_from_file
from pytest_modelizer.store import ModelError, ModelStore
from pytest_modelizer.subject import Subject

# Seed offset for benchmark inputs: apart from training (seed) and `modelizer eval` (seed + 7919).
INPUT_SEED_OFFSET = 104729


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------

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


def _ms(seconds: float, n: int) -> float:
    return 1000.0 * seconds / max(1, n)


def _summary(values: Sequence[float]) -> dict[str, float]:
    """min and median of seconds, in milliseconds."""
    return {"min_ms": 1000 * min(values), "median_ms": 1000 * statistics.median(values)}


def find_model(store: ModelStore, subject: Subject, direction: str, training: TrainingConfig | None = None) -> Path:
    """The model file `modelizer eval` would use: the cache dir first, then the shipped folder."""
    key = subject.model_key(direction, training)
    label = subject.model_label(direction)
    path = store.find(subject.name, label, key, subject.shipped_models)
    if path is None:
        aspect = f" --aspect {subject.aspect}" if subject.aspect != "output" else ""
        raise ModelError(
            f"no {label} model of {subject.name!r} with key {key} in {store.cache_dir} or the shipped models; "
            f"train it first: modelizer train {subject.name} --direction {direction}{aspect} --cache-dir {store.cache_dir}"
        )
    return path


def fresh_inputs(subject: Subject, count: int, training: TrainingConfig | None = None,
                 cache_dir: Path | None = None) -> list[str]:
    """Up to `count` fresh inputs, from a seed apart from training's and `modelizer eval`'s."""
    from pytest_modelizer.data import held_out_inputs

    return held_out_inputs(subject, count, training or subject.training, cache_dir, INPUT_SEED_OFFSET)


# ---------------------------------------------------------------------------------------------
# Latency
# ---------------------------------------------------------------------------------------------

def _baseline_predict(mock, text: str) -> tuple[str, ...]:
    """Like `MockProgram.predict` (same tokenizing and detokenizing) but with paper-style decoding."""
    import random

    tokens, mapping = mock.encode(text)
    out = mock.torch_decoder.decode_uncached([mock.src_vocab.encode(tokens)], max_len=mock.model_config.max_len)[0]
    predicted = tuple(mock.tgt_vocab.decode(out))
    mock.decode_prediction(predicted, mapping, random.Random(text))
    return predicted


@contextlib.contextmanager
def _decoding_with(mock, decoder) -> Iterator[None]:
    """`mock` decodes with `decoder` for the block."""
    previous, mock.decoder = mock.decoder, decoder
    try:
        yield
    finally:
        mock.decoder = previous


BATCH_ROUNDS = 3


def _batch(mock, queries: list[str]) -> tuple[list[tuple[str, ...]], float]:
    """Predicted tokens and seconds of one `predict_batch` over the queries, memo cleared."""
    mock.clear_memo()
    start = time.perf_counter()
    tokens = [p.tokens for p in mock.predict_batch(queries)]
    return tokens, time.perf_counter() - start


def _one_at_a_time(mock, queries: list[str]) -> tuple[list[tuple[str, ...]], list[float]]:
    """Predicted tokens and seconds of one `predict` per query, after a warm-up call, memo cleared."""
    mock.predict(queries[0])
    mock.clear_memo()
    tokens, seconds = [], []
    for q in queries:
        start = time.perf_counter()
        tokens.append(mock.predict(q).tokens)
        seconds.append(time.perf_counter() - start)
    return tokens, seconds


def bench_latency(mock, inputs: Sequence[str], baseline_calls: int | None = None) -> dict[str, Any]:
    """Time the mock (unbatched, batched), the real program and the no-KV-cache baseline on `inputs`.

    `mock` is a loaded `MockProgram`. Inputs the model cannot represent are dropped first; for an
    inverse model the queries are the program's successful outputs on `inputs`.
    """
    import torch

    from pytest_modelizer.runner import ProgramRunner

    subject, direction = mock.subject, mock.direction
    texts = list(dict.fromkeys(inputs))
    with ProgramRunner(subject, workers=1) as runner:
        if texts:
            runner.run(texts[0])  # start the worker outside the measurement
        runs, walls = [], []
        for text in texts:
            start = time.perf_counter()
            runs.append(runner.run(text))
            walls.append(time.perf_counter() - start)
    if direction == "forward":
        rows = [(text, text, run, wall) for text, run, wall in zip(texts, runs, walls)]
    else:
        rows = [(run.behaviour.output or "", text, run, wall) for text, run, wall in zip(texts, runs, walls)
                if run.behaviour.ok]
    rows = [r for r in rows if mock.covers(r[0])]
    rows = list({r[0]: r for r in rows}.values())  # inverse: distinct outputs only
    if not rows:
        raise ValueError(f"none of the {len(texts)} inputs is covered by the {direction} model of {subject.name!r}")
    queries = [r[0] for r in rows]
    n = len(queries)
    k = max(1, min(n, baseline_calls if baseline_calls is not None else 50))

    # Warm up each decoding path once (thread pools, allocator), then measure from a cleared memo.
    _baseline_predict(mock, queries[0])
    unbatched, each_s = _one_at_a_time(mock, queries)
    unbatched_s = sum(each_s)
    # The same calls one at a time through torch's KV-cached decoder.
    with _decoding_with(mock, mock.torch_decoder):
        unbatched_torch, torch_s = _one_at_a_time(mock, queries)
    # Batched, numpy and torch in turn, the best of BATCH_ROUNDS each: a load spike on a shared
    # machine then slows one round of one side, not the comparison.
    batched_runs, batched_torch_runs = [], []
    for _ in range(BATCH_ROUNDS):
        batched, seconds = _batch(mock, queries)
        batched_runs.append(seconds)
        with _decoding_with(mock, mock.torch_decoder):
            batched_torch, seconds = _batch(mock, queries)
        batched_torch_runs.append(seconds)
    batched_s, batched_torch_s = min(batched_runs), min(batched_torch_runs)
    mock.clear_memo()
    start = time.perf_counter()
    baseline = [_baseline_predict(mock, q) for q in queries[:k]]
    baseline_s = time.perf_counter() - start

    mock_ms, batched_ms, baseline_ms = _ms(unbatched_s, n), _ms(batched_s, n), _ms(baseline_s, k)
    program_ms = _ms(sum(r[2].seconds for r in rows), n)
    program_wall_ms = _ms(sum(r[3] for r in rows), n)
    # Medians too: a few timeouts (pandoc's markdown reader) dominate a mean of program times.
    program_median_ms = 1000 * statistics.median(r[2].seconds for r in rows)
    mock_median_ms = 1000 * statistics.median(each_s)
    return {
        "subject": subject.name,
        "direction": direction,
        "key": mock.artifact.key,
        "parameters": mock.info.parameters,
        "threads": torch.get_num_threads(),
        "calls": n,
        "inputs_given": len(texts),
        "baseline_calls": k,
        "mock_ms_per_call": mock_ms,
        "mock_batched_ms_per_call": batched_ms,
        "program_ms_per_call": program_ms,
        "program_wall_ms_per_call": program_wall_ms,
        "program_median_ms": program_median_ms,
        "mock_median_ms": mock_median_ms,
        "mock_torch_ms_per_call": _ms(sum(torch_s), n),
        "mock_torch_median_ms": 1000 * statistics.median(torch_s),
        "numpy_speedup": sum(torch_s) / unbatched_s if unbatched_s else None,
        "mock_batched_torch_ms_per_call": _ms(batched_torch_s, n),
        "batched_numpy_speedup": batched_torch_s / batched_s if batched_s else None,
        "baseline_ms_per_call": baseline_ms,
        "ratio_vs_program": batched_ms / program_ms if program_ms else None,
        "ratio_unbatched_vs_program": mock_ms / program_ms if program_ms else None,
        "ratio_unbatched_vs_program_median": mock_median_ms / program_median_ms if program_median_ms else None,
        "ratio_vs_program_wall": batched_ms / program_wall_ms if program_wall_ms else None,
        "ratio_vs_baseline": batched_ms / baseline_ms if baseline_ms else None,
        # The baseline runs on the first `baseline_calls` inputs: the KV cache alone (both in torch) on those.
        "mock_torch_ms_per_call_baseline_inputs": _ms(sum(torch_s[:k]), k),
        "kv_cache_speedup": baseline_s / sum(torch_s[:k]) if sum(torch_s[:k]) else None,
        "outputs_identical": baseline == unbatched[:k],  # KV cache vs none, one input at a time
        "numpy_identical": unbatched_torch == unbatched,  # numpy vs torch decoding of single inputs
        "batched_numpy_identical": batched_torch == batched,  # numpy vs torch batched decoding
        "batched_identical": batched == unbatched,  # batched (padded) vs one at a time
        "mean_input_tokens": statistics.mean(len(mock.encode(q)[0]) for q in queries),
        "mean_output_tokens": statistics.mean(len(t) for t in unbatched),
        "machine": machine(),
    }


def run_latency(registry: SubjectRegistry, store: ModelStore, name: str, direction: str = "forward",
                calls: int = 200, inputs: Sequence[str] | None = None, baseline_calls: int | None = None,
                model: Path | None = None, device: str = "cpu") -> dict[str, Any]:
    """`bench_latency` for a subject's model (looked up like `modelizer eval`) on fresh or given inputs."""
    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.store import load_artifact

    subject = registry.get(name)
    path = model or find_model(store, subject, direction)
    mock = MockProgram(subject, direction, load_artifact(path), device)
    if inputs is None:
        # Synthesize extra: some inputs are not covered by the model and are dropped.
        candidates = fresh_inputs(subject, calls * 2, cache_dir=store.cache_dir)
        texts = [t for t in candidates if direction == "inverse" or mock.covers(t)][:calls]
        source = "synthetic held-out"
    else:
        texts = list(inputs)[:calls]
        source = "given"
    report = bench_latency(mock, texts, min(calls, 50) if baseline_calls is None else baseline_calls)
    report.update(inputs=source, model=str(path))
    return report


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

def paper_training(ours: TrainingConfig, minutes: float) -> TrainingConfig:
    """The paper's setup in our code: d 256, 8 heads, 1+1 layers, d_ff 1024, AdamW 5e-4, batch size 1.

    No warmup, the same cosine as ours (over 10 epochs or the time limit, whichever comes first: it
    decays by the time limit), no early stop, the usual Transformer dropout of 0.1 (a subject's own
    dropout is tuning of ours); other model options (max_len, positions, vocabularies) are ours.
    """
    model = ModelConfig(**{**asdict(ours.model), "d_model": 256, "n_heads": 8, "enc_layers": 1, "dec_layers": 1,
                           "d_ff": 1024, "dropout": 0.1})
    return ours.replace(model=model, lr=5e-4, batch_size=1, max_epochs=10, warmup_steps=0, patience=10**9,
                        max_minutes=minutes, eval_every_pairs=2000)


def training_configs(subject: Subject, minutes: float) -> dict[str, TrainingConfig]:
    ours = subject.training.replace(max_minutes=min(subject.training.max_minutes, minutes))
    return {"ours": ours, "paper": paper_training(subject.training, minutes)}


def _train_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: train one configuration on the subject's cached pairs; report speed and memory."""
    import resource

    import torch

    from pytest_modelizer.data import synthesize_pairs
    from pytest_modelizer.learn import prepare
    from pytest_modelizer.model import Seq2Seq
    from pytest_modelizer.train import exact_match, train_model

    subject = _subject(spec)
    training = TrainingConfig(**{**spec["training"], "model": ModelConfig(**spec["training"]["model"])})
    direction = spec["direction"]
    pairs = synthesize_pairs(subject, training, Path(spec["cache_dir"]))
    data = prepare(subject, direction, training, pairs)  # the same preparation as `learn`
    train, val, test, src_vocab, tgt_vocab = data.train, data.val, data.test, data.src_vocab, data.tgt_vocab
    ids = data.ids

    torch.manual_seed(training.seed)
    model = Seq2Seq(training.model, len(src_vocab), len(tgt_vocab))
    curve: list[dict[str, float]] = []

    def progress(p) -> None:
        if p.val_exact is not None:
            curve.append({"seconds": round(p.elapsed_s, 2), "step": p.step, "exact_match": p.val_exact})

    result = train_model(model, ids(train), ids(val), training, device=spec.get("device", "cpu"), progress=progress)
    test_ids = ids(test)  # already within max_len
    held_out = exact_match(model, test_ids)
    target = spec["target"]
    reached = next((c["seconds"] for c in curve if c["exact_match"] >= target), None)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_bytes = rss if sys.platform == "darwin" else rss * 1024  # Linux reports KiB, macOS bytes
    return {
        "parameters": model.num_parameters(),
        "train_pairs": len(train),
        "val_pairs": len(val),
        "test_pairs": len(test_ids),
        "pairs_per_s": result.pairs_per_s,
        "steps": result.steps,
        "epochs": result.epochs,
        "seconds": result.seconds,
        "stopped": result.stopped,
        "best_val_exact": result.best_val_exact,
        "held_out_exact_match": held_out,
        "target": target,
        "time_to_target_s": reached,
        "curve": curve,
        "peak_rss_mb": rss_bytes / 2**20,
        "threads": torch.get_num_threads(),
        "training": spec["training"],
    }


def run_training(registry: SubjectRegistry, store: ModelStore, name: str, direction: str = "forward",
                 minutes: float = 5.0, target: float = 0.95, configs: Sequence[str] = ("ours", "paper"),
                 conftests: Sequence[Path] = (), device: str = "cpu") -> dict[str, Any]:
    """Train each configuration in a fresh subprocess for at most `minutes`; nothing is saved as a model.

    The pairs are synthesized once (or read from `store`'s cache, as `learn` does) in this process.
    """
    from pytest_modelizer.data import synthesis_key, synthesize_pairs

    subject = registry.get(name)
    chosen = training_configs(subject, minutes)
    pairs_file = store.cache_dir / subject.name / f"pairs-{synthesis_key(subject, subject.training)}.jsonl"
    cached = pairs_file.is_file()
    start = time.perf_counter()
    pairs = synthesize_pairs(subject, subject.training, store.cache_dir)
    synthesis_s = None if cached else time.perf_counter() - start
    report: dict[str, Any] = {
        "subject": subject.name,
        "direction": direction,
        "pairs": len(pairs),
        "pairs_cached": cached,
        "synthesis_seconds": synthesis_s,
        "minutes": minutes,
        "target": target,
        "configs": {},
    }
    for label in configs:
        spec = {"subject": subject.name, "conftests": [str(Path(c).resolve()) for c in conftests],
                "cache_dir": str(store.cache_dir), "direction": direction, "target": target, "device": device,
                "training": asdict(chosen[label])}
        report["configs"][label] = _run_worker("train", spec, timeout=minutes * 60 * 3 + 300)
    report["machine"] = machine()
    report["machine"]["threads"] = report["configs"][configs[0]]["threads"] if configs else None
    return report


# ---------------------------------------------------------------------------------------------
# Startup
# ---------------------------------------------------------------------------------------------

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
    report["import"] = {k: _summary(v) for k, v in times.items()}
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
    report["pytest"] = {k: _summary(v) for k, v in runs.items()}
    report["pytest_plugin_overhead_ms"] = {
        stat: report["pytest"]["with_plugin"][stat] - report["pytest"]["without_plugin"][stat]
        for stat in ("min_ms", "median_ms")
    }

    if name is not None:
        assert registry is not None and store is not None
        subject = registry.get(name)
        path = model or find_model(store, subject, direction)
        if sample is None:
            sample = fresh_inputs(subject, 1, cache_dir=store.cache_dir)[0]
        spec = {"subject": name, "conftests": [str(Path(c).resolve()) for c in conftests],
                "cache_dir": str(store.cache_dir), "direction": direction, "model": str(path), "input": sample}
        loads = [_run_worker("load", spec, timeout=300) for _ in range(repeats)]
        report["model"] = str(path)
        report["load"] = {k: _summary([r[k] for r in loads])
                          for k in ("import_s", "load_s", "first_prediction_s", "load_and_first_s", "total_s")}
        report["parameters"] = loads[0]["parameters"]
        report["load_imports_torch"] = any(r["torch_imported"] for r in loads)
    report["machine"] = machine()
    return report


def _load_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: import, load the model file, build the mock, answer one call."""
    t0 = time.perf_counter()
    import numpy  # noqa: F401 - what replaying a model imports; timed apart from loading the model

    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.store import load_artifact

    subject = _subject(spec)
    t1 = time.perf_counter()
    mock = MockProgram(subject, spec["direction"], load_artifact(Path(spec["model"])))
    t2 = time.perf_counter()
    mock.predict(spec["input"])
    t3 = time.perf_counter()
    return {"import_s": t1 - t0, "load_s": t2 - t1, "first_prediction_s": t3 - t2, "load_and_first_s": t3 - t1,
            "total_s": t3 - t0, "parameters": mock.info.parameters, "torch_imported": "torch" in sys.modules}


# ---------------------------------------------------------------------------------------------
# Subprocess workers
# ---------------------------------------------------------------------------------------------

def _subject(spec: dict[str, Any]) -> Subject:
    declared: list[Subject] = []
    for path in spec.get("conftests", []):
        declared.extend(subjects_from_file(Path(path)))
    return SubjectRegistry.discover(declared).get(spec["subject"])


WORKERS = {"train": _train_worker, "load": _load_worker}
RESULT_MARK = "MODELIZER-BENCH-RESULT "


def _run_worker(kind: str, spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run `WORKERS[kind](spec)` in a fresh interpreter and return its result."""
    done = subprocess.run([sys.executable, "-m", "pytest_modelizer.bench", kind, json.dumps(spec)],
                          capture_output=True, text=True, timeout=timeout)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    raise RuntimeError(f"benchmark worker {kind!r} failed (exit {done.returncode}):\n"
                       + textwrap.indent((done.stderr or done.stdout)[-3000:], "  "))


def _worker_main(argv: Sequence[str]) -> int:
    kind, spec = argv[0], json.loads(argv[1])
    result = WORKERS[kind](spec)
    sys.stdout.write(RESULT_MARK + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(_worker_main(sys.argv[1:]))


# ---------------------------------------------------------------------------------------------
# Failure finding
# ---------------------------------------------------------------------------------------------

def run_failures(registry: SubjectRegistry, store: ModelStore, name: str, budget: int = 1000,
                 seeds: Sequence[int] = (0, 1, 2)) -> dict[str, Any]:
    """Failures and distinct kinds per `budget` real executions: model-driven vs fuzzingbook's fuzzers."""
    from pytest_modelizer.generate import Candidate, CaseGenerator, Generation, Target, confirm, fuzz
    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.runner import ProgramRunner
    from pytest_modelizer.store import load_artifact

    subject = registry.get(name).with_aspect("failure")
    forward = MockProgram(subject, "forward", load_artifact(find_model(store, subject, "forward")))
    inverse = MockProgram(subject, "inverse", load_artifact(find_model(store, subject, "inverse")))
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
