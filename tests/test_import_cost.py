"""Loading the plugin is cheap: neither torch, numpy, lark nor fuzzingbook is imported until a model is needed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import toy

HEAVY = ("torch", "fuzzingbook", "numpy", "lark")

REPORT_HEAVY = """
import json, sys
HEAVY = ("torch", "fuzzingbook", "numpy", "lark")

def heavy_modules():
    return sorted({name.split(".")[0] for name in sys.modules if name.split(".")[0] in HEAVY})
"""


def test_importing_the_plugin_imports_nothing_heavy():
    modules = [
        "pytest_modelizer",
        "pytest_modelizer.plugin",
        "pytest_modelizer.session",
        "pytest_modelizer.cli",
        "pytest_modelizer.runner",
        "pytest_modelizer.data",
        "pytest_modelizer.grammar",
        "toy",
    ]
    code = REPORT_HEAVY + "".join(f"import {m}\n" for m in modules) + "print(json.dumps(heavy_modules()))\n"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, timeout=120, cwd=toy.TESTS_DIR, check=True,
    )
    assert json.loads(done.stdout) == []


def test_the_check_sees_heavy_imports():
    code = REPORT_HEAVY + "import pytest_modelizer.synthesis as s; s.bnf_grammar({'<start>': ['a']})\n" \
        "print(json.dumps(heavy_modules()))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout) == ["fuzzingbook"]


def test_a_pytest_run_without_model_use_imports_nothing_heavy(pytester):
    record = pytester.path / "heavy.json"
    pytester.makeconftest(
        toy.conftest_source(extra=REPORT_HEAVY + "\n"
                     "def pytest_sessionfinish(session):\n"
                     f"    open({str(record)!r}, 'w').write(json.dumps(heavy_modules()))\n")
    )
    pytester.makepyfile(
        """
        import pytest

        def test_plain():
            assert 1 + 1 == 2

        @pytest.mark.modelize("shout")
        def test_real_program_only(real_program):
            assert real_program("cat !dog").output == "cat|<b>dog</b>"
        """
    )
    result = pytester.runpytest_subprocess("--modelizer-cache-dir", str(pytester.path / "cache"))
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["modelizer: *, cache: *cache, device: cpu"])
    assert json.loads(Path(record).read_text()) == []
