"""Training: our configuration against the paper's, each in a fresh process for a clean peak RSS."""
from __future__ import annotations

import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

from benchmarks.common import machine, run_worker, subject_from_spec
from pytest_modelizer.config import ModelConfig, TrainingConfig
from pytest_modelizer.registry import SubjectRegistry
from pytest_modelizer.spec import ModelSpec
from pytest_modelizer.store import ModelStore
from pytest_modelizer.subject import Subject


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


def train_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: train one configuration on the subject's cached pairs; report speed and memory."""
    import resource

    import torch

    from pytest_modelizer.data import synthesize_pairs
    from pytest_modelizer.learn import prepare
    from pytest_modelizer.model import Seq2Seq
    from pytest_modelizer.train import exact_match, train_model

    subject = subject_from_spec(spec)
    training = TrainingConfig(**{**spec["training"], "model": ModelConfig.from_meta(spec["training"]["model"])})
    direction = spec["direction"]
    pairs = synthesize_pairs(subject, training, Path(spec["cache_dir"]))
    data = prepare(ModelSpec(subject, direction, training=training), pairs)  # the same preparation as `learn`
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
    from pytest_modelizer.data import pairs_path, synthesize_pairs

    subject = registry.get(name)
    chosen = training_configs(subject, minutes)
    cached = pairs_path(subject, subject.training, store.cache_dir).is_file()
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
        report["configs"][label] = run_worker("train", spec, timeout=minutes * 60 * 3 + 300)
    report["machine"] = machine()
    report["machine"]["threads"] = report["configs"][configs[0]]["threads"] if configs else None
    return report
