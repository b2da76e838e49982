"""A plain install replays models without the `train` extra; what needs the extra says so.

The extra's absence is simulated: `sys.modules[name] = None` makes `import name` fail, and
`importlib.util.find_spec` report it missing, as where it is not installed.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

import toy

from pytest_modelizer.spec import ModelSpec

EXTRA = ("torch", "fuzzingbook", "sacrebleu")
HIDE_EXTRA = "import sys\nfor _name in %r:\n    sys.modules[_name] = None\n" % (EXTRA,)
FIX = "pip install 'pytest-modelizer[train]'"


def test_replaying_a_shipped_model_imports_neither_torch_nor_fuzzingbook():
    code = """
import json, sys
from pytest_modelizer.registry import SubjectRegistry
from pytest_modelizer.mock import MockProgram
from pytest_modelizer.store import ModelStore, load_artifact
from pytest_modelizer.spec import ModelSpec
from pathlib import Path

subject = SubjectRegistry.discover().get("markdown-it")
spec = ModelSpec(subject, "forward")
mock = MockProgram(spec, load_artifact(ModelStore(Path("unused")).find_model(spec)))
single = mock("# Title\\n")
batch = mock.batch(["# Title\\n", "Some *text*.\\n", "- one\\n- two\\n"])
prediction = mock.predict("Some *text*.\\n", count=False)
print(json.dumps({"single": single, "batch": batch, "confident": prediction.confident,
                  "loaded": sorted({m.split(".")[0] for m in sys.modules} & {"torch", "fuzzingbook", "sacrebleu"})}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(done.stdout)
    assert report["single"] == "<h1>Title</h1>\n"
    assert report["batch"][0] == report["single"]
    assert report["loaded"] == []


@pytest.fixture
def without_extra(pytester):
    """A pytester dir whose conftest hides the `train` extra from the process running pytest."""
    pytester.makeconftest(HIDE_EXTRA + toy.conftest_source())
    return pytester


def test_mock_program_replays_without_the_extra(without_extra):
    without_extra.makepyfile(
        """
        import pytest

        @pytest.mark.modelize("markdown-it", on_uncertain="accept")
        def test_heading(mock_program):
            assert mock_program("# Title\\n") == "<h1>Title</h1>\\n"
            assert mock_program.batch(["# Title\\n", "# Title\\n"]) == ["<h1>Title</h1>\\n"] * 2
        """
    )
    result = without_extra.runpytest_subprocess("--modelizer-cache-dir", str(without_extra.path / "cache"))
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("flag", ["--modelizer-train", "--modelizer-update-cases"])
def test_a_flag_that_needs_the_extra_names_it(without_extra, flag):
    without_extra.makepyfile("def test_nothing():\n    pass\n")
    result = without_extra.runpytest_subprocess(flag, "--modelizer-cache-dir", str(without_extra.path / "cache"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    stderr = result.stderr.str()
    assert f"{flag} needs the training stack, and torch, fuzzingbook, sacrebleu are not installed" in stderr
    assert FIX in stderr
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert "Traceback" not in stderr


@pytest.mark.parametrize("command", [
    ["train", "shout", "--direction", "forward"],
    ["eval", "shout"],
    ["bench", "latency", "shout"],
])
def test_a_command_that_needs_the_extra_names_it(tmp_path, command):
    conftest = tmp_path / "toy_conftest.py"
    conftest.write_text(toy.conftest_source())
    argv = [*command, "--conftest", str(conftest), "--cache-dir", str(tmp_path / "cache")]
    code = HIDE_EXTRA + f"from pytest_modelizer.cli import main\nsys.exit(main({argv!r}))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=toy.TESTS_DIR)
    assert done.returncode != 0
    assert "needs the training stack" in done.stderr and FIX in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_sampling_and_failure_scores_name_the_extra(monkeypatch):
    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.registry import SubjectRegistry
    from pytest_modelizer.store import ModelStore, load_artifact
    from pytest_modelizer.training_stack import MissingExtraError

    spec = ModelSpec(SubjectRegistry.discover().get("latexify"), "forward", "failure")
    forward = MockProgram(spec, load_artifact(ModelStore(toy.TESTS_DIR / "unused").find_model(spec)))
    monkeypatch.setitem(sys.modules, "torch", None)
    assert forward.sample(["x + 1"], 0.0)  # greedy answers need no torch
    with pytest.raises(MissingExtraError, match=r"needs the training stack.*torch is not installed.*\[train\]"):
        forward.failure_scores(["x + 1"])
    with pytest.raises(MissingExtraError, match="torch is not installed"):
        forward.sample(["x + 1"], 1.0, seed=0)
