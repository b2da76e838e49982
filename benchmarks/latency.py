"""Latency: the mock unbatched and batched, the real program, and the paper's decoding on the same inputs."""
from __future__ import annotations

import contextlib
import statistics
import time
from pathlib import Path
from typing import Any, Iterator, Sequence

from benchmarks.common import find_model, fresh_inputs, machine, ms
from pytest_modelizer.registry import SubjectRegistry
from pytest_modelizer.spec import ModelSpec
from pytest_modelizer.store import ModelStore


def generate_uncached(model, src: list[list[int]], max_len: int | None = None) -> list[list[int]]:
    """The paper's greedy decoding with `model` (a `Seq2Seq`): one input at a time, no KV cache.

    The whole decoder runs again over the tokens so far for every new token. The baseline the
    KV-cached decoding is timed against, and the reference it must agree with token for token.
    Stops at EOS or after `max_len` tokens (at most the model's own `max_len`); never emits PAD
    or BOS. Returns the token ids without BOS and EOS.
    """
    import torch

    from pytest_modelizer.tokenizer import BOS, EOS, PAD

    device = next(model.parameters()).device
    steps = model.cfg.max_len if max_len is None else max(1, min(max_len, model.cfg.max_len))
    was_training = model.training
    model.eval()
    results = []
    try:
        with torch.inference_mode():
            for s in src:
                src_t = torch.tensor([s], dtype=torch.long, device=device)
                ys = [BOS]
                for _ in range(steps):
                    logits = model(src_t, torch.tensor([ys], dtype=torch.long, device=device))[:, -1].clone()
                    logits[:, PAD] = logits[:, BOS] = float("-inf")
                    ys.append(int(logits.argmax(-1)[0]))
                    if ys[-1] == EOS:
                        break
                results.append([t for t in ys[1:] if t != EOS])
    finally:
        model.train(was_training)
    return results


def _baseline_predict(mock, text: str) -> tuple[str, ...]:
    """Like `MockProgram.predict` (same tokenizing and detokenizing) but with paper-style decoding."""
    import random

    tokens, mapping = mock.encode(text)
    out = generate_uncached(mock.torch_decoder.model, [mock.src_vocab.encode(tokens)],
                           max_len=mock.model_config.max_len)[0]
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

    subject, direction = mock.subject, mock.spec.direction
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

    mock_ms, batched_ms, baseline_ms = ms(unbatched_s, n), ms(batched_s, n), ms(baseline_s, k)
    program_ms = ms(sum(r[2].seconds for r in rows), n)
    program_wall_ms = ms(sum(r[3] for r in rows), n)
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
        "mock_torch_ms_per_call": ms(sum(torch_s), n),
        "mock_torch_median_ms": 1000 * statistics.median(torch_s),
        "numpy_speedup": sum(torch_s) / unbatched_s if unbatched_s else None,
        "mock_batched_torch_ms_per_call": ms(batched_torch_s, n),
        "batched_numpy_speedup": batched_torch_s / batched_s if batched_s else None,
        "baseline_ms_per_call": baseline_ms,
        "ratio_vs_program": batched_ms / program_ms if program_ms else None,
        "ratio_unbatched_vs_program": mock_ms / program_ms if program_ms else None,
        "ratio_unbatched_vs_program_median": mock_median_ms / program_median_ms if program_median_ms else None,
        "ratio_vs_program_wall": batched_ms / program_wall_ms if program_wall_ms else None,
        "ratio_vs_baseline": batched_ms / baseline_ms if baseline_ms else None,
        # The baseline runs on the first `baseline_calls` inputs: the KV cache alone (both in torch) on those.
        "mock_torch_ms_per_call_baseline_inputs": ms(sum(torch_s[:k]), k),
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

    spec = ModelSpec(registry.get(name), direction)
    subject = spec.subject
    path = model or find_model(store, spec)
    mock = MockProgram(spec, load_artifact(path), device)
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
