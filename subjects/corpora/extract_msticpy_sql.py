"""Rebuild the real-world SQL corpus of the `msticpy-kql` subject from msticpy's tests and docs.

    python subjects/corpora/extract_msticpy_sql.py PATH/TO/msticpy

PATH/TO/msticpy is a source checkout of msticpy (https://github.com/microsoft/msticpy, MIT): the
PyPI sdist and wheel of msticpy 3.0.2 hold neither its tests nor its documentation, and so no SQL
for the converter (the one SQL file they ship, `openobserve_queries.yaml`, holds two OpenObserve
queries, which are added too). Reads:

- `tests/data/test_sql_to_kql.py`: every string given as `sql=` or assigned to `sql`;
- `docs/source/data_acquisition/SqlToKql.rst`: every `sql = \"\"\"...\"\"\"` of its code blocks;
- `msticpy/data/queries/openobserve/openobserve_queries.yaml`: the `query:` values that start
  with SELECT.

Each query is made one line: SQL line comments (`--...` lines) dropped, every run of whitespace
one space (the converter's output does not depend on the layout; inside the string literals of
these queries there are no runs). Duplicates are dropped, the rest kept in order of first
appearance in `msticpy-sql.jsonl`, one `{"input", "source"}` per line, `source` naming the file.
Its sample and evaluation parts are fixed by a hash of each entry's text
(`pytest_modelizer.samples.in_evaluation_part`; corpora README, "Sample and evaluation parts").
"""
from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
TESTS = "tests/data/test_sql_to_kql.py"
DOCS = "docs/source/data_acquisition/SqlToKql.rst"
YAML = "msticpy/data/queries/openobserve/openobserve_queries.yaml"


def one_line(sql: str) -> str:
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return " ".join(" ".join(lines).split())


def from_tests(text: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "sql" for t in node.targets):
            value = node.value
        elif isinstance(node, ast.keyword) and node.arg == "sql":
            value = node.value
        else:
            continue
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            found.append((value.lineno, value.value))
    return [sql for _, sql in sorted(found)]  # ast.walk is breadth-first: back to file order


def from_docs(text: str) -> list[str]:
    return re.findall(r'\bsql\s*=\s*"""(.*?)"""', text, re.S)


def from_yaml(text: str) -> list[str]:
    return [m for m in re.findall(r"^\s*query:\s*'(.*)'\s*$", text, re.M) if m.lstrip().upper().startswith("SELECT")]


def main(source: Path) -> None:
    rows: list[dict] = []
    seen: set[str] = set()
    for path, extract in ((TESTS, from_tests), (DOCS, from_docs), (YAML, from_yaml)):
        file = source / path
        if not file.is_file():
            print(f"skipping {path}: not in {source}", file=sys.stderr)
            continue
        for sql in extract(file.read_text(encoding="utf-8")):
            sql = one_line(sql)
            if sql and sql not in seen:
                seen.add(sql)
                rows.append({"input": sql, "source": f"msticpy/{path}"})
    with open(HERE / "msticpy-sql.jsonl", "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"msticpy-sql.jsonl: {len(rows)} queries")

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
