"""The app's Markdown converter: the real program that the tests let a model stand in for."""
from __future__ import annotations


def to_html(markdown: str) -> str:
    """HTML of one Markdown block, as the production app renders it."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").render(markdown)
