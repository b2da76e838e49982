"""Rebuild the real-world Markdown corpora of the markdown-it subject from pinned sdists.

    python subjects/corpora/extract.py

Downloads each pinned source distribution with `pip download --no-deps --no-binary :all:`,
and writes, next to this file:

- commonmark.jsonl: the CommonMark 0.31.2 spec examples shipped in markdown-it-py's tests,
  one `{"input", "section", "example"}` object per line;
- docs.jsonl: the top-level blocks of Markdown documentation files of a few permissively
  licensed packages, one `{"input", "source"}` object per line (HTML blocks, front matter and
  duplicates left out).

Blocks are found with markdown-it-py's token stream: every level-0 token that opens a block
carries the line range (`map`) of its source. Needs markdown-it-py installed (`.[test]`).
"""
from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from fnmatch import fnmatch
from pathlib import Path

HERE = Path(__file__).parent
SPEC = ("markdown-it-py", "4.3.0", "markdown_it_py-4.3.0/tests/test_cmark_spec/commonmark.json")
# (distribution, version, glob patterns of Markdown files inside the sdist); all MIT or BSD.
DOCS = [
    ("markdown-it-py", "4.3.0", ["*/README.md", "*/CHANGELOG.md"]),
    ("httpx", "0.28.1", ["*/README.md", "*/CHANGELOG.md"]),
    ("rich", "13.9.4", ["*/README.md"]),
    ("starlette", "0.41.3", ["*/docs/*.md"]),
    ("black", "24.10.0", ["*/README.md", "*/docs/*.md", "*/docs/*/*.md"]),
]
MAX_BLOCK_CHARS = 1500
MAX_PER_SOURCE = 60


def download(name: str, version: str, dest: Path) -> Path:
    """The sdist of name==version, downloaded into `dest`."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         f"{name}=={version}", "-d", str(dest)],
        check=True,
    )
    prefix = name.replace("-", "_").lower()
    for path in sorted(dest.iterdir()):
        if path.name.lower().replace("-", "_").startswith(f"{prefix}_{version}") or path.name.lower().startswith(f"{name.lower()}-{version}"):
            return path
    raise FileNotFoundError(f"no sdist of {name}=={version} in {dest}")


def strip_front_matter(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[end + 5:]
    return text


def top_level_blocks(text: str) -> list[str]:
    """Source text of each top-level block of a Markdown document (HTML blocks left out)."""
    from markdown_it import MarkdownIt

    lines = text.splitlines(keepends=True)
    blocks = []
    for token in MarkdownIt("commonmark").parse(text):
        if token.level != 0 or token.map is None or token.nesting < 0 or token.type == "html_block":
            continue
        start, end = token.map
        block = "".join(lines[start:end]).rstrip("\n")
        if block.strip():
            blocks.append(block + "\n")
    return blocks


def spec_examples(sdist: Path) -> list[dict]:
    with tarfile.open(sdist) as tar:
        data = json.load(tar.extractfile(SPEC[2]))
    return [{"input": ex["markdown"], "section": ex["section"], "example": ex["example"]} for ex in data]


def doc_blocks(sdist: Path, name: str, version: str, patterns: list[str]) -> list[dict]:
    out = []
    with tarfile.open(sdist) as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile() and any(fnmatch(m.name, p) for p in patterns)), key=lambda m: m.name)
        for member in members:
            text = tar.extractfile(member).read().decode("utf-8").replace("\r\n", "\n")
            path = member.name.split("/", 1)[1]
            blocks = [b for b in top_level_blocks(strip_front_matter(text)) if len(b) <= MAX_BLOCK_CHARS]
            if len(blocks) > MAX_PER_SOURCE:  # An even spread over long files (changelogs).
                step = len(blocks) / MAX_PER_SOURCE
                blocks = [blocks[int(i * step)] for i in range(MAX_PER_SOURCE)]
            out.extend({"input": b, "source": f"{name}-{version}/{path}"} for b in blocks)
    return out


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{path.name}: {len(rows)} entries, {path.stat().st_size} bytes")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        sdists: dict[tuple[str, str], Path] = {}

        def sdist(name: str, version: str) -> Path:
            if (name, version) not in sdists:
                sdists[name, version] = download(name, version, tmpdir)
            return sdists[name, version]

        write_jsonl(HERE / "commonmark.jsonl", spec_examples(sdist(SPEC[0], SPEC[1])))
        rows, seen = [], set()
        for name, version, patterns in DOCS:
            for row in doc_blocks(sdist(name, version), name, version, patterns):
                if row["input"] not in seen:
                    seen.add(row["input"])
                    rows.append(row)
        write_jsonl(HERE / "docs.jsonl", rows)


if __name__ == "__main__":
    main()
