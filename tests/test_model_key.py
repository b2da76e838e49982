"""The model key: everything that changes what a model learns changes the key, and nothing else."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest

import toy
from pytest_modelizer import LarkTokenizer
from pytest_modelizer.config import ModelConfig
from pytest_modelizer.data import synthesis_key
from pytest_modelizer.spec import ModelSpec

BASE = toy.make_subject()


def other_program(text: str) -> str:
    return text


CHANGES = {
    "name": dict(name="shout2"),
    "subject version": dict(version="2"),
    "program version": dict(program_version="1.1"),
    "program": dict(program=other_program),
    "grammar": dict(grammar={**toy.GRAMMAR, "<w>": [*toy.GRAMMAR["<w>"], "yak"]}),
    "input tokenizer terminals": dict(
        input_tokenizer=LarkTokenizer(toy.INPUT_TOKENIZER.terminals + "\nTAB: /\\t/", content=("WORD",))
    ),
    "input tokenizer content": dict(input_tokenizer=LarkTokenizer(toy.INPUT_TOKENIZER.terminals, content=())),
    "output tokenizer": dict(
        output_tokenizer=LarkTokenizer(toy.OUTPUT_TOKENIZER.terminals, content=("WORD", "BAR"))
    ),
    "training pairs": dict(training=toy.TRAINING.replace(pairs=601)),
    "training seed": dict(training=toy.TRAINING.replace(seed=1)),
    "training lr": dict(training=toy.TRAINING.replace(lr=5e-4)),
    "model config": dict(training=toy.TRAINING.replace(model=ModelConfig(d_model=32, max_len=64))),
    "model layers": dict(training=toy.TRAINING.replace(model=replace(toy.TINY_MODEL, enc_layers=2))),
    "rotary positions": dict(training=toy.TRAINING.replace(model=replace(toy.TINY_MODEL, rotary=not toy.TINY_MODEL.rotary))),
    # Which inputs time out is behaviour the model learns.
    "timeout": dict(timeout=1.0),
    "inputs cut short": dict(training=toy.TRAINING.replace(cut_share=0.1)),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_key_changes(change):
    changed = toy.make_subject(**change)
    for direction in ("forward", "inverse"):
        assert ModelSpec(changed, direction).key != ModelSpec(BASE, direction).key


def test_key_depends_on_direction_and_explicit_training():
    assert ModelSpec(BASE, "forward").key != ModelSpec(BASE, "inverse").key
    assert ModelSpec(BASE, "forward", training=toy.QUICK_TRAINING).key == ModelSpec(toy.QUICK_SUBJECT, "forward").key
    assert ModelSpec(BASE, "forward", training=toy.QUICK_TRAINING).key != ModelSpec(BASE, "forward").key


def test_key_ignores_what_does_not_change_the_model():
    assert ModelSpec(toy.make_subject(description="words, shouted"), "forward").key == ModelSpec(BASE, "forward").key


def test_default_timeout_is_not_a_key_component():
    # Keys made before the timeout was keyed stay valid for subjects that keep the default.
    assert "timeout" not in ModelSpec(BASE, "forward").key_components
    assert ModelSpec(toy.make_subject(timeout=1.0), "forward").key_components["timeout"] == "1 s"
    assert synthesis_key(toy.make_subject(timeout=1.0), toy.TRAINING) != synthesis_key(BASE, toy.TRAINING)


def test_a_model_field_added_later_is_keyed_only_away_from_its_earlier_value():
    # Models made before rotary positions were not rotary: their keys stay valid, their metadata
    # (without the field) loads as what they are.
    earlier = toy.TRAINING.replace(model=replace(toy.TINY_MODEL, rotary=False))
    assert '"rotary"' not in ModelSpec(toy.make_subject(training=earlier), "forward").key_components["training"]
    rotary = toy.TRAINING.replace(model=replace(toy.TINY_MODEL, rotary=True))
    assert '"rotary": true' in ModelSpec(toy.make_subject(training=rotary), "forward").key_components["training"]
    fields = {k: v for k, v in toy.TINY_MODEL.__dict__.items() if k != "rotary"}
    assert ModelConfig.from_meta(fields) == replace(toy.TINY_MODEL, rotary=False)
    assert ModelConfig.from_meta({**fields, "rotary": True}).rotary


def test_a_training_field_added_later_is_keyed_only_away_from_its_earlier_value():
    # Models and pairs made before inputs could be cut short had none cut: their keys stay valid.
    assert '"cut_share"' not in ModelSpec(BASE, "forward").key_components["training"]
    cut = toy.make_subject(training=toy.TRAINING.replace(cut_share=0.1))
    assert '"cut_share": 0.1' in ModelSpec(cut, "forward").key_components["training"]
    assert synthesis_key(cut, cut.training) != synthesis_key(BASE, BASE.training)


def test_key_components_are_readable():
    components = ModelSpec(BASE, "forward").key_components
    assert components["subject"] == "shout"
    assert components["subject version"] == "1"
    assert components["program version"] == "1.0"
    assert components["program"] == "shout"
    assert components["direction"] == "forward"


def test_key_is_stable_across_processes():
    code = "import toy; from pytest_modelizer.spec import ModelSpec; print(ModelSpec(toy.SUBJECT, 'forward').key, ModelSpec(toy.SUBJECT, 'inverse').key)"
    env = {**os.environ, "PYTHONPATH": str(toy.TESTS_DIR), "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True)
    assert done.stdout.split() == [ModelSpec(toy.SUBJECT, "forward").key, ModelSpec(toy.SUBJECT, "inverse").key]


def test_a_command_is_keyed_by_executable_name_not_install_path():
    here = toy.make_subject(program=["/opt/a/bin/shout", "--fast"])
    there = toy.make_subject(program=["/home/b/.venv/bin/shout", "--fast"])
    assert ModelSpec(here, "forward").key_components["program"] == "shout --fast"
    assert ModelSpec(here, "forward").key == ModelSpec(there, "forward").key
    assert ModelSpec(toy.make_subject(program=["shout", "--slow"]), "forward").key != ModelSpec(here, "forward").key


def test_a_model_spec_names_its_model_and_picks_its_training_and_tokenizers():
    from pytest_modelizer.subject import failure_training_for

    forward, inverse = ModelSpec(BASE, "forward"), ModelSpec(BASE, "inverse")
    failure = ModelSpec(BASE, "inverse", "failure")
    assert (forward.label, inverse.label, failure.label) == ("forward", "inverse", "failure-inverse")
    assert str(failure) == "shout (failure-inverse)" and failure.aspect_args == " --aspect failure"
    assert forward.training is BASE.training and failure.training == failure_training_for(BASE.training)
    assert ModelSpec(toy.FAILING_SUBJECT, "forward", "failure").training is toy.FAILING_SUBJECT.failure_training
    assert (forward.source_tokenizer, forward.target_tokenizer) == (BASE.input_tokenizer, BASE.output_tokenizer)
    assert (inverse.source_tokenizer, inverse.target_tokenizer) == (BASE.output_tokenizer, BASE.input_tokenizer)
    assert forward.reversed() == inverse and inverse.reversed() == forward and failure.reversed().label == "failure-forward"
    assert "aspect" not in forward.key_components and failure.key_components["aspect"] == "failure"
    assert len({forward.key, inverse.key, failure.key}) == 3
    assert forward.with_training(BASE.training) is forward
    assert forward.with_training(toy.QUICK_TRAINING).key == ModelSpec(toy.QUICK_SUBJECT, "forward").key
    assert forward == ModelSpec(toy.make_subject(), "forward") and {forward, ModelSpec(BASE, "forward")} == {forward}
    with pytest.raises(ValueError, match="unknown direction 'sideways'"):
        ModelSpec(BASE, "sideways")
    with pytest.raises(ValueError, match="aspect 'colour' is not one of output, failure"):
        ModelSpec(BASE, "forward", "colour")


def test_a_probed_program_version_runs_once_per_subject_whatever_the_number_of_keys():
    calls = []

    def probe() -> str:
        calls.append(1)
        return "shout==1.0"

    subject = toy.make_subject(program_version=probe)
    keys = {ModelSpec(subject, d, a).key for d in ("forward", "inverse") for a in ("output", "failure")}
    spec = ModelSpec(subject, "forward")
    assert spec.key == spec.key and len(keys) == 4
    assert len(calls) == 1
