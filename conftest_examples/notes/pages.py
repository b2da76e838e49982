"""Release-notes pages: a title, then one rendered block per entry."""
from __future__ import annotations

from dataclasses import dataclass

from notes import render


@dataclass
class Release:
    version: str
    title: str
    entries: list[str]


def release_page(release: Release) -> str:
    """An <article> with the release heading and each entry rendered by the converter."""
    heading = render.to_html(f"## {release.version}: {release.title}\n")
    body = "".join(render.to_html(entry if entry.endswith("\n") else entry + "\n") for entry in release.entries)
    return f'<article class="release">\n{heading}{body}</article>\n'


def changelog_links(releases: list[Release], base_url: str) -> str:
    """A bullet list linking every release, rendered from Markdown."""
    lines = "".join(f"- [{r.version} {r.title}]({base_url}/{r.version})\n" for r in releases)
    return render.to_html(lines)
