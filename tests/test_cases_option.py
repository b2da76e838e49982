"""`modelizer_case`, case files and --modelizer-update-cases, end to end on the strict-shout toy."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import toy

TEST_MODULE = """
import pytest

@pytest.mark.modelize("strict-shout", cases="failure", count=4, budget=60)
def test_fails_cleanly(modelizer_case, real_program):
    assert real_program(modelizer_case.input) == modelizer_case.expected
"""


@pytest.fixture
def case_pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(toy.conftest_source("toy.FAILING_SUBJECT"))
    pytester.makepyfile(test_demo=TEST_MODULE)
    return pytester


def case_file(pytester: pytest.Pytester) -> Path:
    return pytester.path / "__modelizer_cases__" / "test_demo.json"


def update(pytester: pytest.Pytester, cache: Path) -> pytest.RunResult:
    return pytester.runpytest("-v", "--modelizer-update-cases", f"--modelizer-cache-dir={cache}")


def test_without_case_file_the_test_errors_with_the_command_that_creates_it(case_pytester):
    result = case_pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no cases for test_demo.py::test_fails_cleanly in *"
                                 "Create them with `pytest --modelizer-update-cases test_demo.py::test_fails_cleanly`*"])


def test_update_writes_confirmed_cases_then_collection_needs_no_model(case_pytester, failing_cache, tmp_path):
    result = update(case_pytester, failing_cache)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*modelizer cases*", "test_demo.py::test_fails_cleanly: 4 used, 4 new, 0 unchanged*"])
    # The models that proposed them say how they learnt, not how often they were called (never).
    result.stdout.fnmatch_lines(["strict-shout (failure-inverse) key *: validation loss * per token (a generator*)"])
    assert "held-out exact match" not in result.stdout.str().split("(failure-inverse) key")[1].splitlines()[0]
    assert "0 queries of the model" not in result.stdout.str()
    data = json.loads(case_file(case_pytester).read_text())
    cases = data["tests"]["test_fails_cleanly"]["cases"]
    assert len(cases) == 4
    assert [(c["kind"], c["id"]) for c in cases] == sorted((c["kind"], c["id"]) for c in cases)
    # Every recorded behaviour is what the real program does, and it is a failure of the program.
    for case in cases:
        with pytest.raises(Exception) as info:
            toy.strict_shout(case["input"])
        assert case["behaviour"]["failure"] == type(info.value).__name__
    assert len({c["kind"] for c in cases}) >= 2  # kinds are spread, not four of one
    assert not [p for p in case_file(case_pytester).parent.iterdir() if p.name != "test_demo.json"]
    # A plain run reads only the case file: an empty cache dir, same ids.
    again = case_pytester.runpytest("-v", f"--modelizer-cache-dir={tmp_path / 'empty'}")
    again.assert_outcomes(passed=4)
    for case in cases:
        again.stdout.fnmatch_lines([f"*test_fails_cleanly[[]{case['id']}[]] PASSED*"])
    assert not (tmp_path / "empty").exists()


def test_update_without_failure_models_names_the_command_that_trains_them(case_pytester, tmp_path):
    result = update(case_pytester, tmp_path / "empty")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        "*no failure-forward model of subject 'strict-shout' with key *",
        "*Fix: pytest --modelizer-update-cases --modelizer-train test_demo.py::test_fails_cleanly *"
        "(or: modelizer train strict-shout --direction forward --aspect failure *",
    ])
    assert not case_file(case_pytester).exists()


def test_update_with_train_trains_the_failure_models_first(case_pytester, tmp_path):
    cache = tmp_path / "fresh"
    result = case_pytester.runpytest("--modelizer-update-cases", "--modelizer-train", f"--modelizer-cache-dir={cache}")
    result.assert_outcomes(passed=4)
    trained = sorted(p.name.rsplit("-", 1)[0] for p in (cache / "strict-shout").glob("*.npz"))
    assert trained == ["failure-forward", "failure-inverse"]


def test_update_keeps_unchanged_cases_and_is_stable(case_pytester, failing_cache):
    update(case_pytester, failing_cache).assert_outcomes(passed=4)
    first = case_file(case_pytester).read_text()
    result = update(case_pytester, failing_cache)
    result.stdout.fnmatch_lines(["*: 4 used, 0 new, 4 unchanged, 0 changed behaviour*"])
    assert case_file(case_pytester).read_text() == first


def test_ids_are_identical_on_xdist_workers(case_pytester, failing_cache):
    update(case_pytester, failing_cache).assert_outcomes(passed=4)
    result = case_pytester.runpytest_subprocess("-n", "2", "-p", "xdist")
    result.assert_outcomes(passed=4)


def test_update_refuses_xdist(case_pytester, failing_cache):
    result = case_pytester.runpytest_subprocess("-n", "2", "-p", "xdist", "--modelizer-update-cases")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--modelizer-update-cases writes case files: run it without pytest-xdist's -n*"])


def test_changed_behaviour_is_reported_with_both_behaviours(case_pytester, failing_cache):
    update(case_pytester, failing_cache).assert_outcomes(passed=4)
    path = case_file(case_pytester)
    data = json.loads(path.read_text())
    edited = data["tests"]["test_fails_cleanly"]["cases"][0]
    edited["behaviour"] = {"output": "something else"}
    path.write_text(json.dumps(data, indent=2))
    result = case_pytester.runpytest()
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "*: 4 used, 0 new, 3 unchanged, 1 changed behaviour*",
        f"  changed {edited['id']}: recorded something else, now <failure *",
    ])


def edit_first_input(pytester: pytest.Pytester, text: str) -> dict:
    """Edit the first case's input by hand, as a user would; returns that case as it was."""
    path = case_file(pytester)
    data = json.loads(path.read_text())
    case = dict(data["tests"]["test_fails_cleanly"]["cases"][0])
    data["tests"]["test_fails_cleanly"]["cases"][0]["input"] = text
    path.write_text(json.dumps(data, indent=2))
    return case


def test_an_input_edited_by_hand_is_reported_as_edited_not_as_changed_behaviour(case_pytester, failing_cache):
    update(case_pytester, failing_cache).assert_outcomes(passed=4)
    before = edit_first_input(case_pytester, "fine words")  # strict-shout answers it: no failure
    result = case_pytester.runpytest()
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "*: 4 used, 0 new, 3 unchanged, 0 changed behaviour, 1 edited by hand*",
        f"  edited {before['id']}: its input is not the one its behaviour was recorded for (now fine|words); "
        "record it with `pytest --modelizer-update-cases test_demo.py::test_fails_cleanly`",
    ])


def test_update_records_an_input_edited_by_hand_under_its_own_id(case_pytester, failing_cache):
    update(case_pytester, failing_cache).assert_outcomes(passed=4)
    before = edit_first_input(case_pytester, "one !! two")
    result = update(case_pytester, failing_cache)
    result.assert_outcomes(passed=4)
    cases = json.loads(case_file(case_pytester).read_text())["tests"]["test_fails_cleanly"]["cases"]
    edited = [c for c in cases if c["input"] == "one !! two"]
    assert len(edited) == 1 and edited[0]["behaviour"]["failure"] == "KeyError"
    assert edited[0]["id"].startswith("keyerror-") and edited[0]["id"] != before["id"]
    assert before["id"] not in [c["id"] for c in cases]
    result.stdout.fnmatch_lines([
        "*: 4 used, 0 new, 3 unchanged, 0 changed behaviour, 1 edited by hand*",
        f"  edited {before['id']}: recorded <failure KeyError*> as {edited[0]['id']}",
    ])
    # From then on it is a case like the others.
    update(case_pytester, failing_cache).stdout.fnmatch_lines(["*: 4 used, 0 new, 4 unchanged, 0 changed behaviour*"])


def test_update_drops_an_input_edited_into_one_that_no_longer_fails(case_pytester, failing_cache):
    update(case_pytester, failing_cache).assert_outcomes(passed=4)
    edit_first_input(case_pytester, "fine words")
    result = update(case_pytester, failing_cache)
    result.stdout.fnmatch_lines(["*1 dropped (no longer show the target)*"])
    cases = json.loads(case_file(case_pytester).read_text())["tests"]["test_fails_cleanly"]["cases"]
    # The update fills up the count again (here with the case's input as it was: the models propose it anew).
    assert "fine words" not in [c["input"] for c in cases] and len(cases) == 4


def test_a_dismissed_case_is_not_run_and_never_proposed_again(case_pytester, failing_cache):
    update(case_pytester, failing_cache).assert_outcomes(passed=4)
    path = case_file(case_pytester)
    data = json.loads(path.read_text())
    entry = data["tests"]["test_fails_cleanly"]
    turned_down = entry["cases"][0]
    entry["dismissed"] = [turned_down["id"]]  # listed, not yet deleted: it no longer runs
    path.write_text(json.dumps(data, indent=2))
    result = case_pytester.runpytest("-v")
    result.assert_outcomes(passed=3)
    assert turned_down["id"] not in result.stdout.str()
    # The update deletes it and keeps the list. It fills the count with other inputs where the models
    # find any: every input of this toy that fails as the dismissed one does reduces to that one.
    update(case_pytester, failing_cache)
    entry = json.loads(path.read_text())["tests"]["test_fails_cleanly"]
    assert entry["dismissed"] == [turned_down["id"]]
    assert turned_down["input"] not in [c["input"] for c in entry["cases"]] and len(entry["cases"]) >= 3


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "line 1 column 2: not valid JSON*"),
        ('{"tests": {}}', 'is not a modelizer case file of format 1*'),
        ('{"modelizer_cases": 1, "tests": {"test_fails_cleanly": {"subject": "strict-shout"}}}',
         "test 'test_fails_cleanly': misses 'target'*"),
        ('{"modelizer_cases": 1, "tests": {"test_fails_cleanly": {"subject": "strict-shout", "target": "failure", '
         '"program_version": "1", "cases": [], "dismissed": "all"}}}',
         "test 'test_fails_cleanly': \"dismissed\" is not a list of case ids*"),
    ],
)
def test_corrupt_case_file_is_a_clear_error(case_pytester, content, message):
    path = case_file(case_pytester)
    path.parent.mkdir()
    path.write_text(content)
    result = case_pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*case file {path}: {message}Regenerate it with `pytest --modelizer-update-cases*"])


def test_update_replaces_a_corrupt_case_file(case_pytester, failing_cache):
    path = case_file(case_pytester)
    path.parent.mkdir()
    path.write_text("{not json")
    update(case_pytester, failing_cache).assert_outcomes(passed=4)
    assert len(json.loads(path.read_text())["tests"]["test_fails_cleanly"]["cases"]) == 4


def test_unused_entries_are_reported_and_removed_by_update(case_pytester, failing_cache):
    update(case_pytester, failing_cache).assert_outcomes(passed=4)
    path = case_file(case_pytester)
    data = json.loads(path.read_text())
    data["tests"]["test_gone"] = data["tests"]["test_fails_cleanly"]
    path.write_text(json.dumps(data))
    result = case_pytester.runpytest()
    result.stdout.fnmatch_lines([f"unused entries in {path}: test_gone (remove with --modelizer-update-cases)"])
    # A pytest-xdist controller collects nothing: the workers report what they found unused.
    result = case_pytester.runpytest_subprocess("-n", "2", "-p", "xdist")
    result.stdout.fnmatch_lines([f"unused entries in {path}: test_gone (remove with --modelizer-update-cases)"])
    result = update(case_pytester, failing_cache)
    result.stdout.fnmatch_lines([f"removed unused entries from {path}: test_gone"])
    assert list(json.loads(path.read_text())["tests"]) == ["test_fails_cleanly"]


def test_a_renamed_test_takes_its_cases_along_and_a_failed_update_removes_nothing(case_pytester, failing_cache,
                                                                                   tmp_path):
    update(case_pytester, failing_cache).assert_outcomes(passed=4)
    path = case_file(case_pytester)
    before = json.loads(path.read_text())["tests"]["test_fails_cleanly"]
    case_pytester.makepyfile(test_demo=TEST_MODULE.replace("test_fails_cleanly", "test_renamed"))
    # Without the failure models nothing can be made: the reviewed cases stay where they are.
    result = update(case_pytester, tmp_path / "empty")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"unused entries in {path} kept, since an update of that file failed: test_fails_cleanly"])
    assert json.loads(path.read_text())["tests"] == {"test_fails_cleanly": before}
    # With them, the renamed test takes the cases over (re-run on the program, same ids).
    result = update(case_pytester, failing_cache)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*taking those of the unused entry 'test_fails_cleanly' (the test renamed?)*",
                                 "*test_renamed: 4 used, 0 new, 4 unchanged*",
                                 f"removed unused entries from {path}: test_fails_cleanly"])
    assert json.loads(path.read_text())["tests"] == {"test_renamed": before}


def test_marker_with_a_bad_target_errors(pytester):
    pytester.makeconftest(toy.conftest_source("toy.FAILING_SUBJECT"))
    pytester.makepyfile(test_demo="""
import pytest

@pytest.mark.modelize("strict-shout", cases="crashes")
def test_x(modelizer_case):
    pass
""")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*case target 'crashes' is not valid; use 'failure', 'failure:KIND' or 'output:TEXT'*"])


@pytest.fixture
def failing_conftest(tmp_path):
    path = tmp_path / "failing_conftest.py"
    path.write_text(toy.conftest_source("toy.FAILING_SUBJECT"))
    return path


def test_modelizer_cases_writes_a_case_file_entry(failing_cache, failing_conftest, tmp_path, capsys):
    from pytest_modelizer.cli import main

    path = tmp_path / "__modelizer_cases__" / "test_app.json"
    argv = ["cases", "strict-shout", "--cache-dir", str(failing_cache), "--conftest", str(failing_conftest),
            "--budget", "40", "--count", "3", "--file", str(path), "--test", "test_app", "--json"]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["new"] == len(printed["cases"]) == 3
    assert json.loads(path.read_text())["tests"]["test_app"]["cases"] == printed["cases"]
    assert main(argv) == 0  # again: the same cases, re-checked on the program
    again = json.loads(capsys.readouterr().out)
    assert (again["new"], again["unchanged"]) == (0, 3)


def test_bench_failures_reports_model_and_baselines(failing_cache, failing_conftest, capsys):
    from benchmarks.bench import main

    argv = ["failures", "strict-shout", "--cache-dir", str(failing_cache), "--conftest",
            str(failing_conftest), "--budget", "40", "--seeds", "2", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"subject", "budget", "model_failures", "model_kinds", "baseline_failures", "baseline_kinds", "ratio",
            "kinds_ratio"} <= set(report)
    details = report["details"]
    for method in ("model", "coverage", "probabilistic"):
        assert details[method]["executions"] <= 40
        assert 0 <= details[method]["failures"] <= details[method]["executions"]
    assert report["ratio"] == report["model_failures"] / max(1.0, report["baseline_failures"])
    # strict-shout fails on about a third of fuzzed inputs; the screened proposals fail far more often.
    assert report["model_failure_rate"] > 0.6


def test_update_regenerates_only_the_tests_named_on_the_command_line(case_pytester, failing_cache):
    case_pytester.makepyfile(test_demo=TEST_MODULE + TEST_MODULE.replace("test_fails_cleanly", "test_other"))
    result = case_pytester.runpytest("--modelizer-update-cases", f"--modelizer-cache-dir={failing_cache}",
                                     "test_demo.py::test_fails_cleanly")
    assert result.ret == 0
    assert list(json.loads(case_file(case_pytester).read_text())["tests"]) == ["test_fails_cleanly"]
    assert "test_other" not in result.stdout.str()


def test_update_regenerates_only_the_tests_that_k_and_m_select(case_pytester, failing_cache):
    other = TEST_MODULE.replace("test_fails_cleanly", "test_other").replace(
        "@pytest.mark.modelize", "@pytest.mark.slow\n@pytest.mark.modelize")
    case_pytester.makepyfile(test_demo=TEST_MODULE + other)
    case_pytester.makeini("[pytest]\nmarkers = slow\n")
    result = case_pytester.runpytest("-v", "--modelizer-update-cases", f"--modelizer-cache-dir={failing_cache}",
                                     "-k", "other")
    result.assert_outcomes(passed=4)
    assert list(json.loads(case_file(case_pytester).read_text())["tests"]) == ["test_other"]
    assert "test_fails_cleanly" not in result.stdout.str().replace("deselected", "")
    # -m selects by marker; the cases already written for test_other are kept as they are.
    before = json.loads(case_file(case_pytester).read_text())["tests"]["test_other"]
    result = case_pytester.runpytest("-v", "--modelizer-update-cases", f"--modelizer-cache-dir={failing_cache}",
                                     "-m", "not slow")
    result.assert_outcomes(passed=4)
    tests = json.loads(case_file(case_pytester).read_text())["tests"]
    assert sorted(tests) == ["test_fails_cleanly", "test_other"] and tests["test_other"] == before
    result.stdout.fnmatch_lines(["*test_fails_cleanly[[]*[]] PASSED*"])


def test_update_under_collect_only_changes_nothing(case_pytester, failing_cache):
    result = case_pytester.runpytest("--collect-only", "--modelizer-update-cases",
                                     f"--modelizer-cache-dir={failing_cache}")
    assert result.ret == 0
    assert not case_file(case_pytester).exists()
    result.stdout.fnmatch_lines(["modelizer: --collect-only: nothing is trained and no case file written"])
    update(case_pytester, failing_cache).assert_outcomes(passed=4)
    written = case_file(case_pytester).read_text()
    listed = case_pytester.runpytest("--collect-only")
    assert listed.ret == 0 and "used" not in listed.stdout.str()  # nothing ran: no per-test counts
    case_pytester.makepyfile(test_demo=TEST_MODULE.replace("test_fails_cleanly", "test_renamed"))
    result = case_pytester.runpytest("--collect-only", "--modelizer-update-cases",
                                     f"--modelizer-cache-dir={failing_cache}")
    assert result.ret == 0
    assert case_file(case_pytester).read_text() == written  # the unused entry is not removed either
