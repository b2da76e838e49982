"""Latency of `binary="pandoc"`: a call through the stand-in executable against pandoc and the mock.

    python benchmarks/binary_latency.py [--n 50] [--cache-dir DIR]

On the first N blocks of the evaluation part of `subjects/corpora/docs.jsonl` (pandoc-html trains
on the other part), the four calls below one after the other for
each input (so that a busy machine slows them alike), each reported as a median in milliseconds:

- `shim_ms`: `subprocess.run(["pandoc", ...])` with the stand-in first on PATH, answered by the
  shipped pandoc-html model (the Python start of the script, the socket round trip, the decode);
- `shim_warm_ms`: the same calls again, now answered from the run's memo: what the stand-in adds
  on top of the model (starting the script, the socket);
- `pandoc_ms`: the real pandoc (pypandoc-binary's, `PANDOC`), where it is installed;
- `mock_ms`: an in-process `mock_program` call (a fresh run: no memo), as a test makes it.

Every answer comes from the model (`on_uncertain="accept"`; an input it cannot represent is
refused, exit 3, which is timed too), so the shim and the in-process call do the same work.
Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from pytest_modelizer.binary import StandIn
from pytest_modelizer.recordings import RecordingBook
from pytest_modelizer.samples import corpus_part
from pytest_modelizer.serve import ServedProgram
from pytest_modelizer.session import ModelizerSession
from pytest_modelizer.store import ModelStore
from pytest_modelizer.subjects.pandoc import HTML_ARGS, PANDOC, html_subject


def served(cache: Path) -> ServedProgram:
    """A fresh run's ServedProgram of pandoc-html (its own memo), as the plugin makes it for a test."""
    session = ModelizerSession(registry=None, store=ModelStore(cache), recordings=RecordingBook(cache / "rec", cache))
    program = ServedProgram(session, session.spec(html_subject, "forward"), "mock", "accept", "binary_latency")
    program.mock  # load the model before timing
    return program


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--cache-dir", type=Path, default=None, help="model cache (default: an empty temp dir)")
    args = parser.parse_args()
    lines = html_subject.corpora["package-docs"].read_text().splitlines()
    inputs = corpus_part([json.loads(line)["input"] for line in lines], "evaluation")[:args.n]
    cache = args.cache_dir or Path(tempfile.mkdtemp(prefix="binary-latency-"))
    mock = served(cache)  # its own run: the stand-in's calls do not warm its memo

    def in_process(text: str):
        try:
            return mock(text)
        except Exception as exc:  # noqa: BLE001 - a refusal is an answer too; the stand-in times it the same way
            return exc

    stand_in = StandIn(served(cache), "pandoc", {})
    stand_in.start()
    env = {**os.environ, "PATH": f"{stand_in.folder}{os.pathsep}{os.environ.get('PATH', os.defpath)}"}
    def shim(text: str) -> int:
        return subprocess.run(["pandoc", *HTML_ARGS], input=text, capture_output=True, text=True, env=env,
                              timeout=60).returncode

    calls = {
        "shim_ms": shim,
        "shim_warm_ms": shim,  # the same input again, now in the memo
        "pandoc_ms": PANDOC and (lambda text: subprocess.run([PANDOC, *HTML_ARGS], input=text, capture_output=True,
                                                             text=True, timeout=60)),
        "mock_ms": in_process,
    }
    times: dict[str, list[float]] = {name: [] for name, call in calls.items() if call}
    codes = Counter()
    try:  # interleaved, input by input: a busy machine slows every kind of call alike
        for text in inputs:
            for name in times:
                start = time.perf_counter()
                result = calls[name](text)
                times[name].append(1000 * (time.perf_counter() - start))
                if name == "shim_ms":
                    codes[result] += 1
    finally:
        stand_in.close()
    median = {name: statistics.median(values) for name, values in times.items()}
    pandoc = "pandoc_ms" in median
    result = {
        "subject": html_subject.name, "n": len(inputs), "inputs": "subjects/corpora/docs.jsonl", "part": "evaluation",
        "torch_threads": __import__("torch").get_num_threads(), "python": sys.version.split()[0],
        "median": {k: round(v, 2) for k, v in median.items()},
        "shim_exit_codes": dict(codes),
        "ratios": {
            "shim/mock": round(median["shim_ms"] / median["mock_ms"], 2),
            "shim_warm/mock": round(median["shim_warm_ms"] / median["mock_ms"], 2),
            **({"shim/pandoc": round(median["shim_ms"] / median["pandoc_ms"], 2),
                "shim_warm/pandoc": round(median["shim_warm_ms"] / median["pandoc_ms"], 2),
                "mock/pandoc": round(median["mock_ms"] / median["pandoc_ms"], 2)} if pandoc else {}),
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
