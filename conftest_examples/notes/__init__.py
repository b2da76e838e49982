"""A tiny release-notes app whose pages go through a Markdown converter (markdown-it-py)."""
