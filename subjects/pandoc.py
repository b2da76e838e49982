"""The bundled pandoc subjects: `pandoc-html` (Markdown -> HTML) and `pandoc-markdown` (HTML -> Markdown).

The paper's first subject pair, with the pandoc 3.9 binary that `pypandoc-binary==1.17` bundles
(`pip install 'pytest-modelizer[pandoc]'`). Each input is one top-level block, rendered on its
own. Both subjects are commands (input on stdin), so the runner's hard timeout kills pandoc's
whole process group; pypandoc itself is never imported (its `convert_text` has no timeout).

- `pandoc-html` runs `pandoc -f markdown-auto_identifiers -t html --wrap=preserve
  --syntax-highlighting=none`. Without `auto_identifiers` headings get no generated `id=`
  (the paper stripped them afterwards). `--wrap=preserve` keeps the source's line breaks
  (`--wrap=none` would join the lines of a paragraph, so two text runs of the input would
  become one run of the output that no placeholder can restore). Without highlighting a fenced
  block is `<pre class="python"><code>`, not one `<span id="cb1-1">` per line.
- `pandoc-markdown` runs `pandoc -f html -t markdown --wrap=preserve` on HTML fragments of
  the kind pandoc-html produces. Tables are left out of its grammar: pandoc writes them as
  simple tables whose dash rows are as wide as the cell contents, which placeholders hide.

Failures: pandoc's `markdown` reader takes time exponential in the number of unmatched `[`.
The subject timeout is **1 s**, far above a normal call (BENCHMARKS.md: pandoc's median call),
so a busy machine does not time out by accident, and such inputs fail with behaviour kind
`timeout`. The Markdown grammar reaches them through one rare alternative (20 or 24 brackets in
a row, or 18 or 20 each before a word) and keeps every other input to a few unmatched
brackets, so that timeouts are a few percent of the inputs and the only failure
(tests/test_pandoc_subject.py bounds their share). The HTML reader (pandoc-markdown) does not
fail on the inputs of the HTML grammar.

Text runs, URLs, e-mail addresses, relative link targets and citation keys are content
(`TEXT_n`, `URL_n`, `EMAIL_n`, `PATH_n`, `KEY_n`) spelled the same on both sides; a code
span's text is one more (`CODE_n`), as in the markdown-it subject, and so is each run of a code
block's line between the characters HTML escapes (`CODELINE_n`; for pandoc-html a whole line,
written escaped in its HTML); for pandoc-html so is an abbreviation before a space (`ABBR_n`:
"e.g.", after which pandoc writes a no-break space), and a text run may hold several spaces
between words (its HTML has one).
pandoc-html trains on the sample part of the package-docs corpus as `samples`, pandoc-markdown
on the sample part of pandoc's HTML of it (the CommonMark spec's HTML is evaluation-only, as
the spec is for pandoc-html). What pandoc
rewrites is kept out of text runs so that it stays vocabulary: `'` (curly apostrophes and
quotes, `smart`), `--`, `---`, `...` (dashes and the ellipsis), the space after an abbreviation
(a no-break space), `@` (citations), and HTML's escaped characters.

Both tokenizers are lossless on every corpus entry, and on fuzzed inputs every output's content
comes from the input (tests/test_pandoc_subject.py); how many real-world entries the models can
represent is the coverage column of BENCHMARKS.md's fidelity table.

Importing this module imports neither pypandoc nor torch nor fuzzingbook; it finds the pandoc
binary with `importlib.util.find_spec`, which does not import the package.
"""
from __future__ import annotations

import importlib.util
import re
import subprocess
from functools import lru_cache
from pathlib import Path

from pytest_modelizer import CorpusSamples, Escaped, LarkTokenizer, Subject, TrainingConfig, package_version
from pytest_modelizer.tokenizer import HTML_ESCAPES
from pytest_modelizer.grammar import grammar_from_templates, option
from pytest_modelizer.subjects.bundled import (CORPORA, FENCE, MARKDOWN_TRAINING, WORD_CHAR,
                                               bundled_subject, html_code_blocks, markdown_code_blocks, with_rotary)
from pytest_modelizer.subject import failure_training_for

INSTALL_HINT = "pip install 'pytest-modelizer[pandoc]'"
# The argv[0] used when pypandoc-binary is missing: starting it fails with an OSError whose
# message (behaviour kind "cannot-start") names this text, so the failure tells the fix. Its
# file name is `pandoc`, like the real binary's, so the model key's program part stays the same.
MISSING_PANDOC = f"pandoc-not-installed ({INSTALL_HINT})/pandoc"
TIMEOUT = 1.0


def find_pandoc() -> str | None:
    """Path of the pandoc binary inside pypandoc-binary's package folder, or None.

    `find_spec` locates the package without running its `__init__` (pypandoc's import looks
    for pandoc and logs), and the plain `pypandoc` distribution, which ships no binary, yields
    None rather than a path that does not exist.
    """
    try:
        spec = importlib.util.find_spec("pypandoc")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for name in ("pandoc", "pandoc.exe"):
            path = Path(folder) / "files" / name
            if path.is_file():
                return str(path)
    return None


PANDOC = find_pandoc()
HTML_ARGS = ("-f", "markdown-auto_identifiers", "-t", "html", "--wrap=preserve", "--syntax-highlighting=none")
MARKDOWN_ARGS = ("-f", "html", "-t", "markdown", "--wrap=preserve")


# The version the shipped models were trained on: the wheel's and the binary's own first line
# (a rebuilt wheel could bundle another pandoc).
PANDOC_VERSION = "pypandoc-binary==1.17, pandoc 3.9"


@lru_cache(maxsize=None)
def pandoc_version() -> str | None:
    """The installed `pypandoc-binary==X, pandoc Y` (None without pandoc); cached: each probe starts pandoc."""
    wheel = package_version("pypandoc-binary")() or "pypandoc-binary (not installed)"
    if PANDOC is None:
        return None
    try:
        done = subprocess.run([PANDOC, "--version"], capture_output=True, text=True, timeout=30)
        first = done.stdout.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError) as exc:
        first = f"pandoc (unavailable: {exc.__class__.__name__})"
    return f"{wheel}, {first}"


# --------------------------------------------------------------------------------------------
# Grammars (fuzzingbook format), written as templates (pytest_modelizer.grammar): `⟨name⟩` is
# the nonterminal `<name>`, every other character is literal, and "<", ">", "(", ")", "*", "+",
# "?" become their own one-character symbols, so that fuzzingbook never mistakes HTML tags for
# nonterminals nor parentheses and "*", "+", "?" for EBNF groups and repetitions.
# --------------------------------------------------------------------------------------------

WORDS = ["foo", "bar", "baz", "qux", "alpha", "beta", "gamma", "delta", "one", "two", "x1", "y2"]
INFOS = ["python", "bash", "json", "text"]
CODESYMS = [
    "<", ">", "&", "*", "_", '"', "#", "[", "]", "=", "(", ")", "{", "}", ":", ".", ",", "/", "-",
    "'", "+", "%", "$", "|", "!", "~", "@", ";", "?", "--", "^",
]
# Code as documentation writes it: identifiers, options, calls, settings, paths.
CODEWORDS = [
    "⟨word⟩_⟨word⟩", "--⟨word⟩", "--⟨word⟩-⟨word⟩", "⟨word⟩()", "⟨word⟩(⟨word⟩)", "⟨word⟩.⟨word⟩",
    "⟨word⟩.⟨word⟩()", "⟨word⟩=⟨word⟩", "[⟨word⟩]", "__⟨word⟩__", "*⟨word⟩", "⟨word⟩/⟨word⟩.⟨word⟩",
    "$ ⟨word⟩ ⟨word⟩", "@⟨word⟩",
]
URLS = [option("⟨scheme⟩://⟨host⟩", 0.3), option("⟨scheme⟩://⟨host⟩/⟨word⟩", 0.45), "⟨scheme⟩://⟨host⟩/⟨word⟩/⟨word⟩"]
COMMON = {
    "text": [option("⟨word⟩", 0.4), option("⟨word⟩ ⟨word⟩", 0.35), "⟨word⟩ ⟨word⟩ ⟨word⟩"],
    "word": WORDS,
    "info": INFOS,
    "url": URLS,
    "path": ["⟨word⟩.md", "#⟨word⟩", "../⟨word⟩/⟨word⟩.html", "/⟨word⟩", "⟨word⟩/⟨word⟩"],
    "scheme": ["http", "https"],
    "host": ["example.com", "foo.org", "test.net", "a.io"],
}

# ---- pandoc Markdown, one top-level block (the input of pandoc-html)
MARKDOWN_RULES: dict[str, list] = {
    "start": [
        option("⟨paragraph⟩", 0.25),
        option("⟨atx⟩", 0.1),
        option("⟨setext⟩", 0.04),
        option("⟨fenced⟩", 0.07),
        option("⟨indented⟩", 0.03),
        option("⟨quote⟩", 0.1),
        option("⟨ulist⟩", 0.1),
        option("⟨olist⟩", 0.09),
        option("⟨hr⟩", 0.03),
        option("⟨table⟩", 0.04),
        option("⟨deflist⟩", 0.03),
        option("⟨lineblock⟩", 0.02),
        option("⟨figure⟩", 0.03),
        option("⟨div⟩", 0.02),
        option("⟨slow⟩\n", 0.012),
        "⟨line⟩ ⟨slow⟩\n",
        "⟨line⟩^[⟨text⟩]\n",  # an inline note: a footnote section follows the paragraph
    ],
    # Unmatched "[" make pandoc's markdown reader exponential: the one way to a timeout. These
    # are enough to exceed the timeout many times over, on a much faster machine too; every other
    # rule keeps to a few unmatched brackets, far from any that take a noticeable time.
    "slow": [
        "[[[[[[[[[[[[[[[[[[[[⟨text⟩",
        "[[[[[[[[[[[[[[[[[[[[[[[[⟨word⟩",
        " ".join(["[⟨word⟩"] * 18),
        " ".join(["[⟨word⟩"] * 20),
    ],
    # ---- leaf blocks
    "paragraph": [
        option("⟨line⟩\n", 0.43),
        option("⟨line⟩\n⟨line⟩\n", 0.22),
        option("⟨line⟩\n⟨line⟩\n⟨line⟩\n", 0.1),
        option("⟨line⟩\n⟨line⟩\n⟨line⟩\n⟨lines⟩", 0.02),
        option("⟨line⟩⟨hardbreak⟩⟨line⟩\n", 0.13),
        "⟨text⟩[^1]\n",  # a note reference without its note stays text
        "[⟨text⟩] ⟨text⟩\n",  # a reference link without a definition stays text
        # Indented lines continue a paragraph (mkdocs' admonitions are such paragraphs here).
        "⟨line⟩\n    ⟨line⟩\n",
        "!!! ⟨word⟩\n    ⟨line⟩\n",
        "!!! ⟨word⟩\n    ⟨line⟩\n    ⟨line⟩\n",
        "⟨text⟩=\n",  # a MyST target, `(name)=`: the parentheses are part of the text run
    ],
    # Samples' paragraphs, lists and lines run as long as their authors make them: the recursive
    # rules let them parse, so that their fragments and their mined probabilities carry their lengths.
    "lines": [option("⟨line⟩\n", 0.6), "⟨line⟩\n⟨lines⟩"],
    "hardbreak": ["  \n", "\\\n"],
    "atx": [
        option("⟨hashes⟩ ⟨line⟩\n", 0.8),
        option("⟨hashes⟩ ⟨line⟩ ⟨closing⟩\n", 0.1),
        "⟨hashes⟩ ⟨text⟩ {#⟨word⟩}\n",
        "⟨hashes⟩ ⟨text⟩ {.⟨word⟩}\n",
    ],
    "hashes": [option("#", 0.3), option("##", 0.25), option("###", 0.2), "####", "#####", "######"],
    "closing": ["#", "##", "###"],
    "setext": [option("⟨line⟩\n⟨underline⟩\n", 0.8), "⟨line⟩\n⟨line⟩\n⟨underline⟩\n"],
    "underline": ["===", "=====", "---", "-----"],
    "fenced": [
        option("```\n⟨codelines⟩```\n", 0.35),
        option("```⟨info⟩\n⟨codelines⟩```\n", 0.3),
        "``` ⟨info⟩\n⟨codelines⟩```\n",
        "```{.⟨info⟩}\n⟨codelines⟩```\n",
        "~~~\n⟨codelines⟩~~~\n",
        "~~~ ⟨info⟩\n⟨codelines⟩~~~\n",
    ],
    "codelines": [option("⟨codeline⟩", 0.55), "⟨codeline⟩⟨codelines⟩"],
    "codeline": [option("⟨codetext⟩\n", 0.75), "    ⟨codetext⟩\n", "  ⟨codetext⟩\n", "\n"],
    "indented": [
        option("    ⟨codetext⟩\n", 0.5),
        "    ⟨codetext⟩\n    ⟨codetext⟩\n",
        "    ⟨codetext⟩\n      ⟨codetext⟩\n",
    ],
    # Code lines also end in a symbol (`run -m "msg"`, `print('x')`) or are only symbols (`"""`).
    "codetext": [
        option("⟨text⟩", 0.6), "⟨text⟩ ⟨codesym⟩ ⟨text⟩", "⟨codesym⟩⟨text⟩",
        "⟨text⟩⟨codesym⟩⟨codetext⟩", "⟨codesym⟩⟨codetext⟩", "⟨text⟩⟨codesym⟩", "⟨codesym⟩",
    ],
    "hr": ["***\n", "---\n", "___\n", "* * *\n", "- - -\n", "----------\n"],
    "table": [
        option("| ⟨cell⟩ | ⟨cell⟩ |\n|⟨rule⟩|⟨rule⟩|\n| ⟨cell⟩ | ⟨cell⟩ |\n", 0.5),
        "⟨cell⟩ | ⟨cell⟩\n⟨rule⟩|⟨rule⟩\n⟨cell⟩ | ⟨cell⟩\n",
        "| ⟨cell⟩ | ⟨cell⟩ | ⟨cell⟩ |\n|⟨rule⟩|⟨rule⟩|⟨rule⟩|\n| ⟨cell⟩ | ⟨cell⟩ | ⟨cell⟩ |\n",
        "| ⟨cell⟩ | ⟨cell⟩ |\n|⟨rule⟩|⟨rule⟩|\n| ⟨cell⟩ | ⟨cell⟩ |\n| ⟨cell⟩ | ⟨cell⟩ |\n",
    ],
    "cell": [option("⟨text⟩", 0.7), "⟨span⟩"],
    "rule": [option("---", 0.6), ":--", "--:", ":-:"],
    "deflist": [option("⟨text⟩\n:   ⟨line⟩\n", 0.6), "⟨text⟩\n: ⟨line⟩\n", "⟨text⟩\n:   ⟨line⟩\n:   ⟨line⟩\n"],
    "lineblock": ["| ⟨line⟩\n| ⟨line⟩\n", "| ⟨line⟩\n|    ⟨line⟩\n"],
    "figure": [option("![⟨text⟩](⟨url⟩)\n", 0.7), '![⟨text⟩](⟨url⟩ "⟨text⟩")\n'],
    "div": ["::: ⟨word⟩\n⟨line⟩\n:::\n", "::: {.⟨word⟩}\n⟨line⟩\n:::\n"],
    # ---- container blocks
    "quote": ["> ⟨qbody⟩"],
    "qbody": [
        option("⟨line⟩\n", 0.35),
        "⟨line⟩\n> ⟨line⟩\n",
        "⟨line⟩\n⟨line⟩\n",  # lazy continuation
        "⟨line⟩\n>\n> ⟨line⟩\n",
        "⟨hashes⟩ ⟨line⟩\n",
        "> ⟨line⟩\n",
        "- ⟨line⟩\n> - ⟨line⟩\n",
        "1. ⟨line⟩\n",
        "```\n> ⟨codetext⟩\n> ```\n",
    ],
    "ulist": [option("⟨dash_items⟩", 0.55), option("⟨star_items⟩", 0.2), option("⟨plus_items⟩", 0.1), "⟨task_items⟩"],
    "dash_items": [
        option("- ⟨item⟩", 0.35),
        option("- ⟨item⟩- ⟨item⟩", 0.3),
        "- ⟨item⟩- ⟨item⟩- ⟨item⟩",
        "- ⟨item⟩\n- ⟨item⟩",  # loose
        "- ⟨item⟩- ⟨item⟩- ⟨item⟩⟨dash_items⟩",
    ],
    "star_items": [option("* ⟨item⟩", 0.4), "* ⟨item⟩* ⟨item⟩", "* ⟨item⟩\n* ⟨item⟩", "* ⟨item⟩⟨star_items⟩"],
    "plus_items": [option("+ ⟨item⟩", 0.5), "+ ⟨item⟩+ ⟨item⟩"],
    "task_items": ["- [ ] ⟨line⟩\n- [x] ⟨line⟩\n", "- [x] ⟨line⟩\n"],
    "item": [
        option("⟨line⟩\n", 0.6),
        "⟨line⟩\n  - ⟨line⟩\n",
        "⟨line⟩\n  - ⟨line⟩\n  - ⟨line⟩\n",
        "⟨line⟩\n    - ⟨line⟩\n",
        "⟨line⟩\n\n  ⟨line⟩\n",  # a second paragraph
        # An item's text runs on over lines indented to it (or not: lazy continuation).
        option("⟨line⟩\n  ⟨line⟩\n", 0.08),
        "⟨line⟩\n  ⟨line⟩\n  ⟨line⟩\n",
        "⟨line⟩\n⟨line⟩\n",
        "⟨hashes⟩ ⟨line⟩\n",
        "> ⟨line⟩\n",
    ],
    "olist": [option("⟨dot_items⟩", 0.6), option("⟨paren_items⟩", 0.15), "⟨letter_items⟩", "⟨hash_items⟩"],
    "dot_items": [
        option("⟨onum⟩. ⟨oitem⟩", 0.35),
        option("⟨onum⟩. ⟨oitem⟩⟨onum⟩. ⟨oitem⟩", 0.3),
        "⟨onum⟩. ⟨oitem⟩⟨onum⟩. ⟨oitem⟩⟨onum⟩. ⟨oitem⟩",
        "⟨onum⟩. ⟨oitem⟩\n⟨onum⟩. ⟨oitem⟩",
        "⟨onum⟩. ⟨oitem⟩⟨onum⟩. ⟨oitem⟩⟨onum⟩. ⟨oitem⟩⟨dot_items⟩",
    ],
    "paren_items": [option("⟨onum⟩) ⟨oitem⟩", 0.5), "⟨onum⟩) ⟨oitem⟩⟨onum⟩) ⟨oitem⟩", "(⟨onum⟩) ⟨oitem⟩"],
    "letter_items": ["a. ⟨oitem⟩b. ⟨oitem⟩", "i. ⟨oitem⟩ii. ⟨oitem⟩", "A.  ⟨oitem⟩"],
    "hash_items": ["#. ⟨oitem⟩#. ⟨oitem⟩"],
    "onum": [option("1", 0.6), "2", "3", "5", "9"],
    "oitem": [option("⟨line⟩\n", 0.7), "⟨line⟩\n    - ⟨line⟩\n", "⟨line⟩\n\n    ⟨line⟩\n", "⟨line⟩\n   ⟨line⟩\n"],
    # ---- inlines
    "line": [
        option("⟨text⟩", 0.3),
        option("⟨text⟩ ⟨span⟩", 0.2),
        option("⟨span⟩ ⟨text⟩", 0.12),
        option("⟨text⟩ ⟨span⟩ ⟨text⟩", 0.2),
        "⟨span⟩",
        "⟨text⟩ ⟨span⟩ ⟨text⟩ ⟨span⟩",
        "⟨text⟩ ⟨span⟩⟨punct⟩",
        "⟨text⟩ ⟨span⟩⟨punct⟩ ⟨text⟩",
        "⟨text⟩ ⟨span⟩ ⟨line⟩",
        "⟨text⟩ ⟨span⟩⟨punct⟩ ⟨line⟩",
        # As the HTML grammar's lines: any run of text and spans, a span first or before punctuation.
        "⟨span⟩ ⟨line⟩",
        "⟨span⟩⟨punct⟩ ⟨line⟩",
        "⟨span⟩⟨punct⟩",
        "⟨span⟩ - ⟨line⟩",
        "⟨text⟩⟨punct⟩ ⟨line⟩",
        "⟨text⟩⟨punct⟩",
        "⟨text⟩⟨infix⟩⟨line⟩",
        "⟨span⟩⟨infix⟩⟨line⟩",
        # What a text run leaves at its end: "3.8+", "10%", "stream()".
        "⟨text⟩⟨trail⟩",
        "⟨text⟩⟨trail⟩ ⟨line⟩",
        "⟨span⟩⟨punct⟩ - ⟨line⟩",
        # Raw links in a row, "<a ...>GitHub</a> |" and the next on the following line.
        "⟨span⟩ |",
        "⟨span⟩ | ⟨line⟩",
    ],
    # A closing parenthesis after a span comes with the punctuation that follows it: "(see `x`):".
    "punct": [".", ",", ":", ";", "!", "?", ")", ").", "),", "):", ".)", "!)", "!).", "!),"],
    "trail": ["%", "+", "()", "%⟨punct⟩", "+⟨punct⟩", "()⟨punct⟩", "!)", "!).", "!),"],
    "infix": [" / ", " + ", " -> ", " => ", " & ", " = "],
    "span": [
        option("⟨emph⟩", 0.12),
        option("⟨strong⟩", 0.1),
        option("⟨code⟩", 0.1),
        option("⟨link⟩", 0.12),
        option("⟨image⟩", 0.05),
        option("⟨autolink⟩", 0.06),
        option("⟨escape⟩", 0.06),
        option("⟨entity⟩", 0.05),
        option("⟨smart⟩", 0.1),
        option("⟨extension⟩", 0.1),
        option("⟨raw⟩", 0.04),
        "(⟨text⟩)",
        "#⟨word⟩",
        # Changelogs' "(#123)": the closing parenthesis is part of the number's text run.
        "(#⟨word⟩",
        "⟨word⟩_⟨word⟩",  # an identifier outside a code span: pandoc keeps intraword underscores
        "{⟨word⟩}⟨code⟩",  # a MyST role (Sphinx docs): {doc}`usage`
        # A span in parentheses: "(`bytes`)", "(see [list](url))" (where text comes first, its run
        # holds the "("), or the span first and text after it (whose run holds the ")").
        "(⟨span⟩)",
        "(⟨span⟩ ⟨line⟩",
        "⟨code⟩/⟨code⟩",
        "⟨code⟩/⟨code⟩/⟨code⟩",
        "⟨code⟩'s",  # `IPython`'s
        ".⟨word⟩",  # a dotfile: .gitignore
    ],
    "emph": [option("*⟨text⟩*", 0.5), "_⟨text⟩_", "*⟨text⟩ **⟨text⟩** ⟨text⟩*", "*⟨inner⟩*", "_⟨inner⟩_",
             "*⟨text⟩\n⟨text⟩*", "_⟨text⟩\n⟨text⟩_"],
    "strong": [option("**⟨text⟩**", 0.5), "__⟨text⟩__", "**⟨inner⟩**", "__⟨inner⟩__", "**⟨text⟩\n⟨text⟩**"],
    # What emphasis and a link's text hold besides a run of words (never that run alone, which the
    # alternatives above write: fewer derivations per text keep parsing the samples cheap).
    "inner": [
        "⟨text⟩⟨punct⟩", "⟨text⟩'⟨text⟩", "⟨text⟩'⟨text⟩⟨punct⟩", "⟨text⟩ ⟨code⟩ ⟨text⟩", "⟨text⟩ ⟨code⟩",
        "⟨code⟩ ⟨text⟩", "⟨text⟩ ⟨emph⟩ ⟨text⟩", "⟨link⟩", "⟨text⟩ ...", "⟨text⟩...", "⟨text⟩ ⟨span⟩ ⟨line⟩",
    ],
    # Code as documentation writes it: identifiers, options, calls, settings, paths.
    "code": [
        option("`⟨text⟩`", 0.3),
        option("`⟨codeword⟩`", 0.3),
        "`⟨text⟩ ⟨codesym⟩ ⟨text⟩`",
        "`` ⟨text⟩ ` ⟨text⟩ ``",
        "`⟨codeword⟩ ⟨codesym⟩ ⟨codeword⟩`",
    ],
    "codeword": CODEWORDS,
    "link": [
        option("[⟨text⟩](⟨url⟩)", 0.45),
        option('[⟨text⟩](⟨url⟩ "⟨text⟩")', 0.25),
        "[⟨code⟩](⟨url⟩)",
        "[⟨code⟩](⟨path⟩)",
        "[⟨emph⟩](⟨url⟩)",
        "[⟨text⟩\n⟨text⟩](⟨url⟩)",  # a link's text across a line break
        "[⟨text⟩](⟨url⟩){.⟨word⟩}",
        "[⟨text⟩](⟨path⟩)",
        "[⟨linktext⟩](⟨url⟩)",
        "[⟨linktext⟩](⟨path⟩)",
        "[⟨url⟩](⟨url⟩)",
        option("[⟨image⟩](⟨url⟩)", 0.04),  # a README's badge
        # Changelogs link issues and people: "[#270](...)", "[@name](...)".
        "[#⟨word⟩](⟨url⟩)",
        "[@⟨word⟩](⟨url⟩)",
    ],
    "linktext": [
        "⟨text⟩⟨punct⟩", "⟨text⟩'⟨text⟩", "⟨word⟩_⟨word⟩", "⟨text⟩ ⟨code⟩", "⟨text⟩ ⟨code⟩ ⟨text⟩", "⟨text⟩ ⟨emph⟩ ⟨text⟩",
    ],
    "image": [option("![⟨text⟩](⟨url⟩)", 0.6), '![⟨text⟩](⟨url⟩ "⟨text⟩")', "![⟨text⟩](⟨path⟩)"],
    "autolink": [option("<⟨url⟩>", 0.7), "<⟨email⟩>"],
    "escape": ["\\*", "\\_", "\\#", "\\[", "\\`", "\\<", "\\&", "\\\\", "\\>", "\\$", "\\^", "\\~", "\\|", "\\@"],
    "entity": ["&amp;", "&lt;", "&gt;", "&quot;", "&copy;", "&nbsp;", "&#35;", "&#42;", "&#x26;", "&"],
    # The `smart` extension: curly quotes, apostrophes, dashes, the ellipsis, and the no-break
    # space after an abbreviation (not before a comma or a line break, nor after "etc.").
    "smart": [
        option('"⟨text⟩"', 0.25),
        option("'⟨text⟩'", 0.1),
        '"⟨inner⟩"',  # quotes around more than words: "Allow `x` to ...", "Hello World!"
        option("⟨word⟩'s", 0.1),
        # An apostrophe inside a run of words ("don't", "Black's"): the words on either side are text.
        option("⟨text⟩'⟨text⟩", 0.1),
        "⟨text⟩'⟨text⟩'⟨text⟩",
        "⟨emph⟩'⟨text⟩",
        # Typographic characters written as such: curly quotes, the em dash.
        "“⟨text⟩”",
        "⟨text⟩ — ⟨text⟩",
        option("⟨abbreviated⟩", 0.15),
        "⟨word⟩ -- ⟨word⟩",
        "⟨word⟩---⟨word⟩",
        "⟨word⟩...",
        "⟨word⟩ - ⟨word⟩",
    ],
    "abbreviated": [
        option("⟨abbr⟩ ⟨text⟩", 0.3), option("(⟨abbr⟩ ⟨text⟩)", 0.2), "(⟨abbr⟩ ⟨text⟩", "(⟨abbr⟩ ⟨code⟩)", "⟨abbr⟩ ⟨link⟩", "⟨abbr⟩ ⟨code⟩",
        "⟨abbr⟩ ⟨abbr⟩ ⟨word⟩", "⟨abbr⟩, ⟨text⟩", "⟨abbr⟩\n⟨text⟩", "⟨word⟩ etc. ⟨word⟩",
    ],
    "abbr": [option("e.g.", 0.35), option("i.e.", 0.2), "vs.", "cf.", "Inc.", "Dr.", "Mr.", "No.", "al.", "pp."],
    # pandoc's own inline syntax beyond CommonMark.
    "extension": [
        option("~~⟨text⟩~~", 0.2),
        option("⟨word⟩^⟨word⟩^", 0.15),
        option("⟨word⟩~⟨word⟩~", 0.15),
        option("[⟨text⟩]{.⟨word⟩}", 0.15),
        "@⟨word⟩",
        "[@⟨word⟩]",
        "[⟨text⟩]",
        "[⟨text⟩][⟨word⟩]",  # a reference link whose definition is in another block stays text
        "[⟨text⟩\n⟨text⟩][⟨word⟩]",
        "[⟨code⟩][⟨word⟩]",
        "[![⟨text⟩][⟨word⟩]][⟨word⟩]",
    ],
    # Raw HTML, which pandoc copies: tags, and tags with attributes (a link that opens a new tab).
    "raw": [
        option("<span>⟨text⟩</span>", 0.15), option("<kbd>⟨word⟩</kbd>", 0.15), option("<b>⟨text⟩</b>", 0.15),
        option("<sup>⟨word⟩</sup>", 0.1), '<a href="⟨url⟩">⟨text⟩</a>', '<a href="⟨url⟩" target="_⟨word⟩">⟨text⟩</a>',
        '<a href="⟨url⟩" target="_⟨word⟩">⟨code⟩</a>', '<img src="⟨url⟩" alt="⟨text⟩">', '<img src="⟨url⟩" width="⟨word⟩">', '<span class="⟨word⟩">⟨text⟩</span>',
    ],
    "codesym": CODESYMS,
    "email": ["⟨word⟩@⟨host⟩"],
    **COMMON,
}

# ---- HTML fragments of the kind pandoc-html writes, one top-level block (pandoc-markdown's input)
HTML_RULES: dict[str, list] = {
    "start": [
        option("⟨p⟩", 0.3),
        option("⟨h⟩", 0.11),
        option("⟨pre⟩", 0.07),
        option("⟨blockquote⟩", 0.1),
        option("⟨ul⟩", 0.12),
        option("⟨ol⟩", 0.1),
        option("<hr />\n", 0.03),
        option("⟨figure⟩", 0.03),
        option("⟨dl⟩", 0.03),
        option("⟨div⟩", 0.03),
        "<div class=\"line-block\">⟨hline⟩<br />\n⟨hline⟩</div>\n",
    ],
    "p": [
        option("<p>⟨hline⟩</p>\n", 0.5),
        option("<p>⟨hline⟩\n⟨hline⟩</p>\n", 0.2),
        option("<p>⟨hline⟩\n⟨hline⟩\n⟨hline⟩</p>\n", 0.1),
        option("<p>⟨hline⟩\n⟨hline⟩\n⟨hline⟩\n⟨hlines⟩</p>\n", 0.05),
        "<p>⟨hline⟩<br />\n⟨hline⟩</p>\n",
    ],
    # As in the Markdown grammar: paragraphs, lists, lines and code blocks run as long as the
    # samples' do, so that their fragments and mined probabilities carry their lengths.
    "hlines": [option("⟨hline⟩", 0.6), "⟨hline⟩\n⟨hlines⟩"],
    "h": [
        option("<h1>⟨hline⟩</h1>\n", 0.25), option("<h2>⟨hline⟩</h2>\n", 0.25), option("<h3>⟨hline⟩</h3>\n", 0.2),
        "<h4>⟨hline⟩</h4>\n", "<h5>⟨hline⟩</h5>\n", "<h6>⟨hline⟩</h6>\n",
        '<h2 id="⟨word⟩">⟨htext⟩</h2>\n',  # not class=: pandoc would then invent an id from the text
    ],
    "pre": [
        option("<pre><code>⟨hcodelines⟩</code></pre>\n", 0.6),
        '<pre class="⟨info⟩"><code>⟨hcodelines⟩</code></pre>\n',
    ],
    "hcodelines": [option("⟨hcodetext⟩", 0.5), "⟨hcodetext⟩\n⟨hcodelines⟩", "    ⟨hcodetext⟩\n⟨hcodelines⟩",
                   "⟨hcodetext⟩\n\n⟨hcodelines⟩", "⟨hcodetext⟩\n\n\n⟨hcodelines⟩"],
    # Code lines hold code: calls, settings, names with underscores (which text escapes, code not).
    "hcodetext": [option("⟨text⟩", 0.3), option("⟨text⟩ ⟨hcodesym⟩ ⟨text⟩", 0.15), option("⟨hcodesym⟩⟨text⟩", 0.1),
                  option("⟨codeword⟩", 0.15), "⟨word⟩ = ⟨codeword⟩", "⟨codeword⟩ ⟨hcodesym⟩ ⟨codeword⟩",
                  "⟨text⟩⟨hcodesym⟩⟨hcodetext⟩", "⟨hcodesym⟩⟨hcodetext⟩", "⟨hcodesym⟩", "⟨text⟩⟨hcodesym⟩"],
    "hcodesym": ["&lt;", "&gt;", "&amp;", "&quot;", "&#39;", "*", "_", "#", "[", "]", "=", "(", ")", "{", "}", ":", "'",
                 "$", "|", "~", "@", "-", "/", "+", "%"],
    "blockquote": ["<blockquote>\n⟨bqbody⟩</blockquote>\n"],
    "bqbody": [
        option("<p>⟨hline⟩</p>\n", 0.45),
        "<p>⟨hline⟩\n⟨hline⟩</p>\n",
        "<p>⟨hline⟩\n⟨hline⟩\n⟨hlines⟩</p>\n",
        "<p>⟨hline⟩</p>\n<p>⟨hline⟩</p>\n",
        "<h1>⟨hline⟩</h1>\n",
        "<ul>\n<li>⟨hline⟩</li>\n</ul>\n",
        "<blockquote>\n<p>⟨hline⟩</p>\n</blockquote>\n",
        "<pre><code>⟨hcodetext⟩</code></pre>\n",
    ],
    "ul": [option("<ul>\n⟨litems⟩</ul>\n", 0.75), "<ul>\n⟨lpitems⟩</ul>\n",
           "<ul class=\"task-list\">\n⟨taskitems⟩</ul>\n"],
    "ol": [
        option('<ol type="1">\n⟨litems⟩</ol>\n', 0.5),
        option('<ol start="⟨onum⟩" type="1">\n⟨litems⟩</ol>\n', 0.15),
        '<ol type="a">\n⟨litems⟩</ol>\n',
        '<ol type="i">\n⟨litems⟩</ol>\n',
        "<ol>\n⟨litems⟩</ol>\n",
        '<ol type="1">\n⟨lpitems⟩</ol>\n',
    ],
    "onum": ["2", "3", "5", "9"],
    "litems": [option("⟨li⟩", 0.3), option("⟨li⟩⟨li⟩", 0.3), "⟨li⟩⟨li⟩⟨li⟩", "⟨li⟩⟨li⟩⟨li⟩⟨litems⟩"],
    "li": [
        option("<li>⟨hline⟩</li>\n", 0.7),
        "<li>⟨hline⟩\n<ul>\n<li>⟨hline⟩</li>\n</ul></li>\n",
        "<li>⟨hline⟩\n<ol type=\"1\">\n<li>⟨hline⟩</li>\n</ol></li>\n",
        "<li>⟨hline⟩\n⟨hline⟩</li>\n",
        "<li>⟨hline⟩\n⟨hline⟩\n⟨hlines⟩</li>\n",
    ],
    "lpitems": ["⟨lpitem⟩⟨lpitem⟩", "<li><p>⟨hline⟩</p>\n<p>⟨hline⟩</p></li>\n", "⟨lpitem⟩⟨lpitems⟩"],
    "lpitem": [option("<li><p>⟨hline⟩</p></li>\n", 0.7), "<li><p>⟨hline⟩\n⟨hlines⟩</p></li>\n"],
    "taskitems": [
        "<li><label><input type=\"checkbox\" />⟨hline⟩</label></li>\n",
        "<li><label><input type=\"checkbox\" checked=\"\" />⟨hline⟩</label></li>\n<li><label><input type=\"checkbox\" />⟨hline⟩</label></li>\n",
    ],
    # A figure's caption repeats its alt text, an autolink's text its address: a grammar cannot
    # say "the same", so each is spelled out for a few values.
    "figure": [
        f'<figure>\n<img src="⟨url⟩" alt="{w}" />\n<figcaption aria-hidden="true">{w}</figcaption>\n</figure>\n'
        for w in ["foo", "bar baz", "alpha", "one two", "x1"]
    ] + ['<figure>\n<img src="⟨url⟩" alt="⟨text⟩" />\n<figcaption aria-hidden="true">⟨text⟩</figcaption>\n</figure>\n'],
    "dl": ["<dl>\n<dt>⟨hline⟩</dt>\n<dd>\n⟨hline⟩\n</dd>\n</dl>\n", "<dl>\n<dt>⟨htext⟩</dt>\n<dd>\n<p>⟨hline⟩</p>\n</dd>\n</dl>\n"],
    "div": ['<div class="⟨word⟩">\n<p>⟨hline⟩</p>\n</div>\n'],
    # ---- inlines
    "hline": [
        option("⟨htext⟩", 0.3),
        option("⟨htext⟩ ⟨hspan⟩", 0.2),
        option("⟨hspan⟩ ⟨htext⟩", 0.12),
        option("⟨htext⟩ ⟨hspan⟩ ⟨htext⟩", 0.2),
        "⟨hspan⟩",
        "⟨htext⟩ ⟨hspan⟩ ⟨htext⟩ ⟨hspan⟩",
        "⟨htext⟩ ⟨hspan⟩⟨punct⟩",
        "⟨htext⟩ ⟨hspan⟩ ⟨hline⟩",
        "⟨htext⟩ ⟨hspan⟩⟨punct⟩ ⟨hline⟩",
        "⟨htext⟩⟨punct⟩ ⟨hline⟩",
        "⟨hspan⟩ ⟨hline⟩",
        "⟨hspan⟩⟨punct⟩ ⟨hline⟩",
        "⟨hspan⟩ - ⟨hline⟩",
    ],
    "htext": ["⟨text⟩"],
    "punct": [".", ",", ":", ";", "!", "?", ")"],
    "hspan": [
        option("<em>⟨text⟩</em>", 0.12),
        option("<strong>⟨text⟩</strong>", 0.1),
        option("<code>⟨hcode⟩</code>", 0.1),
        option('<a href="⟨url⟩">⟨text⟩</a>', 0.1),
        option('<a href="⟨url⟩" title="⟨text⟩">⟨text⟩</a>', 0.05),
        option('<a href="⟨path⟩">⟨text⟩</a>', 0.03),
        option('<img src="⟨url⟩" alt="⟨text⟩" />', 0.05),
        option("⟨hautolink⟩", 0.06),
        option("⟨word⟩ ⟨hchar⟩ ⟨word⟩", 0.07),
        option("⟨word⟩⟨hchar⟩⟨word⟩", 0.03),
        option("⟨hsmart⟩", 0.1),
        "<del>⟨text⟩</del>",
        "⟨word⟩<sup>⟨word⟩</sup>",
        "⟨word⟩<sub>⟨word⟩</sub>",
        '<span class="⟨word⟩">⟨text⟩</span>',
        "<em>⟨text⟩ <strong>⟨text⟩</strong></em>",
        '<a href="⟨url⟩"><code>⟨hcode⟩</code></a>',
        '<a href="⟨url⟩" target="_blank">⟨text⟩</a>',
        '<a href="⟨url⟩">⟨url⟩</a>',
        "#⟨word⟩",
        "(#⟨word⟩",
    ],
    # A code span's text (pandoc writes it between backticks as it is, a CODE placeholder on both
    # sides where it holds no character HTML escapes).
    "hcode": [
        option("⟨text⟩", 0.25),
        option("⟨codeword⟩", 0.4),
        "⟨text⟩ ⟨hcodesym⟩ ⟨text⟩",
        "⟨codeword⟩ ⟨hcodesym⟩ ⟨codeword⟩",
        "⟨codeword⟩⟨hcodesym⟩",
    ],
    "codeword": CODEWORDS,
    "hautolink": [
        '<a href="⟨url⟩" class="uri">⟨url⟩</a>',
        *(f'<a href="{u}" class="uri">{u}</a>' for u in ["http://a.io", "https://example.com/foo", "http://foo.org/bar/baz"]),
        *(f'<a href="mailto:{e}" class="email">{e}</a>' for e in ["foo@a.io", "alpha@example.com"]),
    ],
    # Characters that the Markdown writer escapes, writes as entities or keeps.
    "hchar": ["&amp;", "&lt;", "&gt;", "*", "_", "[", "]", "#", "`", "\\", "$", "^", "~", "|", "@", "©", "\u00a0", "+", "=", "/"],
    "hsmart": [
        option("“⟨text⟩”", 0.3), option("‘⟨text⟩’", 0.1), option("⟨word⟩’s", 0.15), "⟨word⟩’⟨word⟩",
        "⟨word⟩ – ⟨word⟩", "⟨word⟩—⟨word⟩", "⟨word⟩…", "⟨word⟩ - ⟨word⟩",
    ],
    **COMMON,
}

markdown_grammar = grammar_from_templates(MARKDOWN_RULES)
html_grammar = grammar_from_templates(HTML_RULES)


# --------------------------------------------------------------------------------------------
# Tokenizers. Priorities: markup, URL, EMAIL 4-5 > TEXT 3 > whitespace 2 > catch-all -1 (lark's
# basic lexer tries the terminals by priority first, so markup wins over TEXT where both
# match). Text runs exclude what pandoc rewrites (see the module docstring).
# --------------------------------------------------------------------------------------------

# A word: `WORD_CHAR`s with inner punctuation ("e.g", "a/b", "f(x)", "1.5", "x-y"), never
# "--" or "..." (smart dashes and ellipsis) nor "'" (smart apostrophe), and some trailing
# punctuation; a run joins words by single spaces or " - ", except after an abbreviation
# ("e.g. x"), where `smart` turns the space into a no-break space.
# pandoc's shipped models were trained with © as a word character as well (`bundled.WORD_CHAR`
# says why it is not one); it leaves at their next training, which changes their keys.
_WORD_CHAR = WORD_CHAR.replace("\u00a7", "\u00a7\u00a9")
_WORD = rf"\(?{_WORD_CHAR}+(?:(?:[,:;?\/()=+#%]|\.(?!\.\.)|-(?!-))+{_WORD_CHAR}+)*(?:[,:;?)]|\.(?!\.\.))*"
# pandoc's default abbreviations (`pandoc --print-default-data-file abbreviations`, pandoc 3.9).
ABBREVIATIONS = (
    "aet. aetat. al. Apr. Aug. bk. Bros. c. Capt. cf. ch. chap. chs. Co. col. Corp. cp. d. Dec. Dr. "
    "e.g. ed. eds. esp. f. fasc. Feb. ff. fig. fl. fol. fols. Fr. Gen. Gov. Hon. i.e. ill. Inc. incl. "
    "Jan. Jr. Jul. Jun. Ltd. M.A. M.D. Mar. Mr. Mrs. Ms. n. n.b. nn. No. Nov. Oct. p. Ph.D. pp. Pres. "
    "Prof. pt. q.v. Rep. Rev. s.v. s.vv. saec. sec. Sen. Sep. Sept. Sgt. Sr. St. univ. viz. vol. vs."
).split()
# Python's lookbehind needs a fixed width: one per abbreviation length.
_NOT_ABBREVIATION = "".join(
    "(?<!\\b(?:" + "|".join(re.escape(a) for a in ABBREVIATIONS if len(a) == n) + "))"
    for n in sorted({len(a) for a in ABBREVIATIONS})
)
# pandoc-html's text runs also leave out a whole-word abbreviation before a space (in the HTML a
# no-break space): it is a placeholder of its own (ABBR), so that the model sees where `smart`
# acts, which a run ending in "e.g." hid (the run joined before it: "see e.g." `x`).
_ABBREVIATION = "(?:" + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True)) + ")"
_ABBREVIATION_AHEAD = rf"\(?{_ABBREVIATION}[ \u00a0]"


def _abbr_text(join: str) -> str:
    """TEXT runs whose words `join` (a regular expression of spaces) joins, and ABBR."""
    return rf"""
TEXT.3: /(?!{_ABBREVIATION_AHEAD}){_WORD}(?:{_NOT_ABBREVIATION}{join}(?!{_ABBREVIATION_AHEAD})(?:- )?{_WORD})*/
ABBR.4: /(?<![^\W_]){_ABBREVIATION}(?=[ \u00a0])/
"""


_ABBR_TEXT = _abbr_text(" ")
# pandoc-html's Markdown runs also join words over several spaces (`it.  Then`, two after a full
# stop as many authors type): pandoc writes one, which its HTML tokenizer's `spaces_collapsed`
# matches, so such a line is one placeholder as any other (a run of its own on each side of the
# spaces, its HTML would join them: content the model could not write).
_SPACED_ABBR_TEXT = _abbr_text(" +")
_SCHEMELESS = r"(?![A-Za-z][A-Za-z0-9+.-]*:)"
# PATH: a relative link target ("../a.md", "#anchor"): in Markdown inline or in a reference
# definition, in HTML an attribute; both tokenizers know every form (code shows the other's).
# KEY: what follows an "@" (a citation key, `@doe`): pandoc writes a key twice
# (`data-cites="doe">@doe`), so it must not merge into the text run that follows it.
_TEXT = rf"""
TEXT.3: /{_WORD}(?:{_NOT_ABBREVIATION} (?:- )?{_WORD})*/
"""
_OTHER_CONTENT = rf"""URL.4: /[A-Za-z][A-Za-z0-9+.-]*:\/\/[A-Za-z0-9._~\/%?=#:@+-]+/
EMAIL.4: /[A-Za-z0-9][A-Za-z0-9._+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/
KEY.5: /(?<=@)[^\W_]+/
SPACES.2: /[ \t]+/
NL.2: "\n"
ENTITY.4: /&(?:#[0-9]{{1,7}}|#[xX][0-9a-fA-F]{{1,6}}|[A-Za-z][A-Za-z0-9]{{1,31}});/
MAILTO.4: "mailto:"
PATH.5: /(?:(?<=\]\()|(?<=\]: )|(?<=href=")|(?<=src=")){_SCHEMELESS}[^\s()<>"]+/
ANY.-1: /[\s\S]/
"""
_CONTENT = _TEXT + _OTHER_CONTENT

_MARKDOWN_MARKUP = r"""
CITATION_ATTRS.5: /\]\{\.citation cites="/
ATTR_NAME.4: /(?<=\{)[a-z][a-z-]*="/
HARDBREAK.5: /[ ]{2,}\n/ | /\\\n/
ESCAPE.4: /\\[!-\/:-@\[-`{-~]/
ATX.5: /#{1,6} /
HASHES.4: /#+/
BULLET.5: /(?<![^\n ])[-*+] (?:\[[ x]\] )?/
ORDERED.5: /(?<![^\n ])\(?[0-9]{1,9}[.)] +/
LETTERED.5: /(?<![^\n])(?:[a-zA-Z]|ii|iii|#)[.)] +/
QUOTE.5: /(?<![^\n >])> ?/
DEFINITION.5: /(?<![^\n])[:~] +/
FENCED_DIV.5: /:{3,} ?/
STARS.4: /\*+/
UNDERSCORES.4: /_+/
BACKTICKS.4: /`+/
TILDES.4: /~+/
DASHES.4: /-+/
EQUALS.4: /=+/
ELLIPSIS.4: "..."
PIPE.4: / ?\| ?/
LINK_MID.4: "]("
IMAGE_OPEN.4: "!["
NOTE_OPEN.4: "^["
ATTRS_OPEN.4: /\]?\{[.#]?/
TITLE_OPEN.4: " \""
TITLE_CLOSE.4: "\")"
RAW_TAG.4: /<\/?[a-z][a-z0-9]*>/
"""
MARKDOWN_TERMINALS = _CONTENT + _MARKDOWN_MARKUP

# A tag with its first attribute (`<a href="`), and each attribute after it (`" target="`): markup
# in HTML, and in the raw HTML that pandoc-html's Markdown holds.
_TAG_WITH_ATTR = r'<[a-z][a-z0-9]* [a-z-]+="'
_NEXT_ATTR = r'" [a-z-]+="'
_HTML_MARKUP = r"""
LIST_OPEN.5: /<ol(?: start="[0-9]+")?(?: type="[1aAiI]")?>\n/ | /<ul(?: class="task-list")?>\n/
CELL_OPEN.5: /<t[hd](?: style="text-align: (?:left|right|center);")?>/
CHECKBOX.5: /<label><input type="checkbox" (?:checked="" )?\/>/
CLASSES.5: /" class="(?:uri|email)">/ | /<figcaption aria-hidden="true">/ | /<div class="line-block">/ | /<span class="(?:citation|math inline|smallcaps)"(?: data-cites=")?/
FOOTNOTE_REF.5: /<a href="#fn[0-9]+" class="footnote-ref" id="fnref[0-9]+" role="doc-noteref"><sup>[0-9]+<\/sup><\/a>/
FOOTNOTES.5: /<section id="footnotes" class="footnotes footnotes-end-of-document" role="doc-endnotes">\n/ | /<li id="fn[0-9]+">/
FOOTNOTE_BACK.5: /<a href="#fnref[0-9]+" class="footnote-back" role="doc-backlink">\u21a9\ufe0e<\/a>/
TAG.4: /<\/?[a-z][a-z0-9]*>\n?/
VOID.4: /<(?:hr|br) \/>\n?/
""" + f"""TAG_ATTR.4: /{_TAG_WITH_ATTR}/
ATTR.4: /{_NEXT_ATTR}/
""" + r"""ATTR_END.4: /">\n?/ | /" \/>\n?/
"""
HTML_TERMINALS = _CONTENT + _HTML_MARKUP

CONTENT = ("TEXT", "URL", "EMAIL", "KEY", "PATH")

# Both subjects': a code span's text is copied into <code>...</code> as it is, so one placeholder
# (CODE) stands for it on both sides, whatever it holds (`snake_case`, `--flag`, `f(x)`), as in
# the markdown-it subject. Text that HTML escaping changes (& < > "), or that starts or ends with a
# space, is left to the other terminals; a one-line code block (`</code></pre>`) is not a code span.
# The lexer has no state, so the text between two spans on a line is taken for code where it could
# be code: not where it starts with "]" or ends with "[" (`a`](url) and text [`b`]).
_CODE = r"""[^`\s&<>"\]](?:[^`\n&<>"]*[^`\s&<>"\[])?"""
_ABBR_CONTENT = _ABBR_TEXT + _OTHER_CONTENT
_MARKDOWN_CODE = f"CODE.6: /(?<=`){_CODE}(?=`)/\n"
_HTML_CODE = f"CODE.6: /(?<=<code>){_CODE}(?=<\\/code>(?!<\\/pre>))/\n"
# A code block's lines are CODELINE placeholders, as in the markdown-it subject
# (bundled.markdown_code_blocks). pandoc takes a fence for one only with a bare language or an
# attribute block after it (```python title="x" is a paragraph), and also escapes "'".
_FENCE_OPEN = FENCE + r"(?: ?[\w+#.-]+| ?\{[^\n}]*\})? *\n"
_PRE_OPEN = r'<pre(?: class="[^"]*")?><code>'
# pandoc-markdown's: a run ends at each character HTML escapes.
CODE_BLOCKS = markdown_code_blocks(_FENCE_OPEN, "&<>\"'")
HTML_CODE_BLOCKS = html_code_blocks(_PRE_OPEN, "amp|lt|gt|quot|#39")
# pandoc-html's: a code line is one placeholder whatever it holds, written back escaped
# (`Escaped`): as runs, a line of Python was three to nine placeholders and entities, and long
# blocks ran out of placeholders.
_PANDOC_HTML_ESCAPES = Escaped(("CODELINE",), (*HTML_ESCAPES, ("'", "&#39;")))
LINE_BLOCKS = markdown_code_blocks(_FENCE_OPEN)
HTML_LINE_BLOCKS = html_code_blocks(_PRE_OPEN)
# pandoc-html's input holds raw HTML tags with attributes, which pandoc copies: their tags and
# attribute names are markup, as in the HTML tokenizer (an `<a href="` hidden in a text run was
# content the model could not write as HTML). pandoc-markdown's Markdown tokenizer keeps its
# terminals: its models were trained with them.
_RAW_HTML_ATTRS = f"""
RAW_TAG_ATTR.5: /{_TAG_WITH_ATTR}/
RAW_ATTR.5: /{_NEXT_ATTR}/
""" + r"""RAW_ATTR_END.5: /" ?\/?>/
"""
# pandoc-html's code spans: pandoc writes a '"' into <code> as it is (only pandoc-markdown's HTML
# spells it &quot;), so one CODE placeholder stands for `mode="binary"` on both sides. A backtick
# right after a word, a closing bracket or a quote closes a span rather than opening one, so the
# text between two spans (`a`/`b`) is not taken for code. The cost: a fence pandoc does not take
# (```python title="x", mkdocs' titled blocks) is a paragraph holding one code span, its lines
# joined; that span is now one placeholder the Markdown does not hold. Code spans holding a quote
# are the more frequent (docs.jsonl: 15 blocks against 11, from one project; other packages' docs:
# 5 against none).
_QUOTED_CODE = _CODE.replace('"', "")
_SPAN_CODE = f"CODE.6: /(?<=`)(?<![\\w)\\]\"']`){_QUOTED_CODE}(?=`)/\n"
_HTML_SPAN_CODE = f"CODE.6: /(?<=<code>){_QUOTED_CODE}(?=<\\/code>(?!<\\/pre>))/\n"
code_markdown_tokenizer = LarkTokenizer(
    terminals=_SPACED_ABBR_TEXT + _OTHER_CONTENT + _MARKDOWN_MARKUP + _RAW_HTML_ATTRS + _SPAN_CODE,
    content=(*CONTENT, "CODE", "ABBR", "CODELINE"), verbatim=LINE_BLOCKS)
code_html_tokenizer = LarkTokenizer(terminals=_ABBR_CONTENT + _HTML_MARKUP + _HTML_SPAN_CODE,
                                    content=(*CONTENT, "CODE", "ABBR", "CODELINE"), verbatim=HTML_LINE_BLOCKS,
                                    escaped=_PANDOC_HTML_ESCAPES, spaces_collapsed=("TEXT",))
# pandoc-markdown's: code spans and code blocks as pandoc-html's (its Markdown writer copies a
# block's code as it is, in a fence or indented), abbreviations in text runs (its grammar makes
# none, and the HTML already holds the no-break space that pandoc-html's ABBR placeholders mark).
markdown_tokenizer = LarkTokenizer(terminals=MARKDOWN_TERMINALS + _MARKDOWN_CODE,
                                   content=(*CONTENT, "CODE", "CODELINE"), verbatim=CODE_BLOCKS)
html_tokenizer = LarkTokenizer(terminals=HTML_TERMINALS + _HTML_CODE, content=(*CONTENT, "CODE", "CODELINE"),
                               verbatim=HTML_CODE_BLOCKS)


def pandoc_subject(name: str, args: tuple[str, ...], **fields) -> Subject:
    """A bundled subject whose program is pandoc with `args`, reading the input on stdin."""
    return bundled_subject(name, program=(PANDOC or MISSING_PANDOC, *args), program_version=PANDOC_VERSION,
                           installed_version=pandoc_version, timeout=TIMEOUT, **fields)


html_subject = pandoc_subject(
    "pandoc-html",
    HTML_ARGS,
    grammar=markdown_grammar,
    input_tokenizer=code_markdown_tokenizer,
    output_tokenizer=code_html_tokenizer,
    # 24 epochs end well inside the 20 minutes a shipped model may take: 32 use them, for the long
    # blocks. With 12 open nonterminals the fuzzer closed long lists and code blocks early, and
    # the model learned long blocks from the samples alone: 40 (and room for 1,000 characters)
    # synthesize about the samples' share of them (docs/model-history.md).
    training=with_rotary(MARKDOWN_TRAINING).replace(max_epochs=32, max_input_chars=1000, max_nonterminals=40),
    # Failure models need fewer pairs, and every failing one costs the full timeout: 6,000 pairs
    # keep their synthesis to minutes.
    failure_training=failure_training_for(
        TrainingConfig(pairs=6000, max_nonterminals=12, coverage_share=0.1, max_input_chars=300, batch_size=64)
    ),
    corpora={"commonmark-spec": "commonmark.jsonl", "package-docs": "docs.jsonl"},
    samples=CorpusSamples(CORPORA / "docs.jsonl"),
    description="pandoc Markdown block -> HTML (pandoc 3.9 from pypandoc-binary; times out on unmatched '[')",
)

markdown_subject = pandoc_subject(
    "pandoc-markdown",
    MARKDOWN_ARGS,
    grammar=html_grammar,
    input_tokenizer=html_tokenizer,
    output_tokenizer=markdown_tokenizer,
    # Its lengths and placeholder indices are left to its samples (`from_samples`), as a user's are.
    training=with_rotary(MARKDOWN_TRAINING.replace(max_input_chars=400, max_nonterminals=None, placeholder_limit=None)),
    corpora={"commonmark-spec-html": "pandoc-html-commonmark.jsonl", "package-docs-html": "pandoc-html-docs.jsonl"},
    samples=CorpusSamples(CORPORA / "pandoc-html-docs.jsonl"),
    description="HTML block (as pandoc writes it) -> pandoc Markdown (pandoc 3.9 from pypandoc-binary)",
)
