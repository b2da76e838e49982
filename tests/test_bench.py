"""The benchmark harness (benchmarks/) on the toy subject: keys present, numbers sane."""
from __future__ import annotations

import json
import math

import pytest

import toy
from benchmarks import latency as latency_bench
from benchmarks import run, sample_lengths, startup, training
from benchmarks.bench import main as bench_main
from pytest_modelizer import ModelConfig
from pytest_modelizer.cli import main
from pytest_modelizer.registry import SubjectRegistry
from pytest_modelizer.store import ModelStore

ISSUE_KEYS = {"subject", "calls", "mock_ms_per_call", "mock_batched_ms_per_call", "program_ms_per_call",
              "baseline_ms_per_call", "ratio_vs_program", "ratio_vs_baseline"}
TIMES = ("mock_ms_per_call", "mock_batched_ms_per_call", "program_ms_per_call", "program_wall_ms_per_call",
         "baseline_ms_per_call")


@pytest.fixture(scope="module")
def registry() -> SubjectRegistry:
    return SubjectRegistry.discover([toy.SUBJECT])


@pytest.fixture(scope="module")
def conftest_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "toy_conftest.py"
    path.write_text(toy.conftest_source())
    return path


@pytest.fixture(scope="module")
def latency(registry, toy_cache) -> dict:
    return latency_bench.run_latency(registry, ModelStore(toy_cache), "shout", calls=20, baseline_calls=5)


def test_latency_report(latency, toy_cache):
    assert ISSUE_KEYS | {"direction", "parameters", "threads", "outputs_identical"} <= set(latency)
    assert latency["subject"] == "shout" and latency["direction"] == "forward"
    assert 0 < latency["calls"] <= 20 and latency["baseline_calls"] == min(5, latency["calls"])
    assert latency["parameters"] > 0 and latency["threads"] >= 1
    for key in TIMES:
        assert latency[key] > 0, key
    batched = latency["mock_batched_ms_per_call"]
    assert math.isclose(latency["ratio_vs_program"], batched / latency["program_ms_per_call"])
    assert math.isclose(latency["ratio_vs_baseline"], batched / latency["baseline_ms_per_call"])
    assert latency["program_wall_ms_per_call"] >= latency["program_ms_per_call"]  # the wall adds IPC
    assert latency["program_median_ms"] > 0 and latency["mock_median_ms"] > 0
    assert math.isclose(latency["ratio_unbatched_vs_program_median"],
                        latency["mock_median_ms"] / latency["program_median_ms"])
    assert latency["outputs_identical"] is True and latency["batched_identical"] is True
    assert latency["numpy_identical"] is True and latency["mock_torch_median_ms"] > 0
    assert math.isclose(latency["numpy_speedup"], latency["mock_torch_ms_per_call"] / latency["mock_ms_per_call"])
    assert latency["model"].startswith(str(toy_cache))
    json.dumps(latency)


def test_latency_keeps_covered_given_inputs(registry, toy_cache):
    # Digits never occur in the toy grammar: the model has no tokens for them.
    inputs = ["cat !dog", "owl 42", "bee ant", "cat !dog"]
    report = latency_bench.run_latency(registry, ModelStore(toy_cache), "shout", inputs=inputs, baseline_calls=1)
    assert report["inputs"] == "given" and report["inputs_given"] == 3 and report["calls"] == 2


def test_cli_latency_json(conftest_file, toy_cache, capsys):
    code = main(["bench", "latency", "shout", "--conftest", str(conftest_file), "--cache-dir", str(toy_cache),
                 "--calls", "8", "--baseline-calls", "2", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert ISSUE_KEYS <= set(json.loads(captured.out))


def test_cli_names_the_fix_when_no_model(conftest_file, tmp_path, capsys):
    code = bench_main(["latency", "shout", "--conftest", str(conftest_file), "--cache-dir", str(tmp_path)])
    assert code == 2
    assert "modelizer train shout --direction forward" in capsys.readouterr().err


def test_modelizer_bench_outside_a_checkout_says_where_the_benchmarks_are(monkeypatch, tmp_path, capsys):
    import pytest_modelizer.cli as cli

    monkeypatch.setattr(cli, "__file__", str(tmp_path / "site-packages" / "pytest_modelizer" / "cli.py"))
    assert main(["bench", "latency", "shout"]) == 2
    err = capsys.readouterr().err
    assert "python -m benchmarks.bench" in err and "benchmarks/README.md" in err


def test_startup_report(registry, toy_cache, conftest_file):
    report = startup.bench_startup(registry, ModelStore(toy_cache), "shout", repeats=1, conftests=[conftest_file])
    for label in ("python_pass", "import_pytest", "import_plugin"):
        assert report["import"][label]["min_ms"] > 0
    for label in ("with_plugin", "without_plugin"):
        assert report["pytest"][label]["min_ms"] > 0
    assert set(report["pytest_plugin_overhead_ms"]) == {"min_ms", "median_ms"}
    for label in ("import_s", "load_s", "first_prediction_s", "load_and_first_s", "total_s"):
        assert report["load"][label]["min_ms"] > 0, label
    assert report["load"]["total_s"]["min_ms"] >= report["load"]["load_and_first_s"]["min_ms"]
    assert report["parameters"] > 0 and report["load_imports_torch"] is False


def test_paper_configuration():
    tuned = toy.TRAINING.replace(model=ModelConfig(max_len=toy.TRAINING.model.max_len, dropout=0.0))
    paper = training.paper_training(tuned, minutes=2)
    m = paper.model
    assert (m.d_model, m.n_heads, m.enc_layers, m.dec_layers, m.d_ff, m.dropout) == (256, 8, 1, 1, 1024, 0.1)
    assert (paper.lr, paper.batch_size, paper.max_minutes) == (5e-4, 1, 2)
    assert paper.pairs == toy.TRAINING.pairs and m.max_len == toy.TRAINING.model.max_len  # same data


def test_training_report_and_markdown(registry, toy_cache, conftest_file, latency, tmp_path):
    before = sorted(toy_cache.rglob("*.npz"))
    report = training.run_training(registry, ModelStore(toy_cache), "shout", minutes=0.02, target=0.5,
                                conftests=[conftest_file])
    assert report["pairs_cached"] is True and report["synthesis_seconds"] is None
    ours, paper = report["configs"]["ours"], report["configs"]["paper"]
    for c in (ours, paper):
        assert c["pairs_per_s"] > 0 and c["steps"] > 0 and c["peak_rss_mb"] > 10
        assert 0 <= c["held_out_exact_match"] <= 1 and c["curve"]
        assert all(p["seconds"] > 0 and 0 <= p["exact_match"] <= 1 for p in c["curve"])
        reached = [p["seconds"] for p in c["curve"] if p["exact_match"] >= 0.5]
        assert c["time_to_target_s"] == (reached[0] if reached else None)
    assert paper["parameters"] > ours["parameters"]
    assert paper["training"]["batch_size"] == 1 and ours["training"]["batch_size"] == toy.TRAINING.batch_size
    assert sorted(toy_cache.rglob("*.npz")) == before  # nothing saved as a model

    results = tmp_path / "results"
    results.mkdir()
    (results / "shout-forward-latency.json").write_text(json.dumps(latency))
    (results / "shout-forward-training.json").write_text(json.dumps(report))
    markdown = tmp_path / "BENCHMARKS.md"
    assert run.main(["--render-only", "--results", str(results), "--markdown", str(markdown)]) == 0
    text = markdown.read_text()
    assert "## Latency" in text and "## Training" in text and "## Machines" in text
    assert f"{latency['mock_batched_ms_per_call']:.2f}" in text
    assert f"{ours['pairs_per_s']:.0f}" in text


def test_inputs_read_are_derived_for_reports_made_before_they_were_recorded():
    report = {"n": 10, "coverage": 0.7, "uncovered": {"n": 3, "why": {"unseen output tokens": 2, "unseen tokens": 1}}}
    assert run.inputs_read(report) == pytest.approx(0.9)
    assert run.inputs_read({**report, "query_coverage": 0.8}) == 0.8
    assert run.inputs_read({"n": 5, "coverage": 1.0}) == 1.0


def test_sample_lengths_report_and_markdown(tmp_path):
    subject = toy.make_subject(samples=["!cat dog", "owl !bee emu", "ant"] * 20, training=toy.QUICK_TRAINING)
    row = sample_lengths.measure(subject)
    assert row["configured"] == {"max_nonterminals": 5, "placeholder_limit": None}
    assert row["max_nonterminals"] == 12 and row["tails"]["12"] > 0 and row["samples_tail"] > 0
    assert row["placeholder_limit"] == 3  # three different words in a sample
    results = tmp_path / "results"
    results.mkdir()
    (results / "sample-lengths.json").write_text(json.dumps({"command": "c", "machine": "m", "subjects": [row]}))
    markdown = tmp_path / "BENCHMARKS.md"
    assert run.main(["--render-only", "--results", str(results), "--markdown", str(markdown)]) == 0
    text = markdown.read_text()
    assert "## Lengths and placeholders the samples decide" in text
    assert "| shout | 3 | 12: " in text and "| 5 / left to the samples |" in text  # the samples are read distinct


def test_run_finds_the_directions_with_a_current_model(registry, toy_cache, tmp_path):
    assert run.model_directions(ModelStore(toy_cache), registry.get("shout"), ("forward", "inverse")) == ["forward"]
    assert run.model_directions(ModelStore(tmp_path), registry.get("shout"), ("forward", "inverse")) == []


def test_the_user_style_subjects_are_valid_and_their_programs_answer_as_described():
    from benchmarks import user_subjects as users
    from pytest_modelizer.runner import run_program
    from pytest_modelizer.validate import validate_subject

    subjects = {s.name: s for s in users.user_subjects()}
    for subject in subjects.values():
        validate_subject(subject)
    answers = {
        "roman": {"1994": "MCMXCIV", "0": None},
        "slug": {"Hello, World!": "hello-world", "! ": None},
        "json-pretty": {'{"a": [1, {}]}': '{\n  "a": [\n    1,\n    {}\n  ]\n}', "[1,]": None},
        "html-list": {"pear & fig; <b>x</b>,,": "<ul>\n<li>pear &amp; fig</li>\n<li>&lt;b&gt;x&lt;/b&gt;</li>\n</ul>\n",
                      " ; ": None},
    }
    for name, cases in answers.items():
        for text, output in cases.items():
            behaviour = run_program(subjects[name], text)
            assert behaviour.output == output and behaviour.ok == (output is not None), (name, text, behaviour)
