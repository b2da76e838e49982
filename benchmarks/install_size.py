"""What a plain install of this package costs: distributions and site-packages size, in a fresh venv.

    python benchmarks/install_size.py > benchmarks/results/install-replay.json

Creates a virtual environment in a temporary folder, runs `pip install .` from the source tree
(the build folder removed first, so nothing stale is packaged), counts `pip list`'s distributions
(pip and setuptools included) and measures site-packages with `du`; then adds the example suite's
programs (`markdown-it-py`, `latexify-py`) and runs `pytest conftest_examples` with that
environment's `pytest` (not `python -m pytest`, which would import the source tree instead).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ["markdown-it-py==4.3.0", "latexify-py==0.4.4"]


def measure(venv: Path) -> dict:
    listed = subprocess.run([venv / "bin" / "pip", "list", "--format", "json"], capture_output=True, text=True,
                            check=True).stdout
    site = next((venv / "lib").glob("python*/site-packages"))
    kib = int(subprocess.run(["du", "-sk", site], capture_output=True, text=True, check=True).stdout.split()[0])
    return {"distributions": sorted(d["name"] for d in json.loads(listed)), "site_packages_mb": round(kib / 1024, 1)}


def main() -> None:
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        pip = [venv / "bin" / "pip", "install", "-q"]
        subprocess.run([*pip, ROOT], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(ROOT / "build", ignore_errors=True)
        base = measure(venv)
        subprocess.run([*pip, *EXAMPLES], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        examples = measure(venv)
        # `-o pythonpath=`: the checkout's ini puts the source tree first on sys.path (for the
        # benchmark harness), where it would shadow the installed package being measured.
        done = subprocess.run([venv / "bin" / "pytest", "-p", "no:cacheprovider", "-o", "pythonpath=", "-q",
                               "conftest_examples"], capture_output=True, text=True, cwd=ROOT)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the checkout too
    from benchmarks.common import machine

    json.dump({"command": "pip install pytest-modelizer (from the source tree)", "base": base,
               "with_examples": {**examples, "added": EXAMPLES},
               "example_suite": {"exit_code": done.returncode, "summary": done.stdout.strip().splitlines()[-1]},
               "machine": machine()}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
