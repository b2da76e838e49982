"""What every bundled subject must hold: a cheap import, a valid grammar whose inputs tokenize,
loadable corpora, current shipped models, and a program whose outputs tokenize.

Each subject's own behaviour (its program's answers, its failures, what its grammar reaches)
is tested in `test_<subject>_subject.py`.
"""
from __future__ import annotations

from importlib.metadata import entry_points

import pytest
from subject_checks import assert_import_is_cheap, assert_lossless, fuzz_sample, run_sample

from pytest_modelizer.data import read_inputs
from pytest_modelizer.registry import SubjectRegistry
from pytest_modelizer.store import ModelStore, load_artifact, read_meta
from pytest_modelizer.spec import ModelSpec

REGISTRY = SubjectRegistry.discover()
ENTRY_POINTS = {e.name: e.value for e in entry_points(group="pytest_modelizer.subjects")}
# The module a subject's program imports (absent from a cheap import), and the extra that installs it.
PROGRAMS = {
    "latexify": ("latexify", "latexify"),
    "msticpy-kql": ("msticpy", "kql"),
    "markdown-it": ("markdown_it", "markdown"),
    "pandoc-html": ("pypandoc", "pandoc"),
    "pandoc-markdown": ("pypandoc", "pandoc"),
    "sqlglot-tsql": ("sqlglot", "sqlglot"),
    "asciimath-mathml": ("py_asciimath", "asciimath"),
    "mathml-latex": ("py_asciimath", "asciimath"),
    "latex-asciimath": ("py_asciimath", "asciimath"),
}
# How to install an extra, where pip's `[extra]` is not all of it.
INSTALL = {"asciimath": "pip install 'pytest-modelizer[asciimath]' && pip install --no-deps py-asciimath==0.3.0",
           "kql": "pip install 'pytest-modelizer[kql]' && pip install --no-deps msticpy==3.0.2"}
# The smallest real-world corpus accepted: the AsciiMath examples found in permissively licensed
# test suites are few (subjects/corpora/README.md).
# msticpy's tests and docs hold 39 SQL queries in all (subjects/corpora/README.md).
MIN_CORPUS = {"asciimath-tests": 40, "asciimath-tests-mathml": 40, "asciimath-tests-latex": 40, "msticpy-docs-tests": 39}
BUNDLED = sorted(ENTRY_POINTS)


def _install_command(extra: str) -> str:
    return INSTALL.get(extra, f"pip install 'pytest-modelizer[{extra}]'")


def _subject(name: str):
    return REGISTRY.get(name)


def _assert_lossless(tokenizer, text: str, mapping=None):
    tokens = tokenizer.tokenize(text) if mapping is None else tokenizer.tokenize_with(text, mapping)
    assert_lossless(tokenizer, text, tokens)
    return tokens


def test_every_bundled_subject_is_listed_here():
    assert set(BUNDLED) == set(PROGRAMS)


@pytest.mark.parametrize("name", BUNDLED)
def test_models_and_corpora_live_in_the_bundled_folders(name):
    from pytest_modelizer.subjects.bundled import CORPORA, MODELS

    subject = _subject(name)
    assert subject.shipped_models == MODELS / name
    assert all(path.parent == CORPORA and path.is_file() for path in subject.corpora.values())


@pytest.mark.parametrize("name", BUNDLED)
def test_import_is_cheap(name):
    module, attribute = ENTRY_POINTS[name].split(":")
    assert_import_is_cheap(module, attribute, name, PROGRAMS[name][0])


@pytest.mark.parametrize("name", BUNDLED)
def test_grammar_is_valid_and_its_inputs_tokenize(name):
    subject = _subject(name)
    limit = subject.training.without_samples().max_nonterminals  # the grammar as written, not as samples weight it
    for text in fuzz_sample(subject, 100, coverage_every=10, max_nonterminals=limit):
        _assert_lossless(subject.input_tokenizer, text)


@pytest.mark.parametrize("name", BUNDLED)
def test_corpora_load_and_tokenize(name):
    subject = _subject(name)
    assert subject.corpora, f"{name} declares no real-world corpus"
    for label, path in subject.corpora.items():
        inputs = read_inputs(path)
        assert len(inputs) >= MIN_CORPUS.get(label, 300), (label, len(inputs))
        for text in inputs:
            _assert_lossless(subject.input_tokenizer, text)


@pytest.mark.parametrize("name", BUNDLED)
def test_program_outputs_tokenize_with_the_inputs_placeholders(name):
    subject = _subject(name)
    status = subject.program_status()
    if status.absent:
        extra = PROGRAMS[name][1]
        pytest.skip(f"needs the {extra} extra: {_install_command(extra)}")
    assert not status.drift, status.describe()
    inputs = fuzz_sample(subject, 30, coverage_every=10,
                         max_nonterminals=subject.training.without_samples().max_nonterminals)
    behaviours = run_sample(subject, inputs)
    assert sum(b.ok for b in behaviours) >= len(inputs) // 2
    for text, behaviour in zip(inputs, behaviours):
        if behaviour.ok:
            mapping = subject.input_tokenizer.tokenize(text).mapping
            _assert_lossless(subject.output_tokenizer, behaviour.output, mapping)


# ---- shipped models


def _label(filename: str) -> tuple[str, str]:
    """(aspect, direction) of a shipped file: `forward-KEY.npz` or `failure-inverse-KEY.npz`."""
    parts = filename.split("-")
    return ("output", parts[0]) if parts[0] in ("forward", "inverse") else (parts[0], parts[1])


SHIPPED = sorted(
    (name, *_label(path.name))
    for name in BUNDLED
    if _subject(name).shipped_models and _subject(name).shipped_models.is_dir()
    for path in _subject(name).shipped_models.glob("*.npz")
)
IDS = [f"{n}-{d}" if a == "output" else f"{n}-{a}-{d}" for n, a, d in SHIPPED]


def test_shipped_models_need_no_torch_to_read():
    folders = [_subject(name).shipped_models for name in BUNDLED if _subject(name).shipped_models]
    assert not [p for folder in folders for p in folder.glob("*.pt")], "convert them: benchmarks/convert_models.py"


@pytest.mark.parametrize("name", BUNDLED)
def test_ships_both_output_models(name):
    assert {(name, "output", "forward"), (name, "output", "inverse")} <= set(SHIPPED)


@pytest.mark.parametrize("name, aspect, direction", SHIPPED, ids=IDS)
def test_shipped_model_matches_the_subject_definition(name, aspect, direction, tmp_path):
    spec = ModelSpec(_subject(name), direction, aspect)
    subject, key, label = spec.subject, spec.key, spec.label
    # An empty cache: only the shipped folder can answer.
    path = ModelStore(tmp_path).find_model(spec)
    shipped = sorted(p.name for p in subject.shipped_models.glob(f"{label}-*.npz"))
    assert path is not None, (
        f"the shipped {label} model of {name} is stale: expected {label}-{key}.npz, found {shipped}. "
        f"Regenerate it with: modelizer train {name} --direction {direction} --aspect {aspect} --ship"
    )
    assert shipped == [path.name], "old shipped models should be removed"


@pytest.mark.parametrize("name, aspect, direction", SHIPPED, ids=IDS)
def test_shipped_model_describes_itself(name, aspect, direction):
    spec = ModelSpec(_subject(name), direction, aspect)
    label = spec.label
    artifact = load_artifact(spec.subject.shipped_models / f"{label}-{spec.key}.npz")
    meta = artifact.meta
    assert meta["components"] == spec.key_components
    # A failure-aspect inverse model is scored on the held-out pairs that fail: a few percent
    # (pandoc-html: 2 of 297, its samples steering synthesis away from runs of unmatched brackets),
    # and its greedy answer per kind is one input, so n counts little there. Failure models may
    # train on fewer pairs (pandoc-html: 6,000, so 297 held out once duplicates are dropped).
    # mathml-latex trains on 8,000 pairs (py-asciimath loads a DTD at each call), so 400 are held
    # out, and its inverse model is scored on the ~370 of them the program does not fail on.
    least = {"failure-inverse": 2, "failure-forward": 290}.get(label, 300 if name == "mathml-latex" else 500)
    assert meta["metrics"]["n"] >= least and 0.0 <= meta["metrics"]["exact_match"] <= 1.0
    assert meta["parameters"] <= 6_300_000
    assert artifact.path.stat().st_size < 8 * 1024 * 1024


@pytest.mark.parametrize("name, aspect, direction", SHIPPED, ids=IDS)
def test_shipped_model_was_trained_on_the_program_as_it_reads_now(name, aspect, direction):
    # An edited program function is drift where the model replays: the plugin refuses the model.
    spec = ModelSpec(_subject(name), direction, aspect)
    meta = read_meta(spec.subject.shipped_models / f"{spec.label}-{spec.key}.npz")
    assert meta.get("program_source") in (None, spec.subject.source_fingerprint()), (
        f"the shipped {spec.label} model of {name} was trained on another version of its program's code; "
        f"retrain it: modelizer train {name} --direction {direction} --aspect {aspect} --ship"
    )


@pytest.mark.parametrize("name, aspect, direction", [s for s in SHIPPED if s[1] == "output"],
                         ids=[i for s, i in zip(SHIPPED, IDS) if s[1] == "output"])
def test_shipped_model_is_calibrated_with_the_shipped_model_of_the_other_direction(name, aspect, direction):
    # A threshold paired with another model than the one shipped beside it is not used: the model
    # would serve at its own threshold, and what BENCHMARKS.md reports would not be what replays.
    spec = ModelSpec(_subject(name), direction, aspect)
    other = spec.reversed().with_training(spec.training)
    meta = read_meta(spec.subject.shipped_models / f"{spec.label}-{spec.key}.npz")
    other_meta = read_meta(spec.subject.shipped_models / f"{other.label}-{other.key}.npz")
    paired = meta["calibration"].get("paired") or {}
    assert (paired.get("other"), paired.get("other_created")) == (other_meta["key"], other_meta["created"]), (
        f"the shipped {spec.label} model of {name} is not calibrated with the shipped {other.label} model; "
        f"run: modelizer calibrate {name}"
    )


def test_markdown_it_model_is_as_good_as_the_readme_says():
    subject = _subject("markdown-it")
    meta = load_artifact(subject.shipped_models / f"forward-{ModelSpec(subject, 'forward').key}.npz").meta
    assert meta["metrics"]["exact_match"] >= 0.92  # README: 95.6 % on synthetic held-out inputs (93.4 % in training)


def test_a_token_never_seen_whole_is_spelled_by_known_ones_and_never_vouched_for():
    from pytest_modelizer.mock import MockProgram

    subject = _subject("markdown-it")
    spec = ModelSpec(subject, "forward")
    mock = MockProgram(spec, load_artifact(subject.shipped_models / f"forward-{spec.key}.npz"))
    # A setext underline of nine dashes: the grammar writes shorter ones, which spell it.
    assert "---------" not in mock.src_vocab.stoi
    parts = mock.pieces("---------")
    assert parts and "".join(parts) == "---------" and all(p in mock.src_vocab.stoi for p in parts)
    prediction = mock.predict("Title\n---------\n")
    assert prediction.covered and not prediction.familiar and not prediction.confident
    assert "spelled by known ones: ['---------']" in prediction.reason and prediction.spelled == ("---------",)
    assert mock.predict("Title\n-----\n").spelled == ()
    # A placeholder's number is what is unseen: it is not spelled, and the input stays uncovered.
    assert mock.pieces("CODELINE_999") is None
    assert mock.pieces("\u2603") is None  # a character no token holds
