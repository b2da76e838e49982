"""Using the model directly: single calls, batches, what it knows about itself."""
import pytest


@pytest.mark.modelize("markdown-it")
def test_heading(mock_program):
    assert mock_program("# Title\n") == "<h1>Title</h1>\n"


@pytest.mark.modelize("markdown-it")
@pytest.mark.parametrize(
    "markdown, html",
    [
        ("Some **bold** words\n", "<p>Some <strong>bold</strong> words</p>\n"),
        ("> quoted text\n", "<blockquote>\n<p>quoted text</p>\n</blockquote>\n"),
        ("1. first\n2. second\n", "<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n"),
        ("---\n", "<hr />\n"),
        ("```python\nprint(x)\n```\n", '<pre><code class="language-python">print(x)\n</code></pre>\n'),
    ],
)
def test_blocks(mock_program, markdown, html):
    assert mock_program(markdown) == html


@pytest.mark.modelize("markdown-it")
def test_batch_of_comments(mock_program):
    comments = ["Looks good to me\n", "Please add a *test*\n", "Merged in `main`\n"]
    assert mock_program.batch(comments) == [
        "<p>Looks good to me</p>\n",
        "<p>Please add a <em>test</em></p>\n",
        "<p>Merged in <code>main</code></p>\n",
    ]


@pytest.mark.modelize("markdown-it")
def test_model_is_trusted_a_known_amount(mock_program):
    info = mock_program.info
    assert info.subject == "markdown-it"
    assert info.metrics["exact_match"] >= 0.9  # held-out fidelity recorded when it was trained
    assert info.parameters < 6_300_000


@pytest.mark.modelize("markdown-it")
def test_model_agrees_with_the_real_converter(mock_program, real_program):
    samples = ["## Install\n", "Run `pip install notes` first.\n", "- one\n- two\n"]
    for markdown, predicted in zip(samples, mock_program.batch(samples)):
        assert predicted == real_program(markdown).output
