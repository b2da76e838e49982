"""MockProgram: a trained model standing in for the real program."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Sequence

from pytest_modelizer.aspect import OK_LABEL, QUERY_REGIONS, behaviour_side, label_tokens, query_mapping, side_behaviour
from pytest_modelizer.behaviour import Behaviour
from pytest_modelizer.calibration import Familiarity, Spellings, is_placeholder
from pytest_modelizer.config import ModelConfig
from pytest_modelizer.decoder import Decoder, NumpyDecoder, TorchDecoder
from pytest_modelizer.errors import PredictedFailure, UncoveredInputError, failure_exception  # noqa: F401 - re-exported
from pytest_modelizer.spec import ModelSpec
from pytest_modelizer.store import ModelArtifact
from pytest_modelizer.tokenizer import FAILURE_TOKEN, SPECIALS, TokenizeError, Tokenized, Vocabulary


@dataclass
class Prediction:
    """A model's answer for one input; `behaviour` is None when the input is not covered."""

    behaviour: Behaviour | None
    tokens: tuple[str, ...] = ()
    src_tokens: tuple[str, ...] = ()
    reason: str = ""
    # The lowest probability the decoder gave a token of this answer (its end included); 0 when uncovered.
    confidence: float = 0.0
    # Whether every source trigram (or pair: `calibration.checked_grams`) occurred in training, the
    # placeholders' values hold only characters known to be copied as is, and every trigram (or
    # pair) of the answer occurred in the training targets (calibration.Familiarity; True without that data).
    familiar: bool = True
    # Familiar, and `confidence` at or above the model's calibrated threshold (such answers were at
    # least 99 % exact on held-out pairs).
    confident: bool = False
    # Why an uncovered input is: "unseen tokens" (listed in `unseen`), "too long" or "untokenizable".
    uncovered: str = ""
    unseen: tuple[str, ...] = ()
    # The query's tokens never seen in training that known tokens spelled (`MockProgram.pieces`).
    spelled: tuple[str, ...] = ()

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
    # What changing a placeholder's value did to the program at training (content_check); {} before it existed.
    hidden_content: dict = field(default_factory=dict)
    # The training inputs run again unchanged, and how many got another answer (content_check); {} before it existed.
    repeatable: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        # The figures, not the calibration's trigram lists (tens of kilobytes printed in a failing assert).
        exact, confident = self.metrics.get("exact_match"), self.calibration.get("answered")
        figures = "".join(f", {name}={value:.3f}" for name, value in
                          (("exact_match", exact), ("answered_confidently", confident), ("threshold", self.threshold))
                          if value is not None)
        return (f"ModelInfo(subject={self.subject!r}, direction={self.direction!r}, key={self.key!r}, "
                f"parameters={self.parameters:,}{figures}, path={self.path!r})")


@dataclass
class MockStats:
    calls: int = 0
    predicted: int = 0
    seconds: float = 0.0

    @property
    def mean_ms(self) -> float:
        return 1000 * self.seconds / self.calls if self.calls else 0.0


class MockProgram:
    """Callable like the program (`str -> str`); `.batch()` for many inputs; predictions memoized.

    What the rest of the plugin uses: `encode` (UncoveredInputError for an input it cannot
    represent), `predict` / `predict_batch` (calls counted or not), `clear_memo`, `sample` and
    `failure_scores`. It owns its decoder: numpy on the CPU, so replaying needs no torch; torch on
    another device, and built on first use where sampling or failure scores need it.
    """

    def __init__(self, spec: ModelSpec, artifact: ModelArtifact, device: str = "cpu") -> None:
        self.spec = spec
        self.subject = spec.subject
        self.artifact = artifact
        self.device = device
        meta = artifact.meta
        self.src_vocab = Vocabulary(meta["src_vocab"])
        self.tgt_vocab = Vocabulary(meta["tgt_vocab"])
        self.model_config = ModelConfig.from_meta(meta["model"])
        self._torch_decoder: TorchDecoder | None = None
        # Greedy answers decode in numpy on the CPU (no torch needed); another device needs torch.
        self.decoder: Decoder = self.torch_decoder if device != "cpu" else NumpyDecoder(self.model_config,
                                                                                        artifact.state_dict)
        # Values for placeholders, drawn like the training inputs' (failure-aspect inverse models).
        self.pools: dict[str, list[str]] = meta.get("placeholder_values") or {}
        self.stats = MockStats()
        self._memo: dict[str, Prediction] = {}
        self.familiarity = Familiarity.from_meta(meta)
        self.spellings = Spellings.from_meta(meta)  # none for a model calibrated before they were learned
        self.query_regions = bool(meta.get(QUERY_REGIONS))  # how its queries were tokenized in training

    @property
    def torch_decoder(self) -> TorchDecoder:
        """The model in torch on the mock's device, built on first use (MissingExtraError without torch)."""
        if self._torch_decoder is None:
            self._torch_decoder = TorchDecoder(self.model_config, self.artifact.state_dict, len(self.src_vocab),
                                               len(self.tgt_vocab), self.device)
        return self._torch_decoder

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(
            subject=self.subject.name,
            direction=self.spec.direction,
            key=self.artifact.key,
            parameters=int(self.artifact.meta.get("parameters", 0)),
            metrics=dict(self.artifact.metrics),
            path=str(self.artifact.path),
            threshold=self.threshold,
            calibration=dict(self.artifact.meta.get("calibration") or {}),
            hidden_content=dict(self.artifact.meta.get("hidden_content") or {}),
            repeatable=dict(self.artifact.meta.get("repeatable") or {}),
        )

    @property
    def threshold(self) -> float | None:
        """The calibrated confidence threshold; None for a model trained before calibration existed."""
        calibration = self.artifact.meta.get("calibration") or {}
        return calibration.get("threshold")

    def threshold_with(self, other: "MockProgram | None") -> float | None:
        """The confidence threshold when `other`, the model of the other direction, checks the answers
        (None: none does); None for a model trained before calibration existed.

        The threshold calibrated with `other` (`calibration["paired"]`) holds only for that very model
        (its key, and when it was trained): with another one, or none, it is the model's own.
        """
        paired = (self.artifact.meta.get("calibration") or {}).get("paired") or {}
        if (other is not None and paired.get("other") == other.artifact.key
                and paired.get("other_created") == other.artifact.meta.get("created")):
            return paired["threshold"]
        return self.threshold

    def encode(self, text: str) -> tuple[tuple[str, ...], dict[str, str]]:
        """Source tokens and placeholder mapping of a query; `UncoveredInputError` says why it has none.

        An inverse model's query is an output, or for the failure aspect a label: "ok" or a kind.
        """
        tokens, mapping, _ = self._encode(text)
        return tokens, mapping

    def _encode(self, text: str) -> tuple[tuple[str, ...], dict[str, str], tuple[str, ...]]:
        """`encode`, and the query's tokens never seen in training that known tokens spell (`pieces`)."""
        try:
            if self.spec.is_forward:
                tok = self.spec.source_tokenizer.tokenize(text)
            elif self.spec.is_failure:
                tok = Tokenized(label_tokens(text))
            else:
                tok = behaviour_side(self.spec, Behaviour.success(text), query_mapping(self.query_regions))
        except TokenizeError as exc:
            raise UncoveredInputError(f"cannot tokenize: {exc}", "untokenizable") from None
        tokens = tok.tokens
        unknown = tuple(sorted({t for t in tokens if t not in self.src_vocab.stoi}))
        if unknown:
            spelled = {t: self.pieces(t) for t in unknown}
            unspelled = tuple(t for t, parts in spelled.items() if parts is None)
            if unspelled:
                raise UncoveredInputError(f"tokens never seen in training: {list(unspelled[:5])}", "unseen tokens",
                                          unspelled)
            tokens = tuple(part for t in tokens for part in spelled.get(t) or (t,))
        if len(tokens) + 2 > self.model_config.max_len:
            raise UncoveredInputError(f"{len(tokens)} tokens, more than the model's {self.model_config.max_len - 2}",
                                      "too long")
        return tokens, tok.mapping, unknown

    def pieces(self, token: str) -> tuple[str, ...] | None:
        """An unseen query token spelled as the fewest tokens of the source vocabulary; None if none spell it.

        Real inputs hold runs the training inputs never did (a thematic break of nine dashes where
        the grammar writes three, a deeper indent): spelled by tokens the model knows, such an input
        is still answered, though never confidently (the tokens are not those the program was
        seen to read there; `predict_batch`). A placeholder is never spelled (its number is what is
        unseen), nor is a failure model's label, and pieces are never placeholders or specials.
        """
        if self.spec.is_generator or is_placeholder(token):
            return None
        known = self._spelling_tokens
        longest = min(len(token), self._longest_spelling_token)
        fewest: list[tuple[str, ...] | None] = [()] + [None] * len(token)  # fewest pieces spelling token[:i]
        for start in range(len(token)):
            if fewest[start] is None:
                continue
            for end in range(start + 1, min(len(token), start + longest) + 1):
                piece = token[start:end]
                if piece in known:
                    spelled = fewest[start] + (piece,)
                    if fewest[end] is None or len(spelled) < len(fewest[end]):
                        fewest[end] = spelled
        return fewest[-1]

    @cached_property
    def _spelling_tokens(self) -> frozenset[str]:
        return frozenset(t for t in self.src_vocab.itos[len(SPECIALS):] if not is_placeholder(t))

    @cached_property
    def _longest_spelling_token(self) -> int:
        return max(map(len, self._spelling_tokens), default=0)

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
                todo[text] = self._encode(text)
            except UncoveredInputError as exc:
                self._memo[text] = Prediction(None, reason=str(exc), uncovered=exc.why, unseen=exc.unseen)
        if todo:
            ids = [self.src_vocab.encode(tokens) for tokens, _, _ in todo.values()]
            outputs = self.decoder.decode(ids, max_len=self.model_config.max_len)
            threshold = self.threshold
            for (text, (tokens, mapping, spelled)), (out, confidence) in zip(todo.items(), outputs):
                predicted = tuple(self.tgt_vocab.decode(out))
                behaviour = self.decode_prediction(predicted, mapping, random.Random(text))
                unfamiliar = (f"tokens never seen in training, spelled by known ones: {list(spelled[:5])}" if spelled
                              else self.familiarity.unfamiliar(tokens, mapping)
                              or self.familiarity.unfamiliar_answer(predicted, tokens) if self.familiarity else None)
                confident = threshold is not None and unfamiliar is None and confidence >= threshold
                self._memo[text] = Prediction(behaviour, predicted, tokens, unfamiliar or "", confidence,
                                              unfamiliar is None, confident, spelled=spelled)
            self.stats.predicted += len(todo)
        self.stats.calls += len(texts) if count else 0
        self.stats.seconds += time.perf_counter() - start
        return [self._memo[text] for text in texts]

    def decode_prediction(self, predicted: tuple[str, ...], mapping: dict[str, str], rng: random.Random) -> Behaviour:
        """What predicted tokens say: a (projected) behaviour, or an input for an inverse model."""
        if self.spec.is_forward:
            return side_behaviour(self.spec, predicted, mapping)
        if self.pools:  # a failure-aspect inverse model has no query content to copy: draw values
            mapping = {**fill_placeholders(predicted, self.pools, rng), **mapping}
        return Behaviour.success(self.spec.target_tokenizer.detokenize(predicted, mapping))

    def predict(self, text: str, count: bool = True) -> Prediction:
        return self.predict_batch([text], count)[0]

    def sample(self, texts: Sequence[str], temperature: float, seed: int = 0) -> list[tuple[str, ...]]:
        """Target tokens per query: greedy at temperature 0, else drawn token by token (seeded; needs torch).

        Queries are encoded as by `encode`, which raises UncoveredInputError for one the model cannot represent.
        """
        ids = [self.src_vocab.encode(self.encode(text)[0]) for text in texts]
        if temperature <= 0:
            outputs = [out for out, _ in self.decoder.decode(ids, max_len=self.model_config.max_len)]
        else:
            outputs = self.torch_decoder.sample(ids, temperature, seed, max_len=self.model_config.max_len)
        return [tuple(self.tgt_vocab.decode(out)) for out in outputs]

    def failure_scores(self, texts: Sequence[str]) -> list[tuple[float, str]]:
        """Per query of a failure-aspect forward model: the probability that the program fails, and the label
        the model predicts (a failure kind, or the success label); (0.0, "") where the query is not covered
        or the model never saw a failure. Needs torch.
        """
        result = [(0.0, "")] * len(texts)
        fail_id = self.tgt_vocab.stoi.get(FAILURE_TOKEN)
        index, sources = [], []
        for i, text in enumerate(texts):
            try:
                sources.append(self.src_vocab.encode(self.encode(text)[0]))
            except UncoveredInputError:
                continue
            index.append(i)
        if fail_id is None or not sources:
            return result
        # One pass gives both P(failure) and, forcing the failure token, the most likely kind.
        probs = self.torch_decoder.prefix_probs(sources, [fail_id])  # (N, 2, V)
        greedy_fails = probs[:, 0].argmax(-1) == fail_id
        kinds = probs[:, 1, 4:].argmax(-1) + 4  # ids 0-3 are pad, bos, eos, unk
        for row, i in enumerate(index):
            label = self.tgt_vocab.itos[int(kinds[row])] if greedy_fails[row] else OK_LABEL
            result[i] = (float(probs[row, 0, fail_id]), label)
        return result

    def answer(self, text: str, prediction: Prediction) -> str:
        """What the program would return per `prediction`: the output, or the predicted failure raised."""
        __tracebackhide__ = True  # a failing test's traceback ends at its call, not in our frames
        if prediction.behaviour is None:
            raise UncoveredInputError(
                f"the {self.spec.label} model of {self.subject.name!r} (key {self.artifact.key}) cannot represent "
                f"{text[:60]!r}: {prediction.reason}. Add such inputs to the subject's grammar and retrain "
                f"(pytest --modelizer-train)"
            )
        if not prediction.behaviour.ok:
            raise failure_exception(self.subject, prediction.behaviour, predicted=True)
        return prediction.behaviour.output or ""

    def __call__(self, text: str) -> str:
        __tracebackhide__ = True
        return self.answer(text, self.predict(text))

    def batch(self, texts: Sequence[str]) -> list[str]:
        """Outputs for many inputs at once (one batched decode); raises like a single call."""
        return [self.answer(t, p) for t, p in zip(texts, self.predict_batch(list(texts)))]

    def __repr__(self) -> str:
        return f"<MockProgram {self.subject.name} {self.spec.label} key={self.artifact.key}>"



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
