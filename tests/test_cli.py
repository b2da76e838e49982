"""The `modelizer` command: subjects, train, eval."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import toy
from pytest_modelizer.cli import main
from pytest_modelizer.spec import ModelSpec
from pytest_modelizer.store import load_artifact

EVAL_KEYS = {
    "subject", "direction", "n", "exact_match", "bleu", "bleu_se", "token_accuracy", "coverage", "query_coverage",
    "mock_ms_per_call", "program_ms_per_call",
}


@pytest.fixture
def conftest_file(tmp_path):
    """A --conftest file declaring the full toy subject."""
    path = tmp_path / "toy_conftest.py"
    path.write_text(toy.conftest_source())
    return path


@pytest.fixture
def quick_conftest(tmp_path):
    """A --conftest file declaring the toy subject with its quick training config."""
    path = tmp_path / "quick_conftest.py"
    path.write_text(toy.conftest_source("toy.QUICK_SUBJECT"))
    return path


def write_inputs(path, texts):
    path.write_text("".join(json.dumps({"input": t}) + "\n" for t in texts))
    return path


def test_subjects_lists_entry_points_and_conftest_subjects(conftest_file, toy_cache):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(toy.TESTS_DIR), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest_modelizer", "subjects", "--conftest", str(conftest_file),
         "--cache-dir", str(toy_cache)],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("markdown-it  (subject version ") for line in lines)
    assert "shout  (subject version 1, program 1.0)" in lines
    key = ModelSpec(toy.SUBJECT, "forward").key
    ready = [line for line in lines if line.strip().startswith(f"forward  key {key}: ready (")]
    assert len(ready) == 1 and "held-out exact match" in ready[0]
    assert f"  inverse  key {ModelSpec(toy.SUBJECT, 'inverse').key}: missing" in lines


def test_subjects_reports_stale_models(tmp_path, toy_cache, capsys):
    conftest = tmp_path / "v2.py"
    conftest.write_text(toy.conftest_source("toy.make_subject(version='2')"))
    assert main(["subjects", "--conftest", str(conftest), "--cache-dir", str(toy_cache)]) == 0
    out = capsys.readouterr().out
    assert "shout  (subject version 2, program 1.0)" in out
    assert ": stale (run: modelizer train shout --direction forward)" in out


def test_subjects_says_a_damaged_model_is_unreadable_not_ready(conftest_file, toy_cache, tmp_path, capsys):
    import shutil

    cache = tmp_path / "cache"
    shutil.copytree(toy_cache, cache)
    key = ModelSpec(toy.SUBJECT, "forward").key
    (cache / "shout" / f"forward-{key}.npz").write_bytes(b"garbage\n")
    assert main(["subjects", "--conftest", str(conftest_file), "--cache-dir", str(cache)]) == 0
    out = capsys.readouterr().out
    assert f"  forward  key {key}: unreadable: model file {cache / 'shout' / f'forward-{key}.npz'} is not a model file" in out


def test_train_with_fewer_pairs(quick_conftest, tmp_path, capsys):
    cache = tmp_path / "cache"
    code = main(["train", "shout", "--conftest", str(quick_conftest), "--cache-dir", str(cache), "--pairs", "120"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    key = ModelSpec(toy.QUICK_SUBJECT, "forward", training=toy.QUICK_TRAINING.replace(pairs=120)).key
    assert key != ModelSpec(toy.QUICK_SUBJECT, "forward").key
    path = cache / "shout" / f"forward-{key}.npz"
    assert path.is_file()
    assert captured.out.startswith(f"shout forward: key {key}, ")
    assert f"saved to {path}" in captured.out
    assert "synthesizing 120 inputs" in captured.err
    pairs = list((cache / "shout").glob("pairs-*.jsonl"))
    assert len(pairs) == 1 and len(pairs[0].read_text().splitlines()) == 120


def test_eval_json_on_an_inputs_file(conftest_file, toy_cache, tmp_path, capsys):
    inputs = write_inputs(tmp_path / "inputs.jsonl", ["cat", "!dog owl", "cat 42", "emu !ant bee"])
    code = main(["eval", "shout", "--conftest", str(conftest_file), "--cache-dir", str(toy_cache),
                 "--inputs", str(inputs), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)  # exactly one JSON object
    assert EVAL_KEYS <= set(report)
    assert report["subject"] == "shout" and report["direction"] == "forward"
    assert report["n"] == 4
    assert report["coverage"] == report["query_coverage"] == 0.75  # "cat 42" has digits, which no training input had
    # What to add to the grammar: the tokens that made inputs uncovered.
    assert report["uncovered"] == {"n": 1, "why": {"unseen tokens": 1}, "unseen_tokens": [["2", 1], ["4", 1]]}
    for name in ("exact_match", "bleu", "token_accuracy"):
        assert 0.0 <= report[name] <= 0.75 + 1e-9
    assert report["bleu_se"] >= 0 and report["mock_ms_per_call"] > 0 and report["program_ms_per_call"] > 0
    # Confidence: the uncovered input is never confident; exact among the confident ones is reported.
    assert 0 < report["threshold"] <= 1 + 1e-6 and report["confident"] <= 0.75
    assert report["checked_by"] is None  # no model of the other direction in this cache
    assert report["confident_exact"] is None or 0 <= report["confident_exact"] <= 1


def test_eval_splits_real_inputs_by_whether_the_grammar_describes_them(conftest_file, toy_cache, tmp_path, capsys):
    """Inside the grammar up to content (a word it never lists is still a word), outside it (digits, a
    doubled space), or too long for the Earley parser; synthetic inputs are the grammar's own."""
    from pytest_modelizer.samples import MAX_PARSED_CHARS

    long_input = " ".join(["cat"] * (MAX_PARSED_CHARS // 4 + 1))
    inputs = write_inputs(tmp_path / "inputs.jsonl", ["cat", "!yak owl", "cat 42", "emu  bee", long_input])
    common = ["eval", "shout", "--conftest", str(conftest_file), "--cache-dir", str(toy_cache)]
    assert main([*common, "--inputs", str(inputs), "--json"]) == 0
    by_grammar = json.loads(capsys.readouterr().out)["by_grammar"]
    assert {name: part["n"] for name, part in by_grammar.items()} == {"inside": 2, "outside": 2, "too long to parse": 1}
    assert main([*common, "--inputs", str(inputs)]) == 0
    assert "  by the input grammar: inside 2 inputs, " in capsys.readouterr().out
    assert main([*common, "--json", "--limit", "20"]) == 0
    assert "by_grammar" not in json.loads(capsys.readouterr().out)


def test_eval_text_report_with_limit(conftest_file, toy_cache, tmp_path, capsys):
    inputs = write_inputs(tmp_path / "inputs.jsonl", ["cat", "dog", "owl"])
    code = main(["eval", "shout", "--conftest", str(conftest_file), "--cache-dir", str(toy_cache),
                 "--inputs", str(inputs), "--limit", "2"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(f"shout forward on {inputs} (n=2): exact match ")
    assert "coverage 100.0%" in out and "uncovered" not in out


def test_eval_on_the_evaluation_part_of_a_corpus(conftest_file, toy_cache, tmp_path, capsys):
    from pytest_modelizer.samples import in_evaluation_part

    words = ["cat", "dog", "owl", "emu", "ant", "bee", "cat dog", "owl emu", "ant bee", "bee cat"]
    inputs = write_inputs(tmp_path / "inputs.jsonl", words)
    assert main(["eval", "shout", "--conftest", str(conftest_file), "--cache-dir", str(toy_cache),
                 "--inputs", str(inputs), "--part", "evaluation", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == sum(map(in_evaluation_part, words)) and 0 < report["n"] < len(words)
    assert report["part"] == "evaluation" and report["inputs"] == f"{inputs} (evaluation part)"
    assert main(["eval", "shout", "--conftest", str(conftest_file), "--cache-dir", str(toy_cache),
                 "--part", "evaluation"]) == 2
    assert "--part evaluation picks a part of a corpus: give the corpus with --inputs" in capsys.readouterr().err


def test_eval_says_when_it_measures_on_samples_the_model_was_trained_on(tmp_path, capsys):
    samples = ["cat !dog", "!owl emu", "bee ant", "!cat"]
    conftest = tmp_path / "sampled.py"
    conftest.write_text(toy.conftest_source(f"toy.make_subject(training=toy.QUICK_TRAINING, samples={samples!r})"))
    common = ["--conftest", str(conftest), "--cache-dir", str(tmp_path / "cache")]
    assert main(["train", "shout", *common]) == 0
    capsys.readouterr()
    inputs = write_inputs(tmp_path / "inputs.jsonl", [*samples, "emu owl"])
    assert main(["eval", "shout", *common, "--inputs", str(inputs), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["in_training_samples"] == 4
    assert "4 of the 5 inputs are samples the model was trained on" in captured.err and "CorpusSamples" in captured.err
    fresh = write_inputs(tmp_path / "fresh.jsonl", ["emu owl", "!ant"])
    assert main(["eval", "shout", *common, "--inputs", str(fresh), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["in_training_samples"] == 0 and "trained on" not in captured.err


def test_training_the_second_direction_calibrates_both_models_with_each_other(quick_conftest, tmp_path, capsys):
    common = ["--conftest", str(quick_conftest), "--cache-dir", str(tmp_path / "cache")]
    assert main(["train", "shout", *common]) == 0
    assert "checked by the model of the other direction" not in capsys.readouterr().err
    assert main(["train", "shout", *common, "--direction", "inverse"]) == 0
    err = capsys.readouterr().err
    for direction, other in (("inverse", "forward"), ("forward", "inverse")):
        key = ModelSpec(toy.QUICK_SUBJECT, other).key
        assert f"shout {direction}, checked by the model of the other direction (key {key}): threshold " in err
    assert main(["eval", "shout", *common, "--json", "--limit", "20"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["checked_by"] == ModelSpec(toy.QUICK_SUBJECT, "inverse").key


def test_inverse_direction(quick_conftest, tmp_path, capsys):
    cache = tmp_path / "cache"
    common = ["--conftest", str(quick_conftest), "--cache-dir", str(cache), "--direction", "inverse"]
    assert main(["train", "shout", *common]) == 0
    key = ModelSpec(toy.QUICK_SUBJECT, "inverse").key
    assert (cache / "shout" / f"inverse-{key}.npz").is_file()
    assert capsys.readouterr().out.startswith(f"shout inverse: key {key}, ")
    inputs = write_inputs(tmp_path / "inputs.jsonl", ["cat", "!dog owl", "cat 42"])
    assert main(["eval", "shout", *common, "--inputs", str(inputs), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["direction"] == "inverse"
    assert report["n"] == 2  # the failing input has no output to invert


def test_eval_without_model_names_the_train_command(conftest_file, tmp_path, capsys):
    code = main(["eval", "shout", "--conftest", str(conftest_file), "--cache-dir", str(tmp_path / "empty")])
    assert code == 2
    err = capsys.readouterr().err
    assert "no forward model of subject 'shout'" in err
    assert "modelizer train shout --direction forward" in err


@pytest.mark.parametrize("command", ["train", "eval", "calibrate", "cases"])
def test_a_command_that_runs_the_program_refuses_where_it_is_absent(command, tmp_path, toy_cache, capsys):
    # Without it every run is a "cannot-start" failure: pairs, scores and thresholds of nothing.
    conftest = tmp_path / "absent_conftest.py"
    conftest.write_text(toy.conftest_source("toy.make_subject(installed_version=lambda: None)"))
    assert main([command, "shout", "--conftest", str(conftest), "--cache-dir", str(toy_cache)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("modelizer: error: cannot ") and "program is not installed here (the subject declares 1.0)" in err


def test_unknown_subject_exits_2_with_known_subjects(conftest_file, tmp_path, capsys):
    code = main(["train", "nope", "--conftest", str(conftest_file), "--cache-dir", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"modelizer: error: unknown subject 'nope'; known subjects: {toy.known_subjects()}.")


def test_the_conftest_of_the_current_folder_declares_subjects_without_an_option(tmp_path, toy_cache, monkeypatch, capsys):
    (tmp_path / "conftest.py").write_text(toy.conftest_source())
    # A test conftest without the hook is not imported: this one would fail if it were.
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text("raise RuntimeError('imported')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the conftest's folder joins it
    assert main(["subjects", "--cache-dir", str(toy_cache)]) == 0
    captured = capsys.readouterr()
    assert "shout  (subject version 1, program 1.0)" in captured.out.splitlines()
    assert "imported" not in captured.err


def test_a_conftest_found_here_that_cannot_be_imported_is_a_warning_naming_it(tmp_path, monkeypatch, capsys):
    (tmp_path / "tests").mkdir()
    broken = tmp_path / "tests" / "conftest.py"
    broken.write_text("import no_such_module_here\n\ndef pytest_modelizer_subjects(config):\n    return []\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert main(["subjects", "--cache-dir", str(tmp_path / "cache")]) == 0
    captured = capsys.readouterr()
    assert any(line.startswith("markdown-it  (subject version ") for line in captured.out.splitlines())
    assert f"modelizer: warning: {broken} cannot be imported (ModuleNotFoundError" in captured.err
    # Asked for by name, the subject it would declare is unknown, and the error says where it looked.
    assert main(["train", "shout", "--cache-dir", str(tmp_path / "cache")]) == 2
    assert "name another file with --conftest FILE" in capsys.readouterr().err


def test_a_hook_that_raises_outside_a_test_run_is_an_error_naming_the_file(tmp_path, capsys):
    path = tmp_path / "conftest.py"
    path.write_text("def pytest_modelizer_subjects(config):\n    return [config.getoption('x')]\n")
    assert main(["subjects", "--conftest", str(path), "--cache-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"the pytest_modelizer_subjects hook of {path} raised AttributeError" in err
    assert "config=None" in err


def test_malformed_jsonl_names_the_line(conftest_file, toy_cache, tmp_path, capsys):
    inputs = tmp_path / "bad.jsonl"
    inputs.write_text('{"input": "cat"}\n\n{"text": "dog"}\n')
    code = main(["eval", "shout", "--conftest", str(conftest_file), "--cache-dir", str(toy_cache),
                 "--inputs", str(inputs)])
    assert code == 2
    err = capsys.readouterr().err
    assert f"{inputs}:3: expected a JSON object with an 'input' key" in err


def test_conftest_without_hook_is_an_error(tmp_path, capsys):
    path = tmp_path / "empty_conftest.py"
    path.write_text("X = 1\n")
    assert main(["subjects", "--conftest", str(path), "--cache-dir", str(tmp_path)]) == 2
    assert "defines no pytest_modelizer_subjects(config) hook" in capsys.readouterr().err


def test_prune_deletes_stale_models_and_pairs_of_known_subjects_only(conftest_file, toy_cache, tmp_path, capsys):
    import shutil

    cache = tmp_path / "cache"
    shutil.copytree(toy_cache, cache)
    current = {p.name for p in (cache / "shout").iterdir()}
    (cache / "shout" / "forward-0000000000000000.npz").write_bytes(b"old")
    (cache / "shout" / "inverse-0000000000000000.pt").write_bytes(b"old, in the earlier torch format")
    (cache / "shout" / "pairs-0000000000000000.jsonl").write_text("")
    (cache / "someone-elses").mkdir()
    (cache / "someone-elses" / "forward-1111111111111111.npz").write_bytes(b"x")
    assert main(["prune", "--conftest", str(conftest_file), "--cache-dir", str(cache), "--dry-run"]) == 0
    assert "3 stale files" in capsys.readouterr().out and len(list((cache / "shout").iterdir())) == len(current) + 3
    assert main(["prune", "--conftest", str(conftest_file), "--cache-dir", str(cache)]) == 0
    out = capsys.readouterr().out
    assert "kept " in out and "someone-elses" in out
    assert {p.name for p in (cache / "shout").iterdir()} == current
    assert (cache / "someone-elses" / "forward-1111111111111111.npz").exists()


def test_a_mistyped_option_gets_the_commands_usage_and_the_likely_option(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "shout", "--directon", "inverse"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "usage: modelizer train" in err
    assert "unrecognized arguments: --directon inverse (did you mean '--direction'?)" in err


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and "pytest-modelizer" in capsys.readouterr().out


def _shipping_subject(tmp_path: Path) -> tuple[Path, Path]:
    """A shipped-models folder and a conftest declaring the quick toy subject that ships into it."""
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    conftest = tmp_path / "ship_conftest.py"
    conftest.write_text(toy.conftest_source(f"toy.make_subject(training=toy.QUICK_TRAINING, "
                                            f"shipped_models=__import__('pathlib').Path({str(shipped)!r}))"))
    return shipped, conftest


def test_ship_replaces_the_shipped_file_of_either_format(tmp_path, capsys):
    shipped, conftest = _shipping_subject(tmp_path)
    (shipped / "forward-0000000000000000.pt").write_bytes(b"an older model, torch format")
    (shipped / "forward-1111111111111111.npz").write_bytes(b"an older model")
    (shipped / "inverse-2222222222222222.npz").write_bytes(b"the other direction's: kept")
    cache = tmp_path / "cache"
    assert main(["train", "shout", "--conftest", str(conftest), "--cache-dir", str(cache), "--ship"]) == 0
    key = ModelSpec(toy.QUICK_SUBJECT, "forward").key
    assert sorted(p.name for p in shipped.iterdir()) == [f"forward-{key}.npz", "inverse-2222222222222222.npz"]
    # Moved, not copied: a cache copy would be found first and hide what is committed.
    assert not (cache / "shout" / f"forward-{key}.npz").exists()
    assert load_artifact(shipped / f"forward-{key}.npz").key == key
    assert f"saved to {shipped / f'forward-{key}.npz'}" in capsys.readouterr().out


def test_ship_ships_the_model_already_trained_under_its_key(tmp_path, capsys):
    # The model the user tried is the one committed: training again could ship a worse one.
    shipped, conftest = _shipping_subject(tmp_path)
    common = ["train", "shout", "--conftest", str(conftest), "--cache-dir", str(tmp_path / "cache")]
    assert main(common) == 0
    key = ModelSpec(toy.QUICK_SUBJECT, "forward").key
    tried = (tmp_path / "cache" / "shout" / f"forward-{key}.npz").read_bytes()
    capsys.readouterr()
    assert main([*common, "--ship"]) == 0
    assert "shipping the model already trained under this key" in capsys.readouterr().err
    assert (shipped / f"forward-{key}.npz").read_bytes() == tried
    assert not (tmp_path / "cache" / "shout" / f"forward-{key}.npz").exists()


def test_shipping_both_directions_pairs_the_shipped_models(tmp_path, capsys):
    shipped, conftest = _shipping_subject(tmp_path)
    common = ["--conftest", str(conftest), "--cache-dir", str(tmp_path / "cache"), "--ship"]
    assert main(["train", "shout", *common]) == 0
    assert main(["train", "shout", *common, "--direction", "inverse"]) == 0
    keys = {d: ModelSpec(toy.QUICK_SUBJECT, d).key for d in ("forward", "inverse")}
    for direction, other in (("forward", "inverse"), ("inverse", "forward")):
        meta = load_artifact(shipped / f"{direction}-{keys[direction]}.npz").meta
        assert meta["calibration"]["paired"]["other"] == keys[other]
    assert not list((tmp_path / "cache" / "shout").glob("*.npz"))


def test_subjects_warns_of_a_shipped_model_paired_with_one_left_in_the_cache(tmp_path, capsys):
    # A fresh clone has only what is committed: there the shipped model answers at its own threshold.
    shipped, conftest = _shipping_subject(tmp_path)
    common = ["--conftest", str(conftest), "--cache-dir", str(tmp_path / "cache")]
    assert main(["train", "shout", *common, "--ship"]) == 0
    assert main(["train", "shout", *common, "--direction", "inverse"]) == 0  # left in the cache
    assert main(["calibrate", "shout", *common]) == 0  # pairs the shipped forward model with it
    capsys.readouterr()
    assert main(["subjects", *common]) == 0
    out = capsys.readouterr().out
    assert ("warning: the shipped forward model's threshold" in out and "with the inverse model it was calibrated "
            "with, which is only in the cache" in out and "modelizer train shout --direction inverse --ship" in out)
    assert main(["train", "shout", *common, "--direction", "inverse", "--ship"]) == 0
    capsys.readouterr()
    assert main(["subjects", *common]) == 0
    assert "warning" not in capsys.readouterr().out


def test_ship_without_a_shipped_models_folder_fails_before_training(quick_conftest, tmp_path, capsys):
    assert main(["train", "shout", "--conftest", str(quick_conftest), "--cache-dir", str(tmp_path / "cache"),
                 "--ship"]) == 2
    assert "subject 'shout' has no shipped_models folder to ship a model into" in capsys.readouterr().err
    assert not (tmp_path / "cache" / "shout").exists() or not list((tmp_path / "cache" / "shout").glob("*.npz"))


def test_calibrate_rewrites_a_model_of_the_earlier_torch_format_as_npz(conftest_file, toy_cache, tmp_path, capsys):
    import shutil

    import torch

    cache = tmp_path / "cache"
    shutil.copytree(toy_cache, cache)
    key = ModelSpec(toy.SUBJECT, "forward").key
    npz = cache / "shout" / f"forward-{key}.npz"
    artifact = load_artifact(npz)
    legacy = npz.with_suffix(".pt")
    torch.save({"format": 1, "meta": json.dumps(dict(artifact.meta)),
                "state_dict": {k: torch.from_numpy(v) for k, v in artifact.state_dict.items()}}, legacy)
    npz.unlink()
    assert main(["calibrate", "shout", "--conftest", str(conftest_file), "--cache-dir", str(cache)]) == 0
    assert not legacy.exists() and load_artifact(npz).meta["calibration"]["threshold"] > 0
    out = capsys.readouterr().out
    assert f"saved to {npz}" in out and "\n  WORD values may hold: letters\n" in out
    assert "\n  WORD values may hold runs of: (none)\n" in out  # (letters only: nothing to probe)
    assert "treated specially" not in out  # shout copies every word its vocabularies spell


def test_calibrate_keeps_the_threshold_of_a_model_whose_pairs_came_out_otherwise(conftest_file, toy_cache, tmp_path,
                                                                               capsys):
    import shutil

    from pytest_modelizer.store import save_artifact

    cache = tmp_path / "cache"
    shutil.copytree(toy_cache, cache)
    npz = cache / "shout" / f"forward-{ModelSpec(toy.SUBJECT, 'forward').key}.npz"
    artifact = load_artifact(npz)
    calibration = artifact.meta["calibration"]
    # Calibrated by an earlier version, on pairs synthesis no longer makes:
    learned = {key: calibration.pop(key)
               for key in ("content_classes", "alike_spellings", "special_words", "nested", "copies")}
    artifact.meta["src_vocab"] = list(reversed(artifact.meta["src_vocab"]))
    save_artifact(artifact, npz)
    assert main(["calibrate", "shout", "--conftest", str(conftest_file), "--cache-dir", str(cache)]) == 0
    recalibrated = load_artifact(npz).meta["calibration"]
    assert {k: recalibrated[k] for k in learned} == learned and learned["content_classes"] == {"WORD": ["letter"]}
    assert {k: v for k, v in recalibrated.items() if k not in learned} == calibration
    assert "its threshold and trigrams are kept" in capsys.readouterr().err

    artifact = load_artifact(npz)
    del artifact.meta["calibration"]  # never calibrated: nothing to keep
    save_artifact(artifact, npz)
    assert main(["calibrate", "shout", "--conftest", str(conftest_file), "--cache-dir", str(cache)]) == 2
    assert "retrain it: modelizer train shout --direction forward" in capsys.readouterr().err


def test_ctrl_c_ends_a_command_with_a_line_not_a_traceback(monkeypatch, capsys):
    from pytest_modelizer import cli

    def interrupted(session, args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_subjects", interrupted)
    assert cli.main(["subjects"]) == 130
    assert capsys.readouterr().err.strip() == "modelizer: interrupted; nothing was saved by the interrupted step"


def test_eval_text_report_names_the_tokens_that_leave_inputs_uncovered(conftest_file, toy_cache, tmp_path, capsys):
    inputs = write_inputs(tmp_path / "inputs.jsonl", ["cat", "cat 42", "dog 4", "Owl"])
    assert main(["eval", "shout", "--conftest", str(conftest_file), "--cache-dir", str(toy_cache),
                 "--inputs", str(inputs)]) == 0
    out = capsys.readouterr().out
    assert "coverage 25.0% (inputs read 25.0%)" in out
    assert "  uncovered: 3 inputs (3 unseen tokens); tokens never seen in training, by the inputs they leave " \
           "uncovered: '4' (2), " in out and "'O' (1)" in out


def test_the_default_cache_is_where_pytest_keeps_it_from_any_folder_of_the_project(tmp_path, monkeypatch):
    from pytest_modelizer.cli import default_cache_dir

    monkeypatch.delenv("MODELIZER_CACHE_DIR", raising=False)
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    assert default_cache_dir(tmp_path / "tests" / "unit") == (tmp_path / "tests" / "unit" / ".modelizer").resolve()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert default_cache_dir(tmp_path / "tests" / "unit") == (tmp_path / ".modelizer").resolve()
    monkeypatch.setenv("MODELIZER_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert default_cache_dir(tmp_path / "tests") == tmp_path / "elsewhere"


def test_run_from_the_tests_folder_it_reads_the_projects_conftest_too(tmp_path, toy_cache, monkeypatch, capsys):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "conftest.py").write_text(toy.conftest_source())
    (tmp_path / "tests").mkdir()
    monkeypatch.chdir(tmp_path / "tests")
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert main(["subjects", "--cache-dir", str(toy_cache)]) == 0
    assert "shout  (subject version 1, program 1.0)" in capsys.readouterr().out.splitlines()
