"""ServedProgram: what a test calls in place of the program, answered per mode.

- `mock`: a recording of the input answers it exactly; else the model, where it is sure (familiar
  input, confidence at or above the calibrated threshold); else `on_uncertain` decides: `real`
  runs the program and records its answer, `error` raises `UncertainPrediction`, `accept`
  serves the model's answer anyway.
- `record`: the program answers every call, and each answer is recorded.
- `verify`: the model and the program both answer; the program's answer is returned and a
  disagreement fails the test (after it ran) with both answers.
- `real`: the program only; the model is never loaded.
"""
from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Sequence

from pytest_modelizer.aspect import project
from pytest_modelizer.behaviour import Behaviour
from pytest_modelizer.calibration import consistent
from pytest_modelizer.errors import UncertainPrediction, UncoveredInputError, failure_exception
from pytest_modelizer.recordings import Recording
from pytest_modelizer.store import ModelError

if TYPE_CHECKING:
    from pytest_modelizer.mock import MockProgram, Prediction
    from pytest_modelizer.session import ModelizerSession
    from pytest_modelizer.spec import ModelSpec

MODES = ("mock", "record", "verify", "real")
ON_UNCERTAIN = ("real", "error", "accept")


class ProgramAbsentError(ModelError):
    """A call needs the real program, which is not installed here."""


@dataclass
class CallCounts:
    """Who answered a subject's calls in this run (summed over pytest-xdist workers)."""

    model: int = 0
    recording: int = 0
    program: int = 0
    refused: int = 0
    agreed: int = 0
    disagreed: int = 0
    stale_recordings: int = 0  # verify: recordings made by another program version
    unanswered: int = 0  # verify: calls mock mode would not have served from the model (unsure, uncovered)

    def add(self, other: dict) -> None:
        for name, value in other.items():
            if hasattr(self, name):
                setattr(self, name, getattr(self, name) + int(value))

    def to_json(self) -> dict:
        return asdict(self)


class ServedProgram:
    """Callable like the program (`str -> str`); `.batch()`, `.info`, `.predict()` as the model's."""

    def __init__(self, session: "ModelizerSession", spec: "ModelSpec", mode: str,
                 on_uncertain: str | None, nodeid: str | None = None, min_exact: float = 0.0) -> None:
        self.session, self.spec, self.mode, self.nodeid = session, spec, mode, nodeid
        self.subject = spec.subject
        self.min_exact = min_exact
        self.status = session.program_status(self.subject)
        # Without the program, running it is no answer: refuse what the model is unsure of.
        self.on_uncertain = on_uncertain or ("error" if self.status.absent else "real")
        self.counts = session.counts(spec)
        self.disagreements: list[str] = []
        self.calls = 0  # this test's calls (a patch= target never called is worth a warning)
        self._mock: MockProgram | None = None  # loaded and past the quality gate: every call asks for it

    def check_ready(self) -> None:
        """Raise, at the test's setup, what every call would raise: a corrupt recording file
        (RecordingFileError) and, in a mode that runs the program, the program absent."""
        if self._recordable and self.mode != "real" and self.session.recordings is not None:
            self.session.recordings.load(self.subject.name)
        if self.mode in ("real", "record", "verify") and self.spec.is_forward and self.status.absent:
            raise ProgramAbsentError(self._absent_message())  # verify compares the model with the program
        if self.mode == "real" and not self.spec.is_forward:
            raise ModelError(f"modelizer: mode 'real' runs only the real program, which cannot answer the "
                             f"{self.spec.direction} query of {self.subject.name!r} (an output to find an input for), "
                             f"and never loads a model; run this test in mode mock, record or verify "
                             f"(-m / -k to select the tests of one mode)")
        if self.mode == "record" and self.status.drift:  # replays would serve one version's answers as another's
            raise ModelError(
                f"modelizer: mode 'record' stamps each answer with the program version {self.subject.name!r} "
                f"declares ({self.status.declared}), and {self.status.installed} is installed here: its answers "
                f"would be replayed as {self.status.declared}'s. Fix: install {self.status.declared}, or declare "
                f"program_version={self.status.installed!r} (and retrain: pytest --modelizer-train)")

    # -- the model, for tests that want it ---------------------------------------------------
    @property
    def mock(self) -> "MockProgram":
        if self._mock is not None:
            return self._mock
        if self.mode == "real":
            raise ModelError("modelizer: in mode 'real' the model is never loaded (--modelizer-mode real)")
        mock = self.session.mock(self.spec, self.nodeid)
        exact = mock.info.metrics.get("exact_match")
        if exact is not None and exact < self.min_exact:
            raise ModelError(
                f"modelizer: the {self.spec.label} model of {self.subject.name!r} (key "
                f"{mock.artifact.key}) is {exact:.1%} exact on its held-out pairs, below min_exact={self.min_exact:g}; "
                f"its answers are not fit to test against. Fix: train it on more pairs or for longer "
                f"(Subject(training=TrainingConfig(pairs=..., max_minutes=...)), then pytest --modelizer-train), "
                f"or lower the bar: modelize(..., min_exact=...) or ini modelizer_min_exact"
            )
        self._mock = mock
        return mock

    @property
    def info(self):
        return self.mock.info

    @property
    def stats(self):
        return self.mock.stats

    def predict(self, text: str) -> "Prediction":
        """The model's prediction; `.confident` also holds the other direction's check, as for serving."""
        from dataclasses import replace

        prediction = self.mock.predict(text)
        return replace(prediction, confident=self._trusted(prediction))

    def __repr__(self) -> str:
        return (f"<ServedProgram {self.subject.name} {self.spec.label} mode={self.mode} "
                f"on_uncertain={self.on_uncertain}>")

    # -- calls ----------------------------------------------------------------------------------
    def __call__(self, text: str) -> str:
        __tracebackhide__ = True  # a failing test's traceback ends at its call, not in our frames
        if not isinstance(text, str):
            raise TypeError(f"modelizer: the {self.subject.name!r} program takes a str, got {type(text).__name__}")
        self.calls += 1
        return self._answer(text)

    def batch(self, texts: Sequence[str]) -> list[str]:
        """Answers for many inputs; the model decodes them in one batch first (raises like single calls)."""
        __tracebackhide__ = True
        texts = list(texts)
        if self.mode in ("mock", "verify"):
            self.mock.predict_batch(texts, count=False)  # the calls below count them
        return [self(text) for text in texts]

    @property
    def _recordable(self) -> bool:
        return self.spec.is_forward and not self.spec.is_failure

    def _answer(self, text: str) -> str:
        __tracebackhide__ = True
        if self.mode == "real" or (self.mode == "record" and self.spec.is_forward):
            behaviour = self._run(text, record=self.mode == "record")
            return self._result(behaviour, predicted=False)
        # (An inverse query in mode record: the program cannot answer it, and there is no answer to
        # record; the model answers as in mode mock, the program checking what it is unsure of.)
        if self.mode == "verify":
            return self._verify(text)
        if self._recordable:
            recording = self.session.recordings.get(self.subject.name, text)
            if recording is not None and recording.made_by(self.status.declared, self._source):
                self.counts.recording += 1
                return self._result(recording.behaviour, predicted=False)
        prediction = self.mock.predict(text)
        if self._trusted(prediction):
            self.counts.model += 1
            return self.mock.answer(text, prediction)
        if self.on_uncertain == "accept":
            self.counts.model += 1
            return self.mock.answer(text, prediction)  # an uncovered input still raises UncoveredInputError
        if self.on_uncertain == "real" and not self.status.absent:
            if not self.spec.is_forward:
                return self._round_trip(text, prediction)
            return self._result(self._run(text, record=self._recordable), predicted=False)
        self.counts.refused += 1
        raise UncertainPrediction(self._uncertain_message(text, prediction))

    def _trusted(self, prediction: "Prediction") -> bool:
        """Whether the model's answer stands: familiar, at or above the threshold, and led back to
        its input by the other direction's model where there is one (`calibration.consistent`)."""
        if not prediction.covered:
            return False
        other = self.session.other_direction(self.spec)
        threshold = self.mock.threshold_with(other)
        if threshold is not None and not (prediction.familiar and prediction.confidence >= threshold):
            return False
        # Without a threshold (a model trained before calibration): any answer the other model leads back.
        return consistent([prediction], self.mock, other)[0]

    def _run(self, text: str, record: bool, answers: bool = True) -> Behaviour:
        """The program's behaviour on `text`; `answers`: counted as a call the program answered (not
        where it only checks the model's inverse answer)."""
        if self.status.absent:
            raise ProgramAbsentError(self._absent_message())
        behaviour = self.session.runner(self.subject).run(text).behaviour
        self.counts.program += answers
        if record and not self.status.drift:  # (drift accepted) another version's answer is not the declared one's
            self.session.recordings.add(self.subject.name,
                                        Recording(text, behaviour, self.status.declared, self._source))
        return behaviour

    @functools.cached_property
    def _source(self) -> str | None:
        """The callable program's source hash, which recordings carry (None for a command)."""
        return self.subject.source_fingerprint()

    def _absent_message(self) -> str:
        return (f"modelizer: {self.subject.name!r} needs its real program in mode {self.mode!r}, and it is not "
                f"installed here (models are trained on {self.status.declared}). Install it, or run in mode mock")

    def _round_trip(self, text: str, prediction: "Prediction") -> str:
        """An inverse answer the model is unsure of stands if the program, run on it, gives `text` back."""
        __tracebackhide__ = True
        if prediction.covered and prediction.behaviour.ok:
            candidate = prediction.behaviour.output or ""
            if project(self.spec, self._run(candidate, record=False, answers=False)) == project(
                    self.spec, Behaviour.success(text)):
                self.counts.model += 1
                return candidate
        self.counts.refused += 1
        raise UncertainPrediction(self._uncertain_message(text, prediction) + " (nor did the program, run on the "
                                  "model's answer, give this output back)")

    def _verify(self, text: str) -> str:
        """Run the model and the program; compare the answers mock mode would serve from the model.

        An answer the model is unsure of (or has none for) is no disagreement: mock mode would have
        asked `on_uncertain` instead. It is counted apart, unless `on_uncertain="accept"` serves it.
        """
        __tracebackhide__ = True
        prediction = self.mock.predict(text)
        served = prediction.covered and (self.on_uncertain == "accept" or self._trusted(prediction))
        if not served:
            self.counts.unanswered += 1
        if not self.spec.is_forward:
            if not served:  # as in mock mode: it stands if the program gives this output back
                return self._round_trip(text, prediction)
            answer = self.mock.answer(text, prediction)
            real = project(self.spec, self._run(answer, record=False, answers=False))
            agree = real == project(self.spec, Behaviour.success(text))
            self._tally(agree, text, f"round trip gave {real}", f"model's input {answer!r}")
            return answer
        recording = self.session.recordings.get(self.subject.name, text) if self._recordable else None
        if recording is not None and not recording.made_by(self.status.declared, self._source):
            self.counts.stale_recordings += 1
        real = self._run(text, record=False)
        if served:
            self._tally(prediction.behaviour == project(self.spec, real), text, f"program: {real}",
                        f"model: {prediction.behaviour}")
        return self._result(real, predicted=False)

    def _tally(self, agree: bool, text: str, real: str, model: str) -> None:
        if agree:
            self.counts.agreed += 1
        else:
            self.counts.disagreed += 1
            self.disagreements.append(f"{self.spec} on {text[:200]!r}:\n  {real}\n  {model}")

    def _result(self, behaviour: Behaviour, predicted: bool) -> str:
        __tracebackhide__ = True
        if not behaviour.ok:
            raise failure_exception(self.subject, behaviour, predicted=predicted)
        return behaviour.output or ""

    def _unpaired_note(self, other: "MockProgram | None", threshold: float) -> str:
        """Why the threshold is the model's own where it was calibrated lower with its other direction.

        The pairing holds for one model of the other direction (its key and training time): one left
        in a developer's cache, or retrained since, leaves this model its own, stricter threshold.
        """
        paired = (self.mock.artifact.meta.get("calibration") or {}).get("paired") or {}
        if not paired or paired.get("threshold", 1.0) >= threshold:
            return ""
        direction = self.spec.reversed().direction
        here = ("is not here" if other is None else
                f"here is another one (key {other.artifact.key}, trained {other.artifact.meta.get('created')})")
        return (f" (its own; checked by the {direction} model it was calibrated with, key {paired.get('other')} "
                f"trained {paired.get('other_created')}, it is {paired['threshold']:.3f}, but that model {here}: "
                f"ship the two models together, e.g. modelizer train {self.subject.name} --direction {direction} "
                f"--ship, then modelizer calibrate {self.subject.name})")

    def _uncertain_message(self, text: str, prediction: "Prediction") -> str:
        mock = self.mock
        if not prediction.covered:
            why = f"cannot represent it ({prediction.reason})"
        elif not prediction.familiar:
            why = f"saw nothing like it in training ({prediction.reason})"
        else:
            other = self.session.other_direction(self.spec)
            threshold = mock.threshold_with(other)
            if threshold is None or prediction.confidence >= threshold:
                why = "answers with an output from which its other direction does not lead back to the input"
            else:
                why = (f"answers with confidence {prediction.confidence:.3f}, below its threshold {threshold:.3f}"
                       f"{self._unpaired_note(other, threshold)}")
        where = (f"{self.subject.name}'s program is absent here" if self.status.absent
                 else f"on_uncertain={self.on_uncertain!r}")
        # A model has no answer at all for an input it cannot represent: accepting it changes nothing.
        fixes = ["make the grammar write such inputs and train again (pytest --modelizer-train)"
                 if not prediction.covered else
                 "accept the model's answer (modelize(..., on_uncertain='accept') or --modelizer-on-uncertain accept)"]
        if self.spec.is_forward:  # an inverse query has no program answer to record
            fixes.insert(0, "record the real answer where the program is installed (pytest --modelizer-mode record)")
        elif prediction.covered:
            fixes.append("train the inverse model on more pairs or for longer")
        return (
            f"modelizer: the {self.spec.label} model of {self.subject.name!r} (key {mock.artifact.key}) {why}, "
            f"on {text[:120]!r}; {where}, so it refuses to guess. Fix: " + ", or ".join(fixes)
        )


__all__ = ["CallCounts", "MODES", "ON_UNCERTAIN", "ProgramAbsentError", "ServedProgram", "UncertainPrediction",
           "UncoveredInputError"]
