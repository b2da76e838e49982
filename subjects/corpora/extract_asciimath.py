"""Rebuild the real-world corpora of the py-asciimath subjects from pinned sdists.

    python subjects/corpora/extract_asciimath.py

Downloads each pinned source distribution with `pip download --no-deps --no-binary :all:` and
collects the AsciiMath expressions their test suites feed to a converter (read with `ast`, so
only literal strings count):

- asciimath2mathml 0.2.0 (MIT): the first argument of every `convert("...")` call in `tests/*.py`;
- unicodemath 0.1.1 (Apache-2.0): the keys of `am_samples` (AsciiMath -> LaTeX) in
  `tests/test_latex.py`.

Duplicates are dropped. It writes, next to this file, one `{"input", "source"}` object per line:

- asciimath.jsonl: the expressions (corpus `asciimath-tests` of `asciimath-mathml`);
- asciimath-mathml.jsonl: the MathML the `asciimath-mathml` subject's program (py-asciimath)
  writes for each expression it translates (`source` names the expression's line in
  asciimath.jsonl);
- asciimath-latex.jsonl: the LaTeX the `mathml-latex` subject's program writes for that MathML.

The last two need py-asciimath (`pip install 'pytest-modelizer[asciimath]'` and then
`pip install --no-deps py-asciimath==0.3.0`); they derive from the expressions and carry their
licences (README.md).
"""
from __future__ import annotations

import ast
import tarfile
import tempfile
from pathlib import Path

from extract import HERE, download, write_jsonl

ASCIIMATH2MATHML = ("asciimath2mathml", "0.2.0")
UNICODEMATH = ("unicodemath", "0.1.1")


def convert_calls(source: str) -> list[str]:
    """The literal first argument of each `convert(...)` call, in source order."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "convert" and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return [text for _, text in sorted(found)]


def dict_keys(source: str, name: str) -> list[str]:
    """The literal string keys of the module-level dict assigned to `name`."""
    for node in ast.parse(source).body:
        if (isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets)
                and isinstance(node.value, ast.Dict)):
            return [k.value for k in node.value.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    return []


def expressions(tmp: Path) -> list[dict]:
    rows = []
    sdist = download(*ASCIIMATH2MATHML, tmp)
    prefix = f"{ASCIIMATH2MATHML[0]}-{ASCIIMATH2MATHML[1]}"
    with tarfile.open(sdist) as tar:
        members = sorted((m for m in tar.getmembers() if m.name.startswith(f"{prefix}/tests/") and m.name.endswith(".py")),
                         key=lambda m: m.name)
        for member in members:
            text = tar.extractfile(member).read().decode("utf-8")
            rows += [{"input": e, "source": member.name} for e in convert_calls(text)]
    sdist = download(*UNICODEMATH, tmp)
    name = f"{UNICODEMATH[0]}-{UNICODEMATH[1]}/tests/test_latex.py"
    with tarfile.open(sdist) as tar:
        text = tar.extractfile(name).read().decode("utf-8")
    rows += [{"input": e, "source": name} for e in dict_keys(text, "am_samples")]
    seen, unique = set(), []
    for row in rows:
        if row["input"].strip() and row["input"] not in seen:
            seen.add(row["input"])
            unique.append(row)
    return unique


def derived(expressions: list[dict]) -> tuple[list[dict], list[dict]]:
    """The MathML of each expression, and the LaTeX of that MathML (where they translate)."""
    from pytest_modelizer.subjects.asciimath import asciimath_to_mathml, mathml_to_latex

    mathml, latex = [], []
    for number, row in enumerate(expressions, 1):
        try:
            out = asciimath_to_mathml(row["input"])
        except Exception:  # noqa: BLE001 - a failure of the program: no MathML to evaluate on
            continue
        mathml.append({"input": out, "source": f"asciimath.jsonl:{number}"})
        try:
            latex.append({"input": mathml_to_latex(out), "source": f"asciimath.jsonl:{number}"})
        except Exception:  # noqa: BLE001
            continue
    return mathml, latex


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = expressions(Path(tmp))
    write_jsonl(HERE / "asciimath.jsonl", rows)
    mathml, latex = derived(rows)
    write_jsonl(HERE / "asciimath-mathml.jsonl", mathml)
    write_jsonl(HERE / "asciimath-latex.jsonl", latex)


if __name__ == "__main__":
    main()
