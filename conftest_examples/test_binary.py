"""The app runs pandoc as a command; `binary="pandoc"` puts a stand-in first on PATH that the model
of pandoc answers, so these tests pass where pandoc is not installed (and, where it is, the model
answers them all the same)."""
import os

import pytest

from notes.export import export, to_html


@pytest.mark.modelize("pandoc-html", binary="pandoc")
def test_entry_through_the_pandoc_command():
    assert to_html("Some *text* here.\n") == "<p>Some <em>text</em> here.</p>\n"


@pytest.mark.modelize("pandoc-html", binary="pandoc")
def test_export_of_several_entries():
    html = export(["# Release notes", "- one\n- two\n", "See [the docs](https://example.com/docs)."])
    assert html == (
        "<h1>Release notes</h1>\n"
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        '<p>See <a href="https://example.com/docs">the docs</a>.</p>\n'
    )


@pytest.mark.modelize("pandoc-html", binary="pandoc", binary_env="NOTES_PANDOC")
def test_binary_named_by_an_environment_variable(modelizer_binary, mock_program):
    assert os.environ["NOTES_PANDOC"] == str(modelizer_binary)
    assert to_html("A **bold** claim.\n") == mock_program("A **bold** claim.\n") == "<p>A <strong>bold</strong> claim.</p>\n"
