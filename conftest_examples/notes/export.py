"""Exporting release notes to HTML with pandoc, run as a command: the app never imports it."""
from __future__ import annotations

import os
import subprocess

PANDOC_ARGS = ["-f", "markdown-auto_identifiers", "-t", "html", "--wrap=preserve", "--syntax-highlighting=none"]


class ExportError(RuntimeError):
    """pandoc failed on an entry."""


def to_html(markdown: str) -> str:
    """HTML of one Markdown block, by pandoc (`NOTES_PANDOC` names the binary, else `pandoc` on PATH)."""
    pandoc = os.environ.get("NOTES_PANDOC", "pandoc")
    done = subprocess.run([pandoc, *PANDOC_ARGS], input=markdown, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise ExportError(f"{pandoc} exited with {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def export(entries: list[str]) -> str:
    """The release notes' entries as one HTML document body."""
    return "".join(to_html(entry if entry.endswith("\n") else entry + "\n") for entry in entries)
