"""ModelizerSession: the plugin's state for one pytest run (store, subjects, loaded mocks)."""
from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pytest_modelizer.registry import SubjectRegistry
from pytest_modelizer.store import ModelError, ModelMissingError, ModelStore, load_artifact, read_meta
from pytest_modelizer.subject import Subject


@dataclass
class ModelizerSession:
    """Resolves subjects to mocks, trains on demand when allowed, and keeps call statistics."""

    registry: SubjectRegistry | None
    store: ModelStore
    device: str = "cpu"
    train: bool = False
    mocks: dict = field(default_factory=dict)
    trained: list = field(default_factory=list)
    # Usage reported by pytest-xdist workers, merged into this (the controller's) summary.
    worker_usage: dict = field(default_factory=dict)

    def usage(self) -> dict[str, dict]:
        """Per "subject (direction)": model key, fidelity, mock calls and seconds, trained or not."""
        usage: dict[str, dict] = {}
        for (name, direction), mock in self.mocks.items():
            metrics = mock.info.metrics
            usage[f"{name} ({direction})"] = {
                "key": mock.info.key,
                "exact_match": metrics.get("exact_match"),
                "n": metrics.get("n"),
                "calls": mock.stats.calls,
                "seconds": mock.stats.seconds,
            }
        for name, direction in self.trained:
            usage.setdefault(f"{name} ({direction})", {"key": None, "calls": 0, "seconds": 0.0})["trained"] = True
        for label, entry in self.worker_usage.items():
            mine = usage.setdefault(label, {"key": None, "calls": 0, "seconds": 0.0})
            mine["calls"] += entry["calls"]
            mine["seconds"] += entry["seconds"]
            mine["trained"] = mine.get("trained", False) or entry.get("trained", False)
            for k in ("key", "exact_match", "n"):
                mine[k] = mine.get(k) if mine.get(k) is not None else entry.get(k)
        return usage

    def merge_usage(self, usage: dict[str, dict]) -> None:
        """Add a worker's usage (calls and seconds add up; key and metrics are the same)."""
        for label, entry in usage.items():
            mine = self.worker_usage.setdefault(label, {**entry, "calls": 0, "seconds": 0.0, "trained": False})
            mine["calls"] += entry["calls"]
            mine["seconds"] += entry["seconds"]
            mine["trained"] = mine["trained"] or entry.get("trained", False)

    def model_path(self, subject: Subject, direction: str) -> Path | None:
        return self.store.find(subject.name, subject.model_label(direction), subject.model_key(direction), subject.shipped_models)

    def missing_message(self, subject: Subject, direction: str, nodeid: str | None = None,
                        pytest_args: str = "--modelizer-train") -> str:
        """Why the model is missing or stale, what changed, and the command that repairs it."""
        key = subject.model_key(direction)
        components = subject.key_components(direction)
        label = subject.model_label(direction)
        lines = [
            f"modelizer: no {label} model of subject {subject.name!r} with key {key} "
            f"(cache dir {self.store.cache_dir})."
        ]
        stale = self.store.others(subject.name, label, subject.shipped_models)
        for path in stale[:1]:
            meta = read_meta(path)
            if meta is None:
                lines.append(f"  {path} is unreadable; it will be replaced.")
                continue
            old = meta.get("components", {})
            changed = [
                f"{name}: {old.get(name, '?')!r} -> {value!r}"
                for name, value in components.items()
                if old.get(name) != value
            ]
            lines.append(f"  Stale model {path} (key {meta.get('key')}) differs in: " + "; ".join(changed))
        if not stale:
            lines.append("  No model of this subject was ever trained here.")
        target = f" {shlex.quote(nodeid)}" if nodeid else ""
        aspect = f" --aspect {subject.aspect}" if subject.aspect != "output" else ""
        lines.append(
            f"  Fix: pytest {pytest_args}{target}   "
            f"(or: modelizer train {subject.name} --direction {direction}{aspect} --cache-dir {self.store.cache_dir})"
        )
        return "\n".join(lines)

    def check_device(self) -> None:
        """Refuse a CUDA device that torch cannot use, naming the fix."""
        if self.device.startswith("cuda"):
            import torch

            if not torch.cuda.is_available():
                raise ModelError(
                    f"device {self.device!r} was asked for but torch.cuda.is_available() is False "
                    f"(torch {torch.__version__}); use --modelizer-device cpu"
                )

    def mock(self, subject: Subject, direction: str, nodeid: str | None = None,
             pytest_args: str = "--modelizer-train"):
        """The loaded MockProgram for a subject and direction (loaded once per run)."""
        cache_key = (subject.name, subject.model_label(direction))
        if cache_key not in self.mocks:
            self.check_device()
            path = self.model_path(subject, direction)
            if path is None:
                raise ModelMissingError(self.missing_message(subject, direction, nodeid, pytest_args))
            from pytest_modelizer.mock import MockProgram

            self.mocks[cache_key] = MockProgram(subject, direction, load_artifact(path), self.device)
        return self.mocks[cache_key]

    def ensure_trained(self, needs: list[tuple[Subject, str]], write: Callable[[str], None]) -> None:
        """Train each needed model that is missing or stale, once across processes."""
        from pytest_modelizer.learn import learn

        self.check_device()
        for subject, direction in needs:
            if self.model_path(subject, direction) is not None:
                continue
            with self.store.lock(subject.name, subject.model_label(direction)):
                # Another process (an xdist worker) may have trained it while we waited.
                if self.model_path(subject, direction) is not None:
                    continue
                write(f"modelizer: training the {subject.model_label(direction)} model of {subject.name} "
                      f"(key {subject.model_key(direction)})\n")
                bar = ProgressBar(write)
                try:
                    learn(subject, direction, self.store, device=self.device, log=bar.log, progress=bar.update)
                finally:
                    bar.close()
                self.trained.append((subject.name, subject.model_label(direction)))


@dataclass
class ProgressBar:
    """A one-line progress bar redrawn with carriage returns."""

    write: Callable[[str], None]
    width: int = 30
    _open: bool = False

    def log(self, message: str) -> None:
        self.write(("\r" if self._open else "") + f"  {message:<78}")
        self._open = True

    def update(self, progress) -> None:  # TrainProgress from pytest_modelizer.train
        total = max(1, getattr(progress, "total_steps_estimate", 0) or 1)
        done = min(1.0, progress.step / total)
        filled = int(done * self.width)
        val = getattr(progress, "val_exact", None)
        val_text = f" val exact {val:.1%}" if val is not None else ""
        self.write(
            f"\r  [{'#' * filled}{'.' * (self.width - filled)}] epoch {progress.epoch} "
            f"loss {progress.loss:.3f}{val_text} {progress.elapsed_s:.0f}s   "
        )
        self._open = True

    def close(self) -> None:
        if self._open:
            self.write("\n")
        self._open = False


def stderr_write(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()
