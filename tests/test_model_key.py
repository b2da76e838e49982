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
    # Which inputs time out is behaviour the model learns.
    "timeout": dict(timeout=1.0),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_key_changes(change):
    changed = toy.make_subject(**change)
    for direction in ("forward", "inverse"):
        assert changed.model_key(direction) != BASE.model_key(direction)


def test_key_depends_on_direction_and_explicit_training():
    assert BASE.model_key("forward") != BASE.model_key("inverse")
    assert BASE.model_key("forward", toy.QUICK_TRAINING) == toy.QUICK_SUBJECT.model_key("forward")
    assert BASE.model_key("forward", toy.QUICK_TRAINING) != BASE.model_key("forward")


def test_key_ignores_what_does_not_change_the_model():
    assert toy.make_subject(description="words, shouted").model_key("forward") == BASE.model_key("forward")


def test_default_timeout_is_not_a_key_component():
    # Keys made before the timeout was keyed stay valid for subjects that keep the default.
    assert "timeout" not in BASE.key_components("forward")
    assert toy.make_subject(timeout=1.0).key_components("forward")["timeout"] == "1 s"
    assert synthesis_key(toy.make_subject(timeout=1.0), toy.TRAINING) != synthesis_key(BASE, toy.TRAINING)


def test_key_components_are_readable():
    components = BASE.key_components("forward")
    assert components["subject"] == "shout"
    assert components["subject version"] == "1"
    assert components["program version"] == "1.0"
    assert components["program"] == "shout"
    assert components["direction"] == "forward"


def test_key_is_stable_across_processes():
    code = "import toy; print(toy.SUBJECT.model_key('forward'), toy.SUBJECT.model_key('inverse'))"
    env = {**os.environ, "PYTHONPATH": str(toy.TESTS_DIR), "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True)
    assert done.stdout.split() == [toy.SUBJECT.model_key("forward"), toy.SUBJECT.model_key("inverse")]


def test_a_command_is_keyed_by_executable_name_not_install_path():
    here = toy.make_subject(program=["/opt/a/bin/shout", "--fast"])
    there = toy.make_subject(program=["/home/b/.venv/bin/shout", "--fast"])
    assert here.key_components("forward")["program"] == "shout --fast"
    assert here.model_key("forward") == there.model_key("forward")
    assert toy.make_subject(program=["shout", "--slow"]).model_key("forward") != here.model_key("forward")
