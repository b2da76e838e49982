"""The bundled pandoc subjects: pandoc run with a timeout, lossless tokenizers, rare failures (shared checks: test_bundled_subjects.py)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from subject_checks import fresh_content, fuzz_sample, run_sample

from pytest_modelizer.subjects.pandoc import INSTALL_HINT, PANDOC
from pytest_modelizer.spec import ModelSpec

CORPORA = Path(__file__).parent.parent / "subjects" / "corpora"

# Not importorskip: the plain `pypandoc` distribution imports too, but ships no pandoc binary.
needs_pandoc = pytest.mark.skipif(
    PANDOC is None, reason=f"needs the pandoc extra (pypandoc-binary): {INSTALL_HINT}"
)


def _corpus(name: str) -> list[dict]:
    with (CORPORA / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _html_rows() -> list[dict]:
    """pandoc's HTML of those blocks (extract_pandoc.py made it): the spec's, then the docs'."""
    return [*_corpus("pandoc-html-commonmark.jsonl"), *_corpus("pandoc-html-docs.jsonl")]


def _markdown_blocks() -> dict[str, str]:
    """The Markdown corpora's blocks by `FILE:LINE`, as the HTML corpora name them."""
    return {
        f"{name}:{number}": row["input"]
        for name in ("commonmark.jsonl", "docs.jsonl")
        for number, row in enumerate(_corpus(name), 1)
    }


@pytest.fixture(scope="module")
def html_subject():
    from pytest_modelizer.subjects.pandoc import html_subject

    return html_subject


@pytest.fixture(scope="module")
def markdown_subject():
    from pytest_modelizer.subjects.pandoc import markdown_subject

    return markdown_subject


@pytest.fixture(scope="module")
def fuzzed_markdown(html_subject) -> list[str]:
    return fuzz_sample(html_subject, 300, coverage_every=10)


@pytest.fixture(scope="module")
def fuzzed_html(markdown_subject) -> list[str]:
    return fuzz_sample(markdown_subject, 200, coverage_every=10)


@pytest.fixture(scope="module")
def markdown_behaviours(html_subject, fuzzed_markdown):
    return run_sample(html_subject, fuzzed_markdown)


@pytest.fixture(scope="module")
def html_behaviours(markdown_subject, fuzzed_html):
    return run_sample(markdown_subject, fuzzed_html)


def test_missing_pandoc_fails_naming_the_install_command():
    # A process where pypandoc cannot be found, as without the pandoc extra.
    code = (
        "import importlib.util as u\n"
        "real = u.find_spec\n"
        "u.find_spec = lambda name, *a: None if name == 'pypandoc' else real(name, *a)\n"
        "from pytest_modelizer.runner import run_program\n"
        "from pytest_modelizer.subjects.pandoc import html_subject\n"
        "b = run_program(html_subject, '# x\\n')\n"
        "from pytest_modelizer.spec import ModelSpec\n"
        "print(b.failure, b.message, ModelSpec(html_subject, 'forward').key_components['program'])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.startswith("cannot-start ") and INSTALL_HINT in done.stdout
    assert done.stdout.rstrip().endswith(" pandoc -f markdown-auto_identifiers -t html --wrap=preserve --syntax-highlighting=none")


HTML_CASES = [
    ("# *hi*\n", "<h1><em>hi</em></h1>\n"),
    ("Head\n====\n", "<h1>Head</h1>\n"),
    ('A "quote" -- it\'s...\n', "<p>A “quote” – it’s…</p>\n"),
    ("foo\nbar  \nbaz\n", "<p>foo\nbar<br />\nbaz</p>\n"),
    ("```python\nx < 1\n```\n", '<pre class="python"><code>x &lt; 1</code></pre>\n'),
    ("3. a\n4. b\n", '<ol start="3" type="1">\n<li>a</li>\n<li>b</li>\n</ol>\n'),
    ("- [x] done\n", '<ul class="task-list">\n<li><label><input type="checkbox" checked="" />done</label></li>\n</ul>\n'),
    ("x^2^ ~~no~~ @doe\n", '<p>x<sup>2</sup> <del>no</del> <span class="citation" data-cites="doe">@doe</span></p>\n'),
    ("<http://a.io>\n", '<p><a href="http://a.io" class="uri">http://a.io</a></p>\n'),
    ("| a | b |\n|---|--:|\n| 1 | 2 |\n", "<table>\n<thead>\n<tr>\n<th>a</th>\n<th style=\"text-align: right;\">b</th>\n</tr>\n"
     "</thead>\n<tbody>\n<tr>\n<td>1</td>\n<td style=\"text-align: right;\">2</td>\n</tr>\n</tbody>\n</table>\n"),
]
MARKDOWN_CASES = [
    ("<p>foo <em>bar</em>\nbaz</p>\n", "foo *bar*\nbaz\n"),
    ("<ol start=\"3\" type=\"1\">\n<li>a</li>\n</ol>\n", "3.  a\n"),
    ("<p>“q” it’s – x [y]</p>\n", "\"q\" it's -- x \\[y\\]\n"),
    ('<h2 id="sec">Head</h2>\n', "## Head {#sec}\n"),
]


@needs_pandoc
def test_programs_and_versions(html_subject, markdown_subject):
    for subject, cases in ((html_subject, HTML_CASES), (markdown_subject, MARKDOWN_CASES)):
        behaviours = run_sample(subject, [text for text, _ in cases])
        assert [b.output for b in behaviours] == [expected for _, expected in cases]
        assert subject.resolved_program_version() == "pypandoc-binary==1.17, pandoc 3.9"
        # The key names the binary, not where this environment installed it.
        assert ModelSpec(subject, "forward").key_components["program"].startswith("pandoc -f ")


@needs_pandoc
def test_unmatched_brackets_time_out_within_the_subject_timeout(html_subject):
    from pytest_modelizer.runner import ProgramRunner

    with ProgramRunner(html_subject, workers=1) as runner:
        assert runner.run("foo\n").behaviour.ok  # loaded: a first call may take longer (runner.FIRST_CALL_ALLOWANCE)
        start = time.perf_counter()
        behaviour = runner.run("[" * 24 + "foo\n").behaviour
        elapsed = time.perf_counter() - start
    assert behaviour.failure == "timeout"
    assert html_subject.timeout <= elapsed < html_subject.timeout + 2.0


def _assert_lossless(tokenizer, text: str) -> None:
    tokens = tokenizer.tokenize(text)
    assert tokenizer.detokenize(tokens.tokens, tokens.mapping) == text


def test_tokenizers_are_lossless_on_corpora(html_subject):
    """Each side's tokenizer on its corpus and on the other's; pandoc's HTML restores through the Markdown's placeholders."""
    md, html = html_subject.input_tokenizer, html_subject.output_tokenizer
    blocks = _markdown_blocks()
    html_rows = _html_rows()
    assert len(blocks) >= 2000 and len(html_rows) >= 2000
    for text in [*blocks.values(), *(row["input"] for row in html_rows)]:
        _assert_lossless(md, text)
        _assert_lossless(html, text)
    for row in html_rows:
        mapping = md.tokenize(blocks[row["block"]]).mapping
        restored = html.tokenize_with(row["input"], mapping)
        assert html.detokenize(restored.tokens, restored.mapping) == row["input"]


@needs_pandoc
@pytest.mark.parametrize("markdown, codes", [
    ("Call `create_test_database(path=None)` first.\n", ["create_test_database(path=None)"]),
    ("Pass `--no-binary` and `*args`, or `[extra]`.\n", ["--no-binary", "*args", "[extra]"]),
    ("See [`Request`](requests.md#request) and [`b`](https://a.io).\n", ["Request", "b"]),
    ("```\npip install x\n```\n", []),  # a code block is not a code span, in either language
    ("`a < b` and `` x ` y ``\n", []),  # escaped in HTML, spaces kept: not one placeholder
    ('Use `mode="binary"` or `"gzip"`.\n', ['mode="binary"', '"gzip"']),  # pandoc keeps '"' in code
    ("The `Route`/`WebSocket` class\n", ["Route", "WebSocket"]),  # the "/" between them is no code
])
def test_a_code_span_is_one_placeholder_copied_into_the_html(html_subject, markdown, codes):
    _assert_code_spans_copied(html_subject, markdown, codes)


def _assert_code_spans_copied(subject, text: str, codes: list[str], kind: str = "CODE") -> None:
    """`text`'s code spans (`kind` placeholders) are `codes`, and the program's answer holds them and no other content."""
    tokens = subject.input_tokenizer.tokenize(text)
    placeholders = [t for t in tokens.tokens if t.startswith(f"{kind}_")]
    assert [tokens.mapping[t] for t in placeholders] == codes
    output = subject.output_tokenizer.tokenize_with(run_sample(subject, [text])[0].output, tokens.mapping)
    assert output.mapping == tokens.mapping
    assert [t for t in output.tokens if t.startswith(f"{kind}_")] == placeholders


@needs_pandoc
@pytest.mark.parametrize("markdown, lines", [
    ("```python\nfrom lib.bars import bar\n    x = f(a, b)\n```\n", ["from lib.bars import bar", "    x = f(a, b)"]),
    # Escaped in the HTML (&#39;, &quot;, &lt;), still one placeholder: written back escaped.
    ("``` {.python}\nenviron['DEBUG'] = 1\n```\n", ["environ['DEBUG'] = 1"]),
    ('```\nif a < b and c == "x": print(\'&\')\n```\n', ['if a < b and c == "x": print(\'&\')']),
    ("    $ pip install -e .\n\n      --flag\n", ["$ pip install -e .", "  --flag"]),  # indented code
    ("> ```\n> x = 1\n> ```\n", ["x = 1"]),  # inside a quote
])
def test_a_code_block_line_is_one_placeholder_copied_into_the_html(html_subject, markdown, lines):
    _assert_code_spans_copied(html_subject, markdown, lines, kind="CODELINE")


@needs_pandoc
@pytest.mark.parametrize("markdown, runs", [
    ("It ends here.  Then it goes on.\n", ["It ends here.  Then it goes on."]),  # pandoc writes one space
    ("- an  item\n  runs  on\n", ["an  item", "runs  on"]),
])
def test_a_text_run_over_several_spaces_is_one_placeholder_written_with_one(html_subject, markdown, runs):
    _assert_code_spans_copied(html_subject, markdown, runs, kind="TEXT")


@needs_pandoc
@pytest.mark.parametrize("html, codes", [
    ("<p>Call <code>create_test_database(path=None)</code> first.</p>\n", ["create_test_database(path=None)"]),
    ("<p>Pass <code>--no-binary</code>, <code>request['path']</code> or <code>__init__</code>.</p>\n",
     ["--no-binary", "request['path']", "__init__"]),
    ('<p>See <a href="https://a.io"><code>Request.send</code></a>.</p>\n', ["Request.send"]),
    ("<pre><code>pip install x</code></pre>\n", []),  # a code block is not a code span
    ("<p><code>a &lt; b</code></p>\n", []),  # escaped in HTML: not one placeholder
])
def test_pandoc_markdown_copies_a_code_span_as_one_placeholder(markdown_subject, html, codes):
    _assert_code_spans_copied(markdown_subject, html, codes)


# Words of other scripts (a Devanagari vowel sign is no `\w`), emoji sequences and the symbols of
# READMEs' prose: pandoc copies them, so they stay inside one text run rather than leaving the
# input uncovered as single characters no vocabulary holds.
_PROSE = "Fast ✨ and हिन्दी → done 👍🏽 ™ ± 3°"


@needs_pandoc
def test_a_text_run_holds_other_scripts_emoji_and_symbols_both_ways(html_subject, markdown_subject):
    _assert_code_spans_copied(html_subject, f"{_PROSE}\n", [_PROSE], kind="TEXT")
    _assert_code_spans_copied(markdown_subject, f"<p>{_PROSE}</p>\n", [_PROSE], kind="TEXT")


@needs_pandoc
@pytest.mark.parametrize("markdown, abbreviations", [
    ("Install it the usual ways (e.g. `pip install x`).\n", ["e.g."]),
    ("One piece, i.e. the other, vs. Mr. Smith\n", ["i.e.", "vs.", "Mr."]),
    ("Not before a comma (e.g., here), nor e.g.\nat the end of a line, nor after etc. or xe.g. x\n", []),
])
def test_an_abbreviation_before_a_space_is_a_placeholder_followed_by_a_no_break_space(
        html_subject, markdown, abbreviations):
    # pandoc's `smart` writes a no-break space after it: a text run that ended in "e.g." hid that.
    md, html = html_subject.input_tokenizer, html_subject.output_tokenizer
    tokens = md.tokenize(markdown)
    assert [tokens.mapping[t] for t in tokens.tokens if t.startswith("ABBR_")] == abbreviations
    output = html.tokenize_with(run_sample(html_subject, [markdown])[0].output, tokens.mapping)
    assert output.mapping == tokens.mapping
    after = [output.tokens[i + 1] for i, t in enumerate(output.tokens) if t.startswith("ABBR_")]
    assert after == ["\u00a0"] * len(abbreviations)
    assert "\u00a0" not in "".join(t for t in output.tokens if not t.startswith("ABBR_") and t != "\u00a0")


# Shapes of the blocks documentation writes, each outside the Markdown grammar once (docs/model-history.md).
@pytest.mark.parametrize("markdown", [
    '```shell\nalembic revision -m "Create notes table"\n```\n',  # a code line ending in a quote
    "```python\ns = \"\"\"\n```\n",  # a code line of symbols only
    "[![PyPI](https://img.shields.io/pypi/v/x)](https://pypi.org/project/x) [![CI](https://a.io/b.svg)](https://a.io)\n",
    '<a href="https://github.com/a/b" target="_blank">GitHub</a>\n',  # raw HTML with attributes
    "**[Read the documentation!](https://a.io/docs)**\n",
    "- [The _Black_ style](https://a.io/style) and [the `ls` command](https://a.io/ls)\n",
    "It's not much harder to add bars. Here's an example:\n",
    "* Support for Python 3.10. (#1687)\n",
    "- {doc}`introducing_black` and hook_name\n",  # a MyST role, an identifier outside code
    "(labels/why-no-backslashes)=\n",  # a MyST target
    "Run it (see `tox.ini`): (`bytes`) and (see [the list](https://a.io/p)).\n",  # spans in parentheses
    "HTTPX requires Python 3.8+. It is 10% faster than `httpx.stream()` was (it fits!).\n",
    "code which `TransformerManager` would transform, e.g. `%%writefile`.\n",
    "* Cleanup `Route`/`WebSocket` (e.g. `a.b`) and attrs -> v20, thanks to @hukkin!\n",
    "**The one caveat is that\nsome do not support it.** So _IPv4\nonly_ [OpenAPI\nspecification][openapi].\n",
    '<a href="https://github.com/a/b" target="_blank">GitHub</a> |\n<a href="https://a.io/" target="_blank">Docs</a>\n',
    '### "The trailing comma isn\'t being removed by Black!"\n',
])
def test_the_markdown_grammar_describes_blocks_as_docs_write_them(html_subject, markdown):
    from pytest_modelizer.data import grammar_membership

    assert grammar_membership(html_subject, [markdown]) == {markdown: True}


@needs_pandoc
@pytest.mark.parametrize("markdown", [
    'Have in mind that <a href="https://a.io/b" target="_blank">file-like</a> objects\n',
    '<img src="https://a.io/logo.png" width="200">\n',
])
def test_raw_html_tags_with_attributes_are_markup_copied_into_the_html(html_subject, markdown):
    # The tag and its attribute names are tokens both sides, not content hidden in a text run.
    tokens = html_subject.input_tokenizer.tokenize(markdown)
    assert {'<a href="', '<img src="'} & set(tokens.tokens) and {'" target="', '" width="'} & set(tokens.tokens)
    assert not any(value.startswith(("a href", "img src")) for value in tokens.mapping.values())
    output = html_subject.output_tokenizer.tokenize_with(run_sample(html_subject, [markdown])[0].output,
                                                         tokens.mapping)
    assert output.mapping == tokens.mapping


@needs_pandoc
def test_html_corpus_is_what_pandoc_writes(html_subject):
    """A spread sample of the HTML corpora, rendered again (extract_pandoc.py made them)."""
    rows = _html_rows()
    blocks = _markdown_blocks()
    sample = rows[:: len(rows) // 40]
    behaviours = run_sample(html_subject, [blocks[row["block"]] for row in sample])
    assert [b.output for b in behaviours] == [row["input"] for row in sample]


# Short enough for the model: 160 tokens, BOS and EOS included.
MAX_TOKENS = 158


@needs_pandoc
def test_fuzzed_markdown_is_short_and_its_content_is_copied(html_subject, fuzzed_markdown, markdown_behaviours):
    # The grammar's `&copy;` is decoded to ©, a word character to these models (`pandoc._WORD_CHAR`): beside a word
    # it makes the HTML's text run one the Markdown's placeholders cannot restore (2 % of these
    # inputs). Those are counted apart; the others' content must be copied (bar 1 %).
    plain = [(text, b) for text, b in zip(fuzzed_markdown, markdown_behaviours) if "&copy;" not in text]
    fresh = fresh_content(html_subject, [t for t, _ in plain], [b for _, b in plain], MAX_TOKENS)
    assert fresh <= len(plain) // 100
    every = fresh_content(html_subject, fuzzed_markdown, markdown_behaviours, MAX_TOKENS)  # every input fits the model
    assert every <= len(fuzzed_markdown) * 3 // 100
    assert sorted(len(t) for t in fuzzed_markdown)[len(fuzzed_markdown) // 2] < 100


@needs_pandoc
def test_fuzzed_html_is_short_and_its_content_is_copied(markdown_subject, fuzzed_html, html_behaviours):
    assert fresh_content(markdown_subject, fuzzed_html, html_behaviours, MAX_TOKENS) <= len(fuzzed_html) // 100
    assert all(b.ok for b in html_behaviours)


@needs_pandoc
def test_fuzzed_failures_are_rare_timeouts(fuzzed_markdown, markdown_behaviours):
    failures = [b for b in markdown_behaviours if not b.ok]
    assert 0.005 * len(fuzzed_markdown) <= len(failures) <= 0.08 * len(fuzzed_markdown), len(failures)
    assert {b.failure for b in failures} == {"timeout"}


MARKDOWN_FEATURES = {
    "headings": [f"<h{i}>" for i in range(1, 7)],
    "inlines": ["<em>", "<strong>", "<code>", '<a href="http', '" title="', "<img src=", 'class="uri"', 'class="email"'],
    "blocks": ["<blockquote>", "<ul>", "<ol", "<li><p>", "<pre><code>", '<pre class="', "<hr />", "<br />"],
    "pandoc extensions": ["<table>", "<dl>", '<div class="line-block">', "<figure>", "<del>", "<sup>", "<sub>",
                          'class="citation"', 'class="task-list"', 'class="footnote-ref"', '<div class="'],
    "smart": ["“", "’", "–", "—", "…"],
    "escapes and entities": ["&amp;", "&lt;", "©", "\u00a0"],
}


@needs_pandoc
def test_fuzzed_markdown_covers_pandoc_features(markdown_behaviours):
    html = [b.output for b in markdown_behaviours if b.ok]
    for feature, needles in MARKDOWN_FEATURES.items():
        for needle in needles:
            assert any(needle in h for h in html), f"no fuzzed input produces {needle!r} ({feature})"
    assert any(re.search(r"<li>.*\n<ul>", h) for h in html), "no nested list"


@needs_pandoc
def test_fuzzed_html_covers_the_markdown_writer(html_behaviours):
    markdown = [b.output for b in html_behaviours]
    for needle in ["# ", "*", "**", "`", "](http", "![", "> ", "- ", "1.  ", "    ", "::: ", "~~", "\\"]:
        assert any(needle in m for m in markdown), f"no fuzzed input makes pandoc write {needle!r}"
    assert any(re.search(r"<(?:https?://|[^\s<>@]+@)[^\s<>]*>", m) for m in markdown), "no autolink"


@pytest.mark.skipif(sys.platform == "win32", reason="the binary stand-in is POSIX only")
def test_binary_latency_benchmark_runs(tmp_path):
    """benchmarks/binary_latency.py on two blocks: every call kind answered, its JSON complete."""
    done = subprocess.run([sys.executable, "benchmarks/binary_latency.py", "--n", "2", "--cache-dir", str(tmp_path)],
                          cwd=CORPORA.parent.parent, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["n"] == 2 and report["part"] == "evaluation"
    assert sum(report["shim_exit_codes"].values()) == 2
    assert report["median"]["shim_ms"] > 0 and report["median"]["mock_ms"] > 0
