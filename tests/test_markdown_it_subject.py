"""The bundled markdown-it subject: its HTML, lossless tokenizers, a grammar that covers (shared checks: test_bundled_subjects.py)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from subject_checks import fresh_content, fuzz_sample, run_sample

CORPORA = Path(__file__).parent.parent / "subjects" / "corpora"

pytest.importorskip("markdown_it")


def _corpus(name: str) -> list[str]:
    with (CORPORA / name).open(encoding="utf-8") as f:
        return [json.loads(line)["input"] for line in f]


@pytest.fixture(scope="module")
def subject():
    from pytest_modelizer.subjects.markdown_it import subject

    return subject


@pytest.fixture(scope="module")
def fuzzed(subject) -> list[str]:
    return fuzz_sample(subject, 1000, coverage_every=10)


def test_render_and_version(subject):
    assert subject.program("# *hi*\n") == "<h1><em>hi</em></h1>\n"
    assert subject.resolved_program_version().startswith("markdown-it-py==")


@pytest.mark.parametrize("corpus", ["commonmark.jsonl", "docs.jsonl"])
def test_tokenizers_are_lossless_on_corpora(subject, corpus):
    entries = _corpus(corpus)
    assert len(entries) >= 300
    inp, out = subject.input_tokenizer, subject.output_tokenizer
    for text in entries:
        html = subject.program(text)
        tokens = inp.tokenize(text)
        assert inp.detokenize(tokens.tokens, tokens.mapping) == text
        for tok in (out.tokenize(html), out.tokenize_with(html, tokens.mapping)):
            assert out.detokenize(tok.tokens, tok.mapping) == html
        # Every tokenizer also reads the other side's language.
        for tokenizer, other in ((inp, html), (out, text)):
            tok = tokenizer.tokenize(other)
            assert tokenizer.detokenize(tok.tokens, tok.mapping) == other


@pytest.mark.parametrize("markdown, kind, values", [
    ("Call `create_test_database(path=None)` first.\n", "CODE", ["create_test_database(path=None)"]),
    ("Pass `--no-binary` and `*args`, or `[extra]`.\n", "CODE", ["--no-binary", "*args", "[extra]"]),
    ("`a` and `b`\n", "CODE", ["a", "b"]),  # the text between two spans stays text
    # Escaped in the HTML, still one placeholder; spaces kept: not one placeholder.
    ('`a < b` and `d["k"] & c` and `` x ` y ``\n', "CODE", ["a < b", 'd["k"] & c']),
    # A code block's line is one placeholder, the characters HTML escapes and all.
    ("```python\nfrom lib.bars import bar\n    x = f(a, b)\n```\n", "CODELINE",
     ["from lib.bars import bar", "    x = f(a, b)"]),
    ('```\n>>> a["b"] = 1\n```\n', "CODELINE", ['>>> a["b"] = 1']),
    ("    $ pip install -e .\n\n      --flag\n", "CODELINE", ["$ pip install -e .", "  --flag"]),  # indented code
    ("> ```\n> x = 1\n> ```\n", "CODELINE", ["x = 1"]),  # inside a quote
    ("- a\n\n  ```\n  x = 1\n  ```\n", "CODELINE", []),  # inside a list item the terminals lex the line
    # Words of other scripts (a Devanagari vowel sign is no `\w`), emoji sequences, prose symbols:
    # one text run, copied as it is (`bundled.WORD_CHAR`); © is no word character (from `&copy;`).
    ("Fast ✨ and हिन्दी → done 👍🏽 ™ ± 3°\n", "TEXT", ["Fast ✨ and हिन्दी → done 👍🏽 ™ ± 3°"]),
    ("Plain &copy; 2024 Acme\n", "TEXT", ["Plain", "2024 Acme"]),
    # A link's target that is no URL: one placeholder, and the text after the link is text again.
    ("See [the policy](labels/stability-policy), then [usage](#usage \"How\").\n", "LINK",
     ["labels/stability-policy", "#usage"]),
    ("![logo](img/logo_2.png)\n", "LINK", ["img/logo_2.png"]),
    ("[a](https://a.io/b) and [b](docs/a b.md)\n", "LINK", []),  # a URL is a URL; a space is no target
    ("[x](docs/caf%C3%A9.md)\n", "LINK", ["docs/caf%C3%A9.md"]),
    # A fence's language is one placeholder, whatever else its line holds.
    ('```python title="app/main.py" hl_lines="2"\nx = 1\n```\n', "LANG", ["python"]),
    ("~~~pycon\n>>> 1\n~~~\n", "LANG", ["pycon"]),
])
def test_copied_code_is_one_placeholder_the_html_reuses(subject, markdown, kind, values):
    inp, out = subject.input_tokenizer, subject.output_tokenizer
    tokens = inp.tokenize(markdown)
    placeholders = [t for t in tokens.tokens if t.startswith(f"{kind}_")]
    assert [tokens.mapping[t] for t in placeholders] == values
    html = out.tokenize_with(subject.program(markdown), tokens.mapping)
    assert html.mapping == tokens.mapping  # the HTML holds no content the Markdown lacks
    assert [t for t in html.tokens if t.startswith(f"{kind}_")] == placeholders


@pytest.mark.parametrize("markdown, markup", [
    # Inline HTML passes as written: a tag's name and its attributes' names are markup on both
    # sides (in the HTML `<a href="` is the program's own token), the values content.
    ('<a href="https://github.com/o/r" target="_blank">GitHub</a>\n', ["<a", "href=\"", "target=\"", "</a"]),
    ('<p align="center">\n<img src="https://a.io/l.png" width="60">\n</p>\n',
     ["<p", "align=\"", "<img", "src=\"", "width=\""]),
    ("press <kbd>Ctrl</kbd> now\n", ["<kbd", "</kbd"]),
])
def test_inline_html_tags_are_markup(subject, markdown, markup):
    tokens = subject.input_tokenizer.tokenize(markdown)
    assert [t for t in tokens.tokens if t in markup] == markup
    assert not any(" " in value for value in tokens.mapping.values())  # no "a href" text run
    html = subject.output_tokenizer.tokenize_with(subject.program(markdown), tokens.mapping)
    assert html.mapping == tokens.mapping


def test_autolinks_and_comparisons_are_no_tags(subject):
    tokens = subject.input_tokenizer.tokenize("see <https://a.io/x> or <me@a.io>, if a < b and c > d\n").tokens
    assert not any(t.startswith("<") and t[1:2].isalpha() for t in tokens)


def test_fuzzed_inputs_are_single_short_blocks(subject, fuzzed):
    for text in fuzzed[:200]:
        html = subject.program(text)
        assert text.endswith("\n") and html
    assert sorted(len(t) for t in fuzzed)[len(fuzzed) // 2] < 200


def test_fuzzed_output_content_comes_from_input(subject, fuzzed):
    behaviours = run_sample(subject, fuzzed)
    assert all(b.ok for b in behaviours)
    assert fresh_content(subject, fuzzed, behaviours) <= len(fuzzed) // 100


FEATURES = {
    "atx/setext headings": [f"<h{i}>" for i in range(1, 7)],
    "paragraph": ["<p>"],
    "emphasis": ["<em>"],
    "strong": ["<strong>"],
    "inline code": ["<p><code>", " <code>"],
    "link": ['<a href="http'],
    "link to a path or an anchor": ['<a href="#', '.md">'],
    "link title": ['" title="'],
    "image": ["<img src="],
    "autolink": ['<a href="mailto:'],
    "fenced code with info": ['<pre><code class="language-'],
    "code block": ["<pre><code>"],
    "block quote": ["<blockquote>"],
    "nested block quote": ["<blockquote>\n<blockquote>"],
    "ordered list": ["<ol>", '<ol start="'],
    "bullet list": ["<ul>"],
    "nested list": ["<li>"],
    "thematic break": ["<hr />"],
    "hard break": ["<br />"],
    "entity or escape": ["&amp;", "&lt;", "&gt;", "&quot;", "\u00a9", "#", "*"],
}


def test_fuzzed_inputs_cover_markdown_features(subject, fuzzed):
    html = [subject.program(text) for text in fuzzed]
    for feature, needles in FEATURES.items():
        for needle in needles:
            assert any(needle in h for h in html), f"no fuzzed input produces {needle!r} ({feature})"
    assert any(re.search(r"<li>.*\n<ul>", h) for h in html), "no nested list"
    assert any("\\" in t and "<br />" in subject.program(t) for t in fuzzed), "no backslash hard break"
    assert any(re.search(r"&[a-z#0-9]+;", t) for t in fuzzed), "no entity in the input"
    assert any(re.search(r"\\[*_#`]", t) for t in fuzzed), "no backslash escape in the input"
    assert any(re.search(r'^```\w+ \w+="', t, re.M) for t in fuzzed), "no fence line with more than the language"
    # Constructs of real documentation that single-line spans between words leave out.
    assert any(re.search(r"<li>[^<\n]+\n[^<\n]+</li>", h) for h in html), "no list item running over lines"
    tags = [(t, m.group(0)) for t in fuzzed for m in [re.search(r'<[a-z]+ [a-z]+="http[^>]*>', t)] if m]
    assert any(tag in subject.program(t) for t, tag in tags), "no inline HTML passed through as written"
    assert any(re.search(r"</(?:code|em|strong|a)> - ", h) for h in html), \
        "no span before a dash (\"`key` - what it is\")"


def test_fuzzed_inputs_hold_delimiters_without_a_partner(subject, fuzzed):
    # A backtick or star left literal in the HTML: the model must see that not every one opens a span.
    html = [(t, subject.program(t)) for t in fuzzed]
    assert any("`" in h and "<code>" not in h for _, h in html), "no literal backtick"
    assert any(re.search(r"<p>[^<]*\*", h) and "<em>" not in h for _, h in html), "no literal star"
    assert subject.program("`foo bar\n") == "<p>`foo bar</p>\n"


def test_an_inverse_query_reads_a_code_block_line_as_one_placeholder(subject):
    from pytest_modelizer import Behaviour
    from pytest_modelizer.data import Pair, encode_pair
    from pytest_modelizer.spec import ModelSpec

    markdown = '```python\nx = f(a, "b")\n```\n'
    pair = Pair(markdown, Behaviour.success(subject.program(markdown)))
    inverse = ModelSpec(subject, "inverse")
    example = encode_pair(inverse, pair)
    assert example.mapping["CODELINE_1"] == 'x = f(a, "b")'  # the HTML's &quot; read plain
    assert "CODELINE_1" in example.src and "CODELINE_1" in example.tgt  # copied, not spelled word by word
    # As models trained before read it (their meta has no QUERY_REGIONS): no region in the query.
    before = encode_pair(inverse, pair, query_regions=False)
    assert not any(t.startswith("CODELINE_") for t in before.src + before.tgt) and len(before.src) > len(example.src)


def test_a_model_reads_its_queries_as_it_was_trained_to(subject):
    from pytest_modelizer.aspect import QUERY_REGIONS
    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.spec import ModelSpec
    from pytest_modelizer.store import load_artifact

    shipped = next((Path(__file__).parent.parent / "subjects" / "models" / "markdown-it").glob("inverse-*.npz"))
    artifact = load_artifact(shipped)
    html = "<pre><code>x = 1\n</code></pre>\n"
    assert artifact.meta[QUERY_REGIONS] is True
    assert MockProgram(ModelSpec(subject, "inverse"), artifact).encode(html)[0][:2] == ("<pre><code>", "CODELINE_1")
    del artifact.meta[QUERY_REGIONS]  # as a model trained before it was recorded
    trained_before = MockProgram(ModelSpec(subject, "inverse"), artifact)
    assert not trained_before.query_regions
    assert not any(t.startswith("CODELINE_") for t in trained_before.encode(html)[0])
