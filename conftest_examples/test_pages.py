"""The app's page code, with its Markdown converter served by the learned model."""
import pytest

from notes.pages import Release, changelog_links, release_page

RELEASE = Release(
    "2.1",
    "Faster parsing",
    [
        "The parser is *twice as fast* on long documents.",
        "- fixed a crash on empty input\n- `render` accepts a path\n",
        "See [the guide](https://example.com/guide) for details.",
    ],
)


@pytest.mark.modelize("markdown-it", patch="notes.render.to_html")
def test_release_page_structure():
    html = release_page(RELEASE)
    assert html.startswith('<article class="release">\n<h2>2.1: Faster parsing</h2>\n')
    assert "<p>The parser is <em>twice as fast</em> on long documents.</p>\n" in html
    assert "<li>fixed a crash on empty input</li>\n<li><code>render</code> accepts a path</li>\n" in html
    assert '<a href="https://example.com/guide">the guide</a>' in html


@pytest.mark.modelize("markdown-it", patch="notes.render.to_html")
def test_changelog_links():
    releases = [Release("2.1", "Faster parsing", []), Release("2.0", "New API", [])]
    html = changelog_links(releases, "https://example.com/releases")
    assert html == (
        "<ul>\n"
        '<li><a href="https://example.com/releases/2.1">2.1 Faster parsing</a></li>\n'
        '<li><a href="https://example.com/releases/2.0">2.0 New API</a></li>\n'
        "</ul>\n"
    )
