"""Build the real-world HTML corpus of the pandoc-markdown subject from the Markdown corpora.

    python subjects/corpora/extract_pandoc.py

Runs the `pandoc-html` subject's command (pandoc 3.9 from `pypandoc-binary==1.17`, with the
subject's 1 s timeout) on every block of `commonmark.jsonl` and `docs.jsonl` (see
`extract.py`), and writes the HTML of each next to this file, `pandoc-html-commonmark.jsonl`
and `pandoc-html-docs.jsonl` (apart, so that the docs' HTML can be samples and the spec's
stays evaluation-only): one `{"input", "block", "source"}` object per line, `input` being the HTML pandoc wrote, `block`
the Markdown block it was made from as `FILE:LINE` (`commonmark.jsonl:12`, 1-based) and
`source` where that block comes from (`commonmark-0.31.2#EXAMPLE` or the docs entry's
`source`). Blocks on which
pandoc fails or times out, blocks whose HTML is empty (link reference definitions, lone
footnote definitions) or over 2,000 characters, and duplicate HTML are left out.

The HTML is a derivative of those Markdown blocks, so it carries their licences (see
README.md). Needs the pandoc extra: `pip install 'pytest-modelizer[pandoc]'`.
"""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
MAX_HTML_CHARS = 2000


def markdown_blocks() -> list[tuple[str, str, str]]:
    """(markdown, block, source) of every entry of the two Markdown corpora, spec examples first."""
    blocks = []
    for name in ("commonmark.jsonl", "docs.jsonl"):
        with (HERE / name).open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                row = json.loads(line)
                source = f"commonmark-0.31.2#{row['example']}" if "example" in row else row["source"]
                blocks.append((row["input"], f"{name}:{number}", source))
    return blocks


def pandoc_html(markdowns: list[str]) -> tuple[list[str | None], dict[str, int]]:
    """pandoc's HTML of each Markdown block, None for a block left out, and how many were left out why."""
    from pytest_modelizer.runner import ProgramRunner
    from pytest_modelizer.subjects.pandoc import PANDOC, html_subject

    if PANDOC is None:
        raise SystemExit("pandoc is not installed: pip install 'pytest-modelizer[pandoc]'")
    # Two workers: the timeout must measure pandoc, not a queue on a busy machine.
    with ProgramRunner(html_subject, workers=2) as runner:
        runs = runner.run_many(markdowns)
    htmls: list[str | None] = []
    seen, skipped = set(), {"failed": 0, "empty": 0, "long": 0, "duplicate": 0}
    for run in runs:
        behaviour = run.behaviour
        html = behaviour.output or ""
        reason = (
            "failed" if not behaviour.ok
            else "empty" if not html.strip()
            else "long" if len(html) > MAX_HTML_CHARS
            else "duplicate" if html in seen
            else None
        )
        if reason:
            skipped[reason] += 1
            htmls.append(None)
        else:
            seen.add(html)
            htmls.append(html)
    return htmls, skipped


def main() -> None:
    from pytest_modelizer.subjects.pandoc import pandoc_version

    blocks = markdown_blocks()
    htmls, skipped = pandoc_html([markdown for markdown, _, _ in blocks])
    rows = [{"input": html, "block": block, "source": source}
            for (_, block, source), html in zip(blocks, htmls) if html is not None]
    for corpus in ("commonmark", "docs"):
        path = HERE / f"pandoc-html-{corpus}.jsonl"
        part = [row for row in rows if row["block"].startswith(f"{corpus}.jsonl:")]
        with path.open("w", encoding="utf-8") as f:
            for row in part:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{path.name}: {len(part)} entries, {path.stat().st_size} bytes ({pandoc_version()})")
    print(f"left out: {skipped}")


if __name__ == "__main__":
    main()
