"""Confidence on real inputs from outside this repository: what the installed packages hold.

    python benchmarks/outside_inputs.py [--limit N] [--keep DIR | --sets DIR] [SUBJECT ...]

Collects, from the site-packages of the running interpreter (this project's own dependencies
and test tools, none of them written for it):

- Markdown: top-level blocks of the package descriptions that are `text/markdown` (METADATA),
  at most 300 characters (markdown-it's own description left out: its corpus is in the repo);
- Python: single-line `return` expressions of the packages' sources, with the filter the stdlib
  corpus uses (`subjects/corpora/extract_sql_python.py`: names, numbers, operators, calls...);
- SQL: `SELECT ... FROM ...` statements found in string literals and docstrings of the sources;
- HTML: pandoc's HTML of those Markdown blocks (what pandoc-markdown reads; the filter that
  `subjects/corpora/extract_pandoc.py` applies to the docs corpus), where pandoc is installed.

Then runs `modelizer eval --json` for each bundled subject on the inputs of its language, in both
directions (an inverse model is asked for the program's outputs of those inputs and scored by the
round trip), and writes `benchmarks/results/<subject>-<direction>-outside.json`; `python benchmarks/run.py
--render-only` puts them into BENCHMARKS.md. The sets depend on what is installed: the command
records the package count with the results.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "subjects" / "corpora"))

from extract import top_level_blocks  # noqa: E402
from extract_pandoc import pandoc_html  # noqa: E402
from extract_sql_python import pure_returns  # noqa: E402

SUBJECTS = {"markdown": ["markdown-it", "pandoc-html"], "python": ["latexify"], "sql": ["sqlglot-tsql", "msticpy-kql"],
            "html": ["pandoc-markdown"]}


def collect(site: Path, limit: int, rng: random.Random) -> dict[str, list[dict]]:
    blocks, exprs, sqls, seen = [], [], [], set()
    for meta in sorted(site.glob("*.dist-info/METADATA")):
        text = meta.read_text(errors="replace")
        if "Description-Content-Type: text/markdown" not in text or meta.parent.name.startswith("markdown_it"):
            continue
        for block in top_level_blocks(text.split("\n\n", 1)[1] if "\n\n" in text else ""):
            block = block if block.endswith("\n") else block + "\n"
            if len(block) <= 300 and block not in seen:
                seen.add(block)
                blocks.append({"input": block, "source": meta.parent.name})
    for path in sorted(site.rglob("*.py")):
        rel = path.relative_to(site).as_posix()
        if "/tests/" in rel or rel.startswith(("latexify", "pip/")):
            continue
        for text, _ in pure_returns(path):
            if text not in seen:
                seen.add(text)
                exprs.append({"input": text, "source": rel})
        try:
            source = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for match in re.finditer(r"SELECT [^\"'\n;]{5,200}", source):
            query = match.group(0).strip()
            if " FROM " in query and query not in seen:
                seen.add(query)
                sqls.append({"input": query, "source": rel})
    sets = {"markdown": blocks, "python": exprs, "sql": sqls}
    for rows in sets.values():
        rng.shuffle(rows)
        del rows[limit:]
    from pytest_modelizer.subjects.pandoc import PANDOC

    if PANDOC is not None:
        htmls, _ = pandoc_html([row["input"] for row in blocks])
        sets["html"] = [{"input": html, "source": row["source"]} for row, html in zip(blocks, htmls) if html]
    return sets


def evaluate(subject: str, direction: str, inputs: Path) -> dict | None:
    """`modelizer eval --json` of one model on one set, or None (its error printed) where it failed."""
    argv = [sys.executable, "-m", "pytest_modelizer", "eval", subject, "--direction", direction, "--json",
            "--inputs", str(inputs)]
    print(f"$ {' '.join(argv[1:])}", file=sys.stderr, flush=True)
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=600, help="inputs per language at most")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="also write the sets there (markdown.jsonl, python.jsonl, sql.jsonl, html.jsonl, and "
                             "distributions.txt: how many they were collected from), to read the misses")
    parser.add_argument("--sets", type=Path, metavar="DIR",
                        help="read the sets that --keep wrote there instead of collecting them again")
    parser.add_argument("subjects", nargs="*", help="only these subjects (default: all of them)")
    args = parser.parse_args()
    site = Path(sysconfig.get_paths()["purelib"])
    # The sets' label counts the distributions they were collected from: with --sets, those that
    # --keep recorded then, not those installed now.
    if args.sets:
        sets = {language: [json.loads(line) for line in (args.sets / f"{language}.jsonl").read_text().splitlines()]
                for language in SUBJECTS if (args.sets / f"{language}.jsonl").is_file()}
        recorded = args.sets / "distributions.txt"
        packages = int(recorded.read_text()) if recorded.is_file() else len(list(site.glob("*.dist-info")))
    else:
        sets = collect(site, args.limit, random.Random(0))
        packages = len(list(site.glob("*.dist-info")))
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        (where / "distributions.txt").write_text(f"{packages}\n")
        for language, rows in sets.items():
            path = where / f"{language}.jsonl"
            path.write_text("".join(json.dumps(r) + "\n" for r in rows))
            for subject in SUBJECTS[language]:
                if args.subjects and subject not in args.subjects:
                    continue
                for direction in ("forward", "inverse"):
                    report = evaluate(subject, direction, path)
                    if report is None:
                        continue
                    report["set"] = f"installed packages: {language} ({packages} distributions)"
                    out = args.results / f"{subject}-{direction}-outside.json"
                    out.write_text(json.dumps({"subject": subject, "direction": direction, "reports": [report]},
                                              indent=1, sort_keys=True) + "\n")
                    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
