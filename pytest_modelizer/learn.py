"""From a subject to a stored model: synthesize, run, tokenize, train, evaluate, save."""
from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Callable

from pytest_modelizer import __version__
from pytest_modelizer.aspect import QUERY_REGIONS, failure_kind
from pytest_modelizer.calibration import (CALIBRATION_TARGET, Familiarity, Spellings, calibrate, calibrate_paired,
                                          content_meta, copy_rules, min_answers, nested_kinds)
from pytest_modelizer.content_check import (check_hidden_content, check_repeatable, probe_content, probe_runs,
                                            probe_words, rare_tokens, vocabulary_words)
from pytest_modelizer.data import (Example, Pair, encode_pair, renumber_placeholders, settled_placeholder_limit, split,
                                   synthesize_pairs)
from pytest_modelizer.from_samples import PLACEHOLDER_QUANTILE
from pytest_modelizer.runner import ProgramRunner
from pytest_modelizer.spec import ModelSpec
from pytest_modelizer.store import SUFFIX, ModelArtifact, ModelStore, load_artifact, save_artifact, stored_dtype
from pytest_modelizer.subject import Subject
from pytest_modelizer.tokenizer import TokenizeError, Vocabulary
from pytest_modelizer.training_stack import require

# Shares of the synthesized pairs held out for early stopping (`val_fraction`) and for the
# reported fidelity and the confidence threshold. A threshold needs 100 answers at least
# (`calibration.min_answers`): a small data set holds out up to a quarter of its pairs to reach 150.
TEST_FRACTION = 0.05
HELD_OUT_PAIRS = 150


def learn(
    spec: ModelSpec,
    store: ModelStore,
    device: str = "cpu",
    log: Callable[[str], None] = lambda msg: None,
    progress: Callable[[object], None] | None = None,
) -> ModelArtifact:
    """Train the model `spec` names (with `spec.training`) and save it in `store`'s cache dir."""
    subject, direction, training = spec.subject, spec.direction, spec.training
    require(f"training the {spec.label} model of {subject.name!r}")
    import torch

    # Torch and numpy load with the first training, not with the plugin.
    from pytest_modelizer.decoder import storage_dtype
    from pytest_modelizer.model import Seq2Seq
    from pytest_modelizer.train import train_model

    # The program's source as it was loaded: read after minutes of training, an edit to its module
    # meanwhile would shift the lines `inspect` reads and make the model look drifted.
    program_source = subject.source_fingerprint()
    started = time.time()
    pairs = synthesize_pairs(subject, training, store.cache_dir, log)
    synthesis_seconds = time.time() - started
    data = prepare(spec, pairs)
    train, val, test, src_vocab, tgt_vocab = data.train, data.val, data.test, data.src_vocab, data.tgt_vocab
    if training.placeholder_limit is None and data.placeholder_limit:
        log(f"renumbering placeholders up to {data.placeholder_limit}, as many of one kind as "
            f"{PLACEHOLDER_QUANTILE:.0%} of the samples hold (TrainingConfig(placeholder_limit=...) sets it)")
    torch.manual_seed(training.seed)
    model = Seq2Seq(training.model, len(src_vocab), len(tgt_vocab))
    log(
        f"training {spec}: {len(train)} pairs, {model.num_parameters():,} parameters, "
        f"vocabularies {len(src_vocab)}/{len(tgt_vocab)}"
    )
    # A vocabulary mostly of tokens seen once or twice, content a placeholder hides and the program
    # acts on, or a program that answers an input differently each time, caps what any model can
    # learn: say so now, not after minutes of training that stalls.
    # A generator's targets are inputs written out, content and all, by design: its rare words are no fault.
    rare = None if spec.is_generator else rare_tokens([(e.src, e.tgt) for e in train])
    if rare is not None:
        log(f"warning: {rare.describe(subject.name)}")
    hidden = repeatable = None
    if spec.is_forward:
        with ProgramRunner(subject, own_interpreters=True) as runner:  # own hash seeds: set order shows
            repeatable = check_repeatable(spec, train, runner, training.seed)
        with ProgramRunner(subject) as runner:
            hidden = check_hidden_content(spec, train, runner, training.seed)
        for check in (repeatable, hidden):
            if check.warns:
                log(f"warning: {check.describe(subject.name)}")
    if data.untokenizable:
        log(f"warning: {describe_untokenizable(data.untokenizable, len(pairs))}")
    if data.too_long:
        log(f"left out {data.too_long} pairs longer than {training.model.max_len - 2} tokens (the model's max_len): "
            f"the model will not answer inputs like them; lower max_input_chars or raise ModelConfig(max_len=...)")
    criterion = "loss" if spec.is_generator else "exact"
    result = train_model(model, data.ids(train), data.ids(val), training, device=device, progress=progress,
                         criterion=criterion)
    meta = {
        "key": spec.key,
        "components": spec.key_components,
        "subject": subject.name,
        "direction": direction,
        "aspect": spec.aspect,
        "model": asdict(training.model),
        # What the samples decided of it (the placeholder limit; the fuzzer's limit made the pairs, and is logged).
        "training": asdict(training.replace(placeholder_limit=data.placeholder_limit)),
        "src_vocab": src_vocab.itos,
        "tgt_vocab": tgt_vocab.itos,
        "parameters": model.num_parameters(),
        "train_pairs": len(train),
        "train_seconds": round(result.seconds, 1),
        "synthesis_seconds": round(synthesis_seconds, 1),
        "epochs": result.epochs,
        "stopped": result.stopped,
        "history": result.history,  # validation exact match (or loss) at each evaluation: the learning curve
        "device": device,
        "threads": torch.get_num_threads(),
        "plugin_version": __version__,
        "program_source": program_source,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        QUERY_REGIONS: True,  # encode_pair's default, which prepare used
    }
    if hidden is not None:
        meta["hidden_content"] = hidden.to_meta()
        meta["repeatable"] = repeatable.to_meta()
    if spec.is_failure:
        from collections import Counter

        kinds = Counter(failure_kind(subject, p.behaviour) for p in pairs if not p.behaviour.ok)
        meta["failure_kinds"] = dict(sorted(kinds.items()))  # what generation can ask the inverse for
        if not spec.is_forward:
            meta["placeholder_values"] = placeholder_values(subject, [e.pair.input for e in train])
    artifact = ModelArtifact(meta, {k: v.detach().cpu() for k, v in model.state_dict().items()})
    with ProgramRunner(subject) as runner:
        assess(spec, artifact, data, runner)
    log(trained_summary(spec, meta))
    dtype = storage_dtype(training.model, artifact.state_dict, [s for s, _ in data.ids(test)],
                          meta["calibration"]["threshold"])
    save_artifact(artifact, store.model_file(spec), dtype)
    return artifact


def validation_loss(meta: dict) -> float | None:
    """A model's lowest validation loss per token (how a generator, which has no one right answer, learnt)."""
    losses = [h["val_loss"] for h in meta.get("history", ()) if "val_loss" in h]
    return min(losses) if losses else None


# A constant answer this common is what a trained model's summary warns of, where the model does
# not avoid at least this share of its wrong answers (a relative margin: a program that fails on
# 1 % of its inputs leaves no absolute one).
CONSTANT_WARN_SHARE, CONSTANT_ERRORS_AVOIDED = 0.25, 0.5


def trained_summary(spec: ModelSpec, meta: dict) -> str:
    """How well a trained model did, in the terms that apply to it."""
    if spec.is_generator:
        lowest = validation_loss(meta)
        loss = f"{lowest:.3f}" if lowest is not None else "not measured"
        return (f"validation loss {loss} per token (a generator of failure-likely inputs: "
                f"`modelizer cases` shows which of its inputs the program confirms); {stop_reason(meta)}")
    metrics, calibration = meta["metrics"], meta["calibration"]
    summary = (f"held-out exact match {metrics['exact_match']:.1%} on {metrics['n']} pairs; "
               f"{calibration['answered']:.1%} answered confidently")
    target = calibration.get("target", CALIBRATION_TARGET)
    if calibration["answered"] == 0 and metrics["n"] < min_answers(target):
        summary += (f" ({metrics['n']} held-out pairs cannot vouch for {target:.0%} exact: {min_answers(target)} "
                    f"answers are needed, so every answer counts as uncertain; synthesize more pairs "
                    f"(TrainingConfig(pairs=...)), and where the grammar makes few distinct inputs, let it make more)")
    share = metrics.get("constant_share", 0.0)
    if share >= CONSTANT_WARN_SHARE and 1 - metrics["exact_match"] > (1 - CONSTANT_ERRORS_AVOIDED) * (1 - share):
        summary += (f" (no better than answering {metrics.get('constant_answer')!r} every time, which "
                    f"{share:.1%} of the held-out pairs expect: the model has learnt little beyond that; "
                    f"train longer, and make the grammar write more of the other answers)")
    return summary + "; " + stop_reason(meta)


STOP_REASONS = {
    "perfect": "every validation pair was exact",
    "patience": "validation exact match stopped improving (patience; at a high learning rate, after lowering it)",
    "time": "the time cap was reached (TrainingConfig(max_minutes=...))",
    "max_epochs": "the last epoch was run (TrainingConfig(max_epochs=...))",
}


def stop_reason(meta: dict) -> str:
    """Why and when training stopped, e.g. "trained 18.6 s of 60 s, 12 epochs: every validation pair was exact"."""
    cap = meta.get("training", {}).get("max_minutes")
    of = f" of {cap * 60:.0f} s" if cap else ""
    why = STOP_REASONS.get(meta.get("stopped"), meta.get("stopped") or "unknown")
    epochs = meta.get("epochs")
    return f"trained {meta.get('train_seconds', 0):.1f} s{of}, {epochs} epoch{'s' * (epochs != 1)}: {why}"


def assess(spec: ModelSpec, artifact: ModelArtifact, data: "Prepared", runner) -> None:
    """Score a trained model on its held-out pairs, calibrate when to trust it; into `artifact.meta`.

    `calibration` holds the training sources' trigrams, the characters placeholder values may hold,
    the spellings the program treats alike and the confidence threshold (see calibration.py);
    `metrics` the held-out fidelity, with the share answered confidently.
    """
    from pytest_modelizer.evaluate import score_pairs, summarize  # numpy, as in `learn`
    from pytest_modelizer.mock import MockProgram

    meta = artifact.meta
    # Only a forward model's placeholders are the program's input, where a changed value can be run.
    probed = (probe_placeholders(spec, data.train, [*data.src_vocab.itos, *data.tgt_vocab.itos], runner)
              if spec.is_forward else {})
    meta["calibration"] = {**Familiarity.learn((e.src for e in data.train), targets=(e.tgt for e in data.train),
                                               held_out=((e.src, e.tgt) for e in data.test), **probed).to_meta(),
                           "alike_spellings": Spellings.learn((e.src, e.tgt) for e in data.train).to_meta()}
    mock = MockProgram(spec, artifact, device="cpu")
    scored, _ = score_pairs(mock, [e.pair for e in data.test], runner)
    meta["calibration"].update(calibrate(scored), held_out="synthetic")
    meta["metrics"] = {**summarize(scored, meta["calibration"]["threshold"]), "held_out": "synthetic",
                       **constant_answer(data.test)}


def constant_answer(held_out: list[Example]) -> dict:
    """The held-out pairs' most common target and its share: what answering it every time would score.

    A model of a program that mostly succeeds (a failure model: "ok") can reach a high exact match
    without learning anything; its exact match means something only above this.
    """
    counts = Counter(e.tgt for e in held_out)
    if not counts:
        return {}
    target, n = counts.most_common(1)[0]
    return {"constant_share": n / len(held_out), "constant_answer": " ".join(target)[:60]}


def probe_placeholders(spec: ModelSpec, train: list[Example], vocabulary: list[str], runner) -> dict:
    """What a forward model's placeholders' values may hold: characters (`probe_content`), runs of
    them (`probe_runs`), and not the words of its `vocabulary` the program treats specially where
    (`probe_words`); as `Familiarity.learn`'s keyword arguments."""
    content = probe_content(spec, train, runner, spec.training.seed)
    return {"content": content, "runs": probe_runs(spec, train, runner, content, spec.training.seed),
            "words": probe_words(spec, train, runner, vocabulary_words(vocabulary))}


def recalibrate(spec: ModelSpec, store: ModelStore, path, log: Callable[[str], None] = lambda m: None):
    """Calibrate a model again, on the pairs it was trained on; saved in place.

    The pairs are synthesized again from the model's own training configuration (the same seed
    gives the same pairs, so the same split): the held-out part is what training held out. Where
    they come out otherwise (the grammar's samples or this plugin's synthesis changed since), a
    calibrated forward model keeps its threshold and trigrams and learns only what depends on the
    program, not on which pairs were held out, from the pairs of now: which characters (and runs
    of them) its placeholders' values may hold, which words the program treats specially in them,
    which spellings it treats alike, which tags and brackets its outputs nest and how they copy
    placeholders.
    """
    subject = spec.subject
    require(f"calibrating the {spec.label} model of {subject.name!r}")
    artifact = load_artifact(path)
    training = spec.training  # the key found this file: the configuration it was trained with
    pairs = synthesize_pairs(subject, training, store.cache_dir, log)
    data = prepare(spec, pairs)
    retrain = f"modelizer train {subject.name} --direction {spec.direction}{spec.aspect_args}"
    if data.src_vocab.itos == artifact.meta["src_vocab"]:
        with ProgramRunner(subject) as runner:
            assess(spec, artifact, data, runner)
        from pytest_modelizer.decoder import storage_dtype  # numpy, as in `learn`

        dtype = storage_dtype(training.model, artifact.state_dict, [s for s, _ in data.ids(data.test)],
                              artifact.meta["calibration"]["threshold"])
    elif spec.is_forward and "threshold" in (artifact.meta.get("calibration") or {}):
        log(f"{path}: the pairs synthesized now are not the ones this model was trained on (its vocabulary "
            f"differs): its threshold and trigrams are kept, and only what the program does is learned, from "
            f"the pairs of now (the characters its placeholders' values may hold, the words it treats specially in "
            f"them, the spellings it treats alike, the tags and brackets its outputs nest, how they copy "
            f"placeholders); "
            f"for a whole calibration, retrain it: {retrain}")
        with ProgramRunner(subject) as runner:
            probed = probe_placeholders(
                spec, data.train, [*artifact.meta["src_vocab"], *artifact.meta["tgt_vocab"]], runner)
        artifact.meta["calibration"].update(
            content_meta(**probed), alike_spellings=Spellings.learn((e.src, e.tgt) for e in data.train).to_meta(),
            nested=sorted(nested_kinds(e.tgt for e in data.train)),
            copies=copy_rules((e.src, e.tgt) for e in data.train))
        dtype = stored_dtype(artifact.state_dict)
    else:
        raise ValueError(f"{path}: the pairs synthesized now are not the ones this model was trained on "
                         f"(its vocabulary differs); retrain it: {retrain}")
    save_artifact(artifact, path.with_suffix(SUFFIX), dtype)
    if path.suffix != SUFFIX:  # a file of the older torch format is replaced
        path.unlink()
    return artifact


def calibrate_pair(spec: ModelSpec, store: ModelStore, log: Callable[[str], None] = lambda m: None,
                   cached_only: bool = True) -> list[ModelArtifact]:
    """Calibrate the models of both directions of `spec`'s subject each with the other's check
    (`calibration.calibrate_paired`), where both are stored; saved in place, returned.

    Each is scored on its own held-out pairs, the other asked about every answer. Training calls
    this once the second direction exists, for the models in the cache (`cached_only`: shipped ones
    stay as shipped), or wherever they are when it has just shipped one (`modelizer train --ship`);
    `modelizer calibrate` for any. A model paired with another model than the one
    there now (another key, or the same key trained again) has its own threshold
    (`MockProgram.threshold_with`).
    """
    from contextlib import ExitStack

    from pytest_modelizer.evaluate import score_pairs
    from pytest_modelizer.mock import MockProgram

    if spec.is_failure:
        return []
    other = spec.reversed().with_training(spec.training)
    found = {s: store.find_model(s) for s in (spec, other)}
    if None in found.values():
        return []
    saved = []
    with ExitStack() as locks:
        for s in sorted(found, key=lambda s: s.label):  # one order for every process: no deadlock
            locks.enter_context(store.lock(s.subject.name, s.label))
        artifacts = {s: load_artifact(path) for s, path in found.items()}
        mocks = {s: MockProgram(s, artifact, device="cpu") for s, artifact in artifacts.items()}
        pairs = None  # both directions are trained on the same pairs (one training configuration)
        with ProgramRunner(spec.subject) as runner:
            for one, two in ((spec, other), (other, spec)):
                path, artifact = found[one], artifacts[one]
                if (path.suffix != SUFFIX or "threshold" not in (artifact.meta.get("calibration") or {})
                        or (cached_only and path.parent != store.cache_dir / one.subject.name)):
                    continue
                pairs = pairs or synthesize_pairs(spec.subject, spec.training, store.cache_dir, log)
                data = prepare(one, pairs)
                if data.src_vocab.itos != artifact.meta["src_vocab"]:
                    log(f"{path}: the pairs synthesized now are not the ones this model was trained on; not "
                        f"calibrated with its other direction's model")
                    continue
                scored, _ = score_pairs(mocks[one], [e.pair for e in data.test], runner, other=mocks[two])
                alone = artifact.meta["calibration"]["threshold"]
                artifact.meta["calibration"]["paired"] = {"other": artifacts[two].key,
                                                          "other_created": artifacts[two].meta.get("created"),
                                                          **calibrate_paired(scored, alone)}
                save_artifact(artifact, path, stored_dtype(artifact.state_dict))
                saved.append(artifact)
    return saved


# Failures are a few percent of synthesized pairs; a failure-aspect model should see them often.
FAILURE_SHARE = 0.25
PLACEHOLDER_VALUES = 64


def oversample_failures(train: list[Example], seed: int) -> list[Example]:
    """Training examples with failing pairs repeated until they are about FAILURE_SHARE of them."""
    failing = [e for e in train if not e.pair.behaviour.ok]
    if not failing or len(failing) >= FAILURE_SHARE * len(train):
        return train
    copies = int(FAILURE_SHARE * (len(train) - len(failing)) / (1 - FAILURE_SHARE) / len(failing))
    extra = failing * max(0, copies - 1)
    out = train + extra
    random.Random(seed).shuffle(out)
    return out


def placeholder_values(subject: Subject, inputs: list[str]) -> dict[str, list[str]]:
    """The most frequent values of each content terminal in training inputs (to fill sampled placeholders)."""
    from collections import Counter

    counts: dict[str, Counter] = {}
    for text in inputs:
        try:
            mapping = subject.input_tokenizer.tokenize(text).mapping
        except TokenizeError:
            continue
        for placeholder, value in mapping.items():
            counts.setdefault(placeholder.rpartition("_")[0], Counter())[value] += 1
    return {kind: [v for v, _ in c.most_common(PLACEHOLDER_VALUES)] for kind, c in sorted(counts.items())}


@dataclass
class Prepared:
    """A subject's pairs ready for training one direction: splits and vocabularies."""

    train: list[Example]
    val: list[Example]
    test: list[Example]
    src_vocab: Vocabulary
    tgt_vocab: Vocabulary
    too_long: int = 0  # pairs left out: longer than the model's max_len in tokens
    untokenizable: list[tuple[Pair, str]] = field(default_factory=list)  # pairs left out, and why
    placeholder_limit: int = 0  # how far the training pairs' placeholders were renumbered

    def ids(self, examples: list[Example]) -> list[tuple[list[int], list[int]]]:
        return [(self.src_vocab.encode(e.src), self.tgt_vocab.encode(e.tgt)) for e in examples]


def describe_untokenizable(untokenizable: list[tuple[Pair, str]], total: int) -> str:
    pair, why = untokenizable[0]
    return (f"{len(untokenizable)} of {total} synthesized pairs cannot be tokenized and were left out (e.g. input "
            f"{pair.input[:80]!r}: {why}); the model will not answer inputs like them. Give the tokenizer a "
            f"terminal for that text, or a low-priority catch-all (ANY.-1: /[\\s\\S]/) so that every string "
            f"tokenizes")


def prepare(spec: ModelSpec, pairs: list[Pair]) -> Prepared:
    """Tokenize, drop what exceeds the model's length, split, augment and build vocabularies."""
    subject, training = spec.subject, spec.training
    if not spec.is_forward and not spec.is_failure:
        # An inverse model is asked about the program's outputs, and a failure is none: its pairs
        # would teach it to write a failing input's content, which no query holds, word by word.
        pairs = [p for p in pairs if p.behaviour.ok]
    max_tokens = training.model.max_len - 2
    untokenizable: list[tuple[Pair, str]] = []
    encoded = [e for e in (encode_pair(spec, p, untokenizable) for p in pairs) if e is not None]
    examples = [e for e in encoded if len(e.src) <= max_tokens and len(e.tgt) <= max_tokens]
    if len(examples) < 10:
        why = [f"{len(encoded) - len(examples)} are longer than {max_tokens} tokens (raise ModelConfig(max_len=...) "
               f"or lower max_input_chars)"] if len(encoded) > len(examples) else []
        if untokenizable:
            why.append(describe_untokenizable(untokenizable, len(pairs)))
        raise ValueError(f"subject {subject.name!r}: only {len(examples)} of {len(pairs)} synthesized pairs can be "
                         f"trained on: " + "; ".join(why or ["check the grammar"]))
    test_fraction = max(TEST_FRACTION, min(HELD_OUT_PAIRS / len(examples), 0.25))
    train, val, test = split(examples, training.seed, training.val_fraction, test_fraction)
    if spec.is_failure:
        train = oversample_failures(train, training.seed)
    extra: list[tuple[str, ...]] = []
    limit = settled_placeholder_limit(subject, training)
    if limit:
        content = set(subject.input_tokenizer.content) | set(subject.output_tokenizer.content)
        rng = random.Random(training.seed)
        train = [renumber_placeholders(e, content, limit, rng) if rng.random() < 0.5 else e for e in train]
        extra = [tuple(f"{kind}_{n}" for kind in sorted(content) for n in range(1, limit + 1))]
    if training.model.shared_vocab:
        src_vocab = tgt_vocab = Vocabulary.build([*(e.src for e in train), *(e.tgt for e in train), *extra])
    else:
        src_vocab = Vocabulary.build([*(e.src for e in train), *extra])
        tgt_vocab = Vocabulary.build([*(e.tgt for e in train), *extra])
    return Prepared(train, val, test, src_vocab, tgt_vocab, len(encoded) - len(examples), untokenizable, limit)
