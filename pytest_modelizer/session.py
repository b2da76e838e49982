"""ModelizerSession: the plugin's state for one pytest run (store, subjects, loaded mocks)."""
from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pytest_modelizer.isolation import preserved_global_state
from pytest_modelizer.learn import calibrate_pair, learn, validation_loss
from pytest_modelizer.recordings import RecordingBook
from pytest_modelizer.registry import SubjectRegistry
from pytest_modelizer.runner import ProgramRunner
from pytest_modelizer.serve import CallCounts
from pytest_modelizer.spec import ModelSpec
from pytest_modelizer.store import MODEL_META_KEYS, ModelError, ModelMissingError, ModelStore, load_artifact, read_meta
from pytest_modelizer.subject import ProgramStatus, Subject
from pytest_modelizer.training_stack import require_torch
from pytest_modelizer.validate import validate_subject


class ProgramDriftError(ModelError):
    """The installed program's version differs from the one the subject declares (and models are keyed on)."""


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
    mode: str = "mock"
    registry_plugins: int = 0  # how many plugins (conftest files among them) the registry was built with
    # Where the installed program differs from the declared version, replay anyway.
    accept_drift: bool = False
    accept_drift_option: str = "--modelizer-accept-drift"  # how the user says so (the CLI's is --accept-drift)
    recordings: RecordingBook | None = None
    recorded: list = field(default_factory=list)  # recording files written at the end of the run
    recording_error: str | None = None
    _statuses: dict = field(default_factory=dict)
    _counts: dict = field(default_factory=dict)
    _runners: dict = field(default_factory=dict)
    _others: dict = field(default_factory=dict)  # spec -> the other direction's mock, or None
    _unchecked: dict = field(default_factory=dict)  # "subject (direction)" -> why the other model was refused
    _specs: dict = field(default_factory=dict)

    def program_status(self, subject: Subject) -> ProgramStatus:
        """The subject's declared and installed program versions (probed once per run)."""
        if subject.name not in self._statuses:
            self._statuses[subject.name] = subject.program_status()
        return self._statuses[subject.name]

    def require_program(self, subject: Subject, doing: str) -> None:
        """ModelError unless the program the subject declares is the one installed: `doing` runs it.

        Pairs or round trips from another program (or from none: every run a "cannot-start"
        failure) would be keyed, scored and calibrated as the declared one's.
        """
        status = self.program_status(subject)
        if status.absent:
            raise ModelError(
                f"modelizer: cannot {doing}: its program is not installed here (the subject declares "
                f"{status.declared}), and this runs it. Install it, or do this where it is installed and commit "
                f"the models (README, \"Using the mock in CI\")")
        if status.drift:
            raise ModelError(
                f"modelizer: cannot {doing}: {status.describe()}. This runs the program the subject declares: "
                f"install {status.declared}, or declare the installed version as program_version")

    def check_program(self, subject: Subject) -> ProgramStatus:
        """The program status, refusing drift unless accepted: an error naming both versions and the fixes."""
        status = self.program_status(subject)
        if status.drift and not self.accept_drift and self.mode != "verify":  # verify measures drift
            raise ProgramDriftError(
                f"modelizer: subject {subject.name!r}: the installed program is {status.installed}, its models are "
                f"trained on {status.declared} (the version the subject declares). Fix: install {status.declared}; "
                f"or declare program_version={status.installed!r} and retrain (pytest --modelizer-train); or replay "
                f"the models anyway: {self.accept_drift_option}"
                + (" (ini modelizer_accept_drift = true)" if self.accept_drift_option.startswith("--modelizer") else "")
            )
        return status

    def spec(self, subject: Subject | str, direction: str = "forward", aspect: str = "output") -> ModelSpec:
        """The model of a subject (by name, or declared) in `direction` and `aspect`, one per run: its key is computed once."""
        if isinstance(subject, str):
            subject = self._registry().get(subject)
        cache_key = (subject.name, direction, aspect)
        if cache_key not in self._specs or self._specs[cache_key].subject is not subject:
            self._specs[cache_key] = ModelSpec(subject, direction, aspect)
        return self._specs[cache_key]

    def _registry(self) -> SubjectRegistry:
        if self.registry is None:
            raise ModelError("modelizer: no subjects are declared in this session")
        return self.registry

    def other_direction(self, spec: ModelSpec):
        """The model of the opposite direction where one is ready, else None (it only checks answers).

        Looked up once per run: every served call asks.
        """
        if spec not in self._others:
            found = None
            other = self.spec(spec.subject, spec.reversed().direction, spec.aspect)
            if not spec.is_failure and self.model_path(other) is not None:
                try:
                    found = self.mock(other)
                except ModelError as exc:  # stale, drifted, unreadable: no check, rather than no answer
                    self._unchecked[str(spec)] = str(exc).removeprefix("modelizer: ")
            self._others[spec] = found
        return self._others[spec]

    def source_changed(self, subject: Subject, meta: dict | None) -> bool:
        """Whether the callable program's source differs from the one a model (its `meta`) was trained on."""
        trained = (meta or {}).get("program_source")
        return trained is not None and trained != subject.source_fingerprint()

    def counts(self, spec: ModelSpec) -> CallCounts:
        return self._counts.setdefault(str(spec), CallCounts())

    def runner(self, subject: Subject):
        """One program runner per subject for the run (a worker process, started on first use)."""
        if subject.name not in self._runners:
            self._runners[subject.name] = ProgramRunner(subject, workers=1)
        return self._runners[subject.name]

    def close(self) -> None:
        for runner in self._runners.values():
            runner.close()
        self._runners.clear()

    def usage(self) -> dict[str, dict]:
        """Per "subject (direction)": model key, fidelity, mock calls and seconds, trained or not."""
        usage: dict[str, dict] = {}
        for spec, mock in self.mocks.items():
            metrics = mock.info.metrics
            usage[str(spec)] = {
                "key": mock.info.key,
                # A generator of failure-likely inputs has no one right answer to match: its loss says how it learnt.
                "exact_match": None if spec.is_generator else metrics.get("exact_match"),
                "validation_loss": validation_loss(mock.artifact.meta) if spec.is_generator else None,
                "n": metrics.get("n"),
                "calls": mock.stats.calls,
                "seconds": mock.stats.seconds,
                "decoded": mock.stats.predicted,
            }
            if self.source_changed(spec.subject, mock.artifact.meta):  # served only when accepted (or verified)
                usage[str(spec)]["program"] = ("program edited since this model was trained: it may answer for "
                                               "the old code (retrain: pytest --modelizer-train)")
        def entry_of(label: str) -> dict:
            return usage.setdefault(label, {"key": None, "calls": 0, "seconds": 0.0})

        for label, counts in self._counts.items():
            entry_of(label)["counts"] = counts.to_json()
        for label, entry in usage.items():
            status = self._statuses.get(label.split(" (", 1)[0])
            if status is not None and (status.absent or status.drift) and "program" not in entry:
                entry["program"] = status.describe(model_here=entry["key"] is not None)
        for spec in self.trained:
            entry_of(str(spec))["trained"] = True
        for label, why in self._unchecked.items():
            entry_of(label)["unchecked"] = why
        for label, entry in self.worker_usage.items():
            mine = entry_of(label)
            mine["calls"] += entry["calls"]
            mine["seconds"] += entry["seconds"]
            mine["decoded"] = mine.get("decoded", 0) + entry.get("decoded", 0)
            mine["trained"] = mine.get("trained", False) or entry.get("trained", False)
            for k in ("key", "exact_match", "n", "program", "unchecked"):
                mine[k] = mine.get(k) if mine.get(k) is not None else entry.get(k)
            _add_counts(mine, entry)
        return usage

    def merge_usage(self, usage: dict[str, dict]) -> None:
        """Add a worker's usage (calls and seconds add up; key and metrics are the same)."""
        for label, entry in usage.items():
            mine = self.worker_usage.setdefault(label, {**entry, "calls": 0, "seconds": 0.0, "decoded": 0,
                                                       "trained": False, "counts": {}})
            mine["calls"] += entry["calls"]
            mine["seconds"] += entry["seconds"]
            mine["decoded"] += entry.get("decoded", 0)
            mine["trained"] = mine["trained"] or entry.get("trained", False)
            mine["unchecked"] = mine.get("unchecked") or entry.get("unchecked")
            _add_counts(mine, entry)

    def model_path(self, spec: ModelSpec) -> Path | None:
        return self.store.find_model(spec)

    def missing_message(self, spec: ModelSpec, nodeid: str | None = None, pytest_args: str = "--modelizer-train") -> str:
        """Why the model is missing or stale, what changed, and the command that repairs it."""
        subject = spec.subject
        lines = [
            f"modelizer: no {spec.label} model of subject {subject.name!r} with key {spec.key} "
            f"(cache dir {self.store.cache_dir})."
        ]
        stale = self.store.others(subject.name, spec.label, subject.shipped_models)
        for path in stale[:1]:
            meta = read_meta(path)
            if meta is None:
                lines.append(f"  {path} is unreadable; it will be replaced.")
                continue
            old = meta.get("components", {})
            changed = [
                f"{name}: {old.get(name, '?')!r} -> {value!r}"
                for name, value in spec.key_components.items()
                if old.get(name) != value
            ]
            lines.append(f"  Stale model {path} (key {meta.get('key')}) differs in: " + "; ".join(changed))
        if not stale:
            lines.append(f"  No {spec.label} model of this subject was ever trained here.")
        target = f" {shlex.quote(nodeid)}" if nodeid else ""
        where, status = "", self.program_status(subject)
        if status.absent:  # training runs the program: not here
            where = (f" where {subject.name}'s program is installed ({status.declared}), then "
                     f"commit the model (README, \"Using the mock in CI\"); here it is absent. Where the models are "
                     f"committed already, the cache dir may be the wrong one ($MODELIZER_CACHE_DIR, "
                     f"--modelizer-cache-dir)")
        lines.append(
            f"  Fix: pytest {pytest_args}{target}   "
            f"(or: modelizer train {subject.name} --direction {spec.direction}{spec.aspect_args} --cache-dir {self.store.cache_dir})"
            f"{where}"
        )
        return "\n".join(lines)

    def check_device(self) -> None:
        """Refuse a CUDA device that torch cannot use, naming the fix."""
        if self.device.startswith("cuda"):
            torch = require_torch(f"device {self.device!r}")
            if not torch.cuda.is_available():
                raise ModelError(
                    f"device {self.device!r} was asked for but torch.cuda.is_available() is False "
                    f"(torch {torch.__version__}); use --modelizer-device cpu"
                )

    def mock(self, spec: ModelSpec, nodeid: str | None = None, pytest_args: str = "--modelizer-train"):
        """The loaded MockProgram of a model (loaded once per run)."""
        subject = spec.subject
        if spec not in self.mocks:
            self.check_device()
            self.check_program(subject)
            path = self.model_path(spec)
            if path is None:
                raise ModelMissingError(self.missing_message(spec, nodeid, pytest_args))
            artifact = load_artifact(path, MODEL_META_KEYS)
            if self.source_changed(subject, artifact.meta) and not self.accept_drift and self.mode != "verify":
                raise ProgramDriftError(
                    f"modelizer: the program of {subject.name!r} ({subject.program_name()}) was "
                    f"edited since its {spec.label} model (key {spec.key}) was "
                    f"trained: the model may answer for the old code. Fix: pytest {pytest_args}"
                    + (f" {shlex.quote(nodeid)}" if nodeid else "") + " (retrains it under the same key), or replay "
                    f"it anyway: {self.accept_drift_option}"
                )
            from pytest_modelizer.mock import MockProgram  # numpy: only a session that loads a model imports it

            with preserved_global_state():
                self.mocks[spec] = MockProgram(spec, artifact, self.device)
        return self.mocks[spec]

    def ensure_trained(self, needs: list[ModelSpec], write: Callable[[str], None]) -> None:
        """Train each needed model that is missing or stale, once across processes."""
        self.check_device()
        for spec in needs:
            subject = spec.subject
            path = self.model_path(spec)
            if path is not None and not self.source_changed(subject, read_meta(path)):
                continue
            validate_subject(subject)  # builds the lexers: a bad terminal fails before synthesis
            self.store.check_writable(subject.name)  # before minutes of synthesis, not after
            self.require_program(subject, f"train the {spec.label} model of {subject.name!r}")
            with self.store.lock(subject.name, spec.label, waiting=lambda msg: write(f"modelizer: {msg}\n")):
                # Another process (an xdist worker) may have trained it while we waited.
                path = self.model_path(spec)
                if path is not None and not self.source_changed(subject, read_meta(path)):
                    continue
                write(f"modelizer: training the {spec.label} model of {subject.name} (key {spec.key})\n")
                bar = ProgressBar(write, tty=sys.stdout.isatty())
                try:
                    with preserved_global_state():
                        learn(spec, self.store, device=self.device, log=bar.log, progress=bar.update)
                finally:
                    bar.close()
                self.trained.append(spec)
            with preserved_global_state():
                calibrate_pair(spec, self.store, log=bar.log)


def _add_counts(mine: dict, entry: dict) -> None:
    """Add a usage entry's call counts (who answered) to `mine`'s."""
    if entry.get("counts"):
        counts = CallCounts(**(mine.get("counts") or {}))
        counts.add(entry["counts"])
        mine["counts"] = counts.to_json()


@dataclass
class ProgressBar:
    """A one-line progress bar redrawn with carriage returns on a terminal; plain lines in a log."""

    write: Callable[[str], None]
    width: int = 30
    tty: bool = True
    _open: bool = False
    _last_epoch: int = -1

    def log(self, message: str) -> None:
        if not self.tty:
            self.write(f"  {message}\n")
            return
        self.write(("\r" if self._open else "") + f"  {message:<78}")
        self._open = True

    def update(self, progress) -> None:  # TrainProgress from pytest_modelizer.train
        total = max(1, getattr(progress, "total_steps_estimate", 0) or 1)
        limit = getattr(progress, "limit_s", 0.0)
        # Whichever ends training first fills the bar: its steps, or the time cap.
        done = min(1.0, max(progress.step / total, progress.elapsed_s / limit if limit else 0.0))
        filled = int(done * self.width)
        val = getattr(progress, "val_exact", None)
        val_text = f" val exact {val:.1%}" if val is not None else ""
        cap = f" of {limit:.0f}s" if limit else ""
        status = f"epoch {progress.epoch} loss {progress.loss:.3f}{val_text} {progress.elapsed_s:.0f}s{cap}"
        if not self.tty:  # a log gets one line per epoch, not a carriage return per step
            if progress.epoch != self._last_epoch:
                self._last_epoch = progress.epoch
                self.write(f"  {status}\n")
            return
        self.write(f"\r  [{'#' * filled}{'.' * (self.width - filled)}] {status}   ")
        self._open = True

    def close(self) -> None:
        if self._open:
            self.write("\n")
        self._open = False


def stderr_write(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()
