"""MockProgram: a trained model standing in for the real program."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Sequence

from pytest_modelizer.behaviour import Behaviour
from pytest_modelizer.errors import PredictedFailure, UncoveredInputError, failure_exception  # noqa: F401 - re-exported
from pytest_modelizer.store import ModelArtifact
from pytest_modelizer.subject import Subject
from pytest_modelizer.tokenizer import Tokenized, TokenizeError, Vocabulary


@dataclass
class Prediction:
    """A model's answer for one input; `behaviour` is None when the input is not covered."""

    behaviour: Behaviour | None
    tokens: tuple[str, ...] = ()
    src_tokens: tuple[str, ...] = ()
    reason: str = ""
    # The lowest probability the decoder gave a token of this answer (its end included); 0 when uncovered.
    confidence: float = 0.0
    # Whether every source trigram occurred in training (calibration.Familiarity; True without that data).
    familiar: bool = True
    # Familiar, and `confidence` at or above the model's calibrated threshold (such answers were at
    # least 99 % exact on held-out pairs).
    confident: bool = False

    @property
    def covered(self) -> bool:
        return self.behaviour is not None


@dataclass(frozen=True)
class ModelInfo:
    """What a test may want to know about the model behind a mock."""

    subject: str
    direction: str
    key: str
    parameters: int
    metrics: dict
    path: str
    # Answers at or above this confidence were at least `calibration["target"]` exact on held-out pairs.
    threshold: float | None = None
    calibration: dict = field(default_factory=dict)


@dataclass
class MockStats:
    calls: int = 0
    predicted: int = 0
    seconds: float = 0.0

    @property
    def mean_ms(self) -> float:
        return 1000 * self.seconds / self.calls if self.calls else 0.0


class MockProgram:
    """Callable like the program (`str -> str`); `.batch()` for many inputs; predictions memoized."""

    def __init__(self, subject: Subject, direction: str, artifact: ModelArtifact, device: str = "cpu") -> None:
        import torch

        from pytest_modelizer.config import ModelConfig
        from pytest_modelizer.model import Seq2Seq
        from pytest_modelizer.train import set_threads

        set_threads()
        self.subject = subject
        self.direction = direction
        self.artifact = artifact
        self.device = device
        meta = artifact.meta
        self.src_vocab = Vocabulary(meta["src_vocab"])
        self.tgt_vocab = Vocabulary(meta["tgt_vocab"])
        self.model_config = ModelConfig(**meta["model"])
        model = Seq2Seq(self.model_config, len(self.src_vocab), len(self.tgt_vocab))
        model.load_state_dict({k: torch.as_tensor(v) for k, v in artifact.state_dict.items()})
        self.model = model.to(device).eval()
        self.src_tokenizer, self.tgt_tokenizer = subject.tokenizers(direction)
        # Values for placeholders, drawn like the training inputs' (failure-aspect inverse models).
        self.pools: dict[str, list[str]] = meta.get("placeholder_values") or {}
        self.stats = MockStats()
        self._memo: dict[str, Prediction] = {}
        from pytest_modelizer.calibration import Familiarity

        self.familiarity = Familiarity.from_meta(meta)

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(
            subject=self.subject.name,
            direction=self.direction,
            key=self.artifact.key,
            parameters=int(self.artifact.meta.get("parameters", 0)),
            metrics=dict(self.artifact.metrics),
            path=str(self.artifact.path),
            threshold=self.threshold,
            calibration=dict(self.artifact.meta.get("calibration") or {}),
        )

    @property
    def threshold(self) -> float | None:
        """The calibrated confidence threshold; None for a model trained before calibration existed."""
        calibration = self.artifact.meta.get("calibration") or {}
        return calibration.get("threshold")

    def encode(self, text: str) -> tuple[tuple[str, ...], dict[str, str]]:
        """Source tokens and placeholder mapping of a query; `UncoveredInputError` says why it has none.

        An inverse model's query is an output, or for the failure aspect a label: "ok" or a kind.
        """
        from pytest_modelizer.aspect import behaviour_side, label_tokens

        try:
            if self.direction == "forward":
                tok = self.src_tokenizer.tokenize(text)
            elif self.subject.aspect == "failure":
                tok = Tokenized(label_tokens(text))
            else:
                tok = behaviour_side(self.subject, Behaviour.success(text), {})
        except TokenizeError as exc:
            raise UncoveredInputError(f"cannot tokenize: {exc}") from None
        unknown = [t for t in tok.tokens if t not in self.src_vocab.stoi]
        if unknown:
            raise UncoveredInputError(f"tokens never seen in training: {sorted(set(unknown))[:5]}")
        if len(tok.tokens) + 2 > self.model_config.max_len:
            raise UncoveredInputError(f"{len(tok.tokens)} tokens, more than the model's {self.model_config.max_len - 2}")
        return tok.tokens, tok.mapping

    def covers(self, text: str) -> bool:
        """Whether the model can represent the query at all."""
        try:
            self.encode(text)
        except UncoveredInputError:
            return False
        return True

    def clear_memo(self) -> None:
        """Forget the run's predictions (to time real decoding, not memo hits)."""
        self._memo.clear()

    def predict_batch(self, texts: Sequence[str], count: bool = True) -> list[Prediction]:
        """Predictions for `texts`, decoding only those not seen before, in one batch.

        `count=False` (prefetching, checks) leaves the calls out of `stats.calls`; the decoding
        time and the decoded inputs are counted either way.
        """
        start = time.perf_counter()
        todo: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {}
        for text in texts:
            if text in self._memo or text in todo:
                continue
            try:
                todo[text] = self.encode(text)
            except UncoveredInputError as exc:
                self._memo[text] = Prediction(None, reason=str(exc))
        if todo:
            ids = [self.src_vocab.encode(tokens) for tokens, _ in todo.values()]
            outputs = self.model.decode(ids, max_len=self.model_config.max_len)
            threshold = self.threshold
            for (text, (tokens, mapping)), (out, confidence) in zip(todo.items(), outputs):
                predicted = tuple(self.tgt_vocab.decode(out))
                behaviour = self.decode_prediction(predicted, mapping, random.Random(text))
                unfamiliar = self.familiarity.unfamiliar(tokens) if self.familiarity else None
                confident = threshold is not None and unfamiliar is None and confidence >= threshold
                reason = f"a token sequence never seen in training: {' '.join(unfamiliar)!r}" if unfamiliar else ""
                self._memo[text] = Prediction(behaviour, predicted, tokens, reason, confidence, unfamiliar is None,
                                              confident)
            self.stats.predicted += len(todo)
        self.stats.calls += len(texts) if count else 0
        self.stats.seconds += time.perf_counter() - start
        return [self._memo[text] for text in texts]

    def decode_prediction(self, predicted: tuple[str, ...], mapping: dict[str, str], rng: random.Random) -> Behaviour:
        """What predicted tokens say: a (projected) behaviour, or an input for an inverse model."""
        from pytest_modelizer.aspect import side_behaviour

        if self.direction == "forward":
            return side_behaviour(self.subject, predicted, mapping)
        if self.pools:  # a failure-aspect inverse model has no query content to copy: draw values
            mapping = {**fill_placeholders(predicted, self.pools, rng), **mapping}
        return Behaviour.success(self.tgt_tokenizer.detokenize(predicted, mapping))

    def predict(self, text: str) -> Prediction:
        return self.predict_batch([text])[0]

    def answer(self, text: str, prediction: Prediction) -> str:
        """What the program would return per `prediction`: the output, or the predicted failure raised."""
        if prediction.behaviour is None:
            raise UncoveredInputError(
                f"the {self.direction} model of {self.subject.name!r} (key {self.artifact.key}) cannot represent "
                f"{text[:60]!r}: {prediction.reason}. Add such inputs to the subject's grammar and retrain "
                f"(pytest --modelizer-train)"
            )
        if not prediction.behaviour.ok:
            raise failure_exception(self.subject, prediction.behaviour, predicted=True)
        return prediction.behaviour.output or ""

    def __call__(self, text: str) -> str:
        return self.answer(text, self.predict(text))

    def batch(self, texts: Sequence[str]) -> list[str]:
        """Outputs for many inputs at once (one batched decode); raises like a single call."""
        return [self.answer(t, p) for t, p in zip(texts, self.predict_batch(list(texts)))]

    def __repr__(self) -> str:
        return f"<MockProgram {self.subject.name} {self.direction} key={self.artifact.key}>"



def fill_placeholders(tokens: Sequence[str], pools: dict[str, list[str]], rng: random.Random,
                      contexts: dict[tuple[str, str], list[str]] | None = None) -> dict[str, str]:
    """A mapping giving each placeholder `TYPE_n` in `tokens` a value, distinct per n.

    The value comes from `contexts[(TYPE, token before it)]` where given (a table name after
    "FROM ", a column after "SELECT "), else from `pools[TYPE]`.
    """
    mapping: dict[str, str] = {}
    used: dict[str, set[str]] = {}
    for i, tok in enumerate(tokens):
        kind, _, number = tok.rpartition("_")
        if tok in mapping or not number.isdigit():
            continue
        before = tokens[i - 1] if i else ""
        before_kind, _, before_number = before.rpartition("_")
        if before_kind and before_number.isdigit():
            before = before_kind + "_"  # after another placeholder: contexts say "after content"
        pool = (contexts or {}).get((kind, before)) or pools.get(kind)
        if not pool:
            continue
        taken = used.setdefault(kind, set())
        free = [v for v in pool if v not in taken] or pool
        mapping[tok] = rng.choice(free)
        taken.add(mapping[tok])
    return mapping
