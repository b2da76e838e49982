"""Rebuild the real-world corpora of the `sqlglot-tsql` and `latexify` subjects.

    python subjects/corpora/extract_sql_python.py

Writes, next to this file:

- sqlglot.jsonl: single-line SELECT (and WITH ... SELECT) statements of sqlglot 30.30.0's test
  fixtures (`tests/fixtures/identity.sql` and `tests/fixtures/optimizer/*.sql`), downloaded as the
  pinned sdist with `pip download --no-deps --no-binary :all:`; only statements that sqlglot's
  SQLite reader parses, at most 300 characters, no duplicates, fixture blocks marked for another
  dialect (`# dialect: ...`) left out; at most 1000, spread evenly over the files.
- stdlib_expressions.jsonl: the expressions of `return` statements in the Python standard
  library of the running interpreter (tests left out), found with `ast`: single-line, at most
  120 characters, made only of names, numbers, operators, comparisons, calls without keyword or
  star arguments, attributes, subscripts and slices, and conditional expressions, with at least
  one operator or call; no duplicates; at most 1000, spread evenly over the files. The Python
  version is part of every `source`.

Needs sqlglot installed (`.[test]`) and network access to PyPI for the sdist.
"""
from __future__ import annotations

import ast
import platform
import re
import sysconfig
import tarfile
import tempfile
from pathlib import Path

from extract import HERE, download, write_jsonl

SQLGLOT = ("sqlglot", "30.30.0")
SQL_FILES = ["tests/fixtures/identity.sql", "tests/fixtures/optimizer/*.sql"]
MAX_SQL_CHARS = 300
MAX_EXPR_CHARS = 120
MAX_ENTRIES = 1000


def spread(rows: list[dict], limit: int = MAX_ENTRIES) -> list[dict]:
    """At most `limit` rows, evenly spread over the list (which is in file order)."""
    if len(rows) <= limit:
        return rows
    step = len(rows) / limit
    return [rows[int(i * step)] for i in range(limit)]


def fixture_statements(text: str, one_per_line: bool) -> list[str]:
    """Statements of a sqlglot fixture file: one per line, or `;`-terminated blocks."""
    if one_per_line:
        return [line for line in text.splitlines() if line.strip()]
    out, current, dialect = [], [], None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            match = re.match(r"#\s*dialect:\s*(\w+)", stripped)
            dialect = match.group(1).lower() if match else dialect
            continue
        if not current and (not stripped or stripped.startswith("--")):
            dialect = None if not stripped else dialect
            continue
        current.append(line)
        if stripped.endswith(";"):
            statement = "\n".join(current).strip()[:-1]
            current = []
            if dialect in (None, "sqlite"):
                out.append(statement)
    return out


def sql_rows(sdist: Path) -> list[dict]:
    import sqlglot

    name, version = SQLGLOT
    rows, seen = [], set()
    with tarfile.open(sdist) as tar:
        members = sorted(m.name for m in tar.getmembers() if m.isfile())
        prefix = f"{name}-{version}/"
        for pattern in SQL_FILES:
            regex = re.compile(re.escape(prefix + pattern).replace(r"\*", "[^/]*") + "$")
            for member in (m for m in members if regex.match(m)):
                text = tar.extractfile(member).read().decode("utf-8")
                for statement in fixture_statements(text, member.endswith("identity.sql")):
                    if "\n" in statement or len(statement) > MAX_SQL_CHARS or statement in seen:
                        continue
                    if not re.match(r"(?i)(?:SELECT|WITH)\b", statement):
                        continue
                    try:
                        sqlglot.parse_one(statement, read="sqlite")
                    except Exception:  # noqa: BLE001 - only what the SQLite reader reads
                        continue
                    seen.add(statement)
                    rows.append({"input": statement, "source": f"{name}-{version}/{member[len(prefix):]}"})
    return spread(rows)


_ALLOWED = (
    ast.Name, ast.Load, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call, ast.Attribute,
    ast.Subscript, ast.Slice, ast.Tuple, ast.IfExp, ast.operator, ast.unaryop, ast.boolop, ast.cmpop,
)


def is_pure(node: ast.expr) -> bool:
    """Only names, numbers, operators, calls (no keywords or stars), attributes, subscripts."""
    for child in ast.walk(node):
        if isinstance(child, ast.Constant):
            if not isinstance(child.value, (int, float)) and child.value is not None:
                return False  # str, bytes, complex, Ellipsis
        elif isinstance(child, ast.Call):
            if child.keywords or any(isinstance(a, ast.Starred) for a in child.args):
                return False
        elif not isinstance(child, _ALLOWED):
            return False
    return isinstance(node, (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call, ast.Subscript, ast.IfExp))


def stdlib_rows() -> list[dict]:
    root = Path(sysconfig.get_paths()["stdlib"])
    tag = f"python-{platform.python_version()}"
    rows, seen = [], set()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("test/", "site-packages/", "idlelib/idle_test/", "lib2to3/tests/")) or "/tests/" in rel:
            continue
        for text, line in pure_returns(path):
            if text not in seen:
                seen.add(text)
                rows.append({"input": text, "source": f"{tag}/Lib/{rel}:{line}"})
    return spread(rows)


def pure_returns(path: Path) -> list[tuple[str, int]]:
    """(expression, line) of the single-line `return` expressions in a Python file that `is_pure` admits."""
    try:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Return) or node.value is None or not is_pure(node.value):
            continue
        text = ast.get_source_segment(source, node.value)
        if text and "\n" not in text and len(text) <= MAX_EXPR_CHARS and "#" not in text:
            found.append((text, node.lineno))
    return found


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write_jsonl(HERE / "sqlglot.jsonl", sql_rows(download(*SQLGLOT, Path(tmp))))
    write_jsonl(HERE / "stdlib_expressions.jsonl", stdlib_rows())


if __name__ == "__main__":
    main()
