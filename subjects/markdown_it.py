"""The bundled `markdown-it` subject: CommonMark Markdown -> HTML with markdown-it-py.

Each synthesized input is one top-level Markdown block (possibly with nested children) built
from a small word list, so that a small model can learn the mapping. Text runs, URLs and e-mail
addresses are content: they become `TEXT_n`, `URL_n`, `EMAIL_n` placeholders, spelled the same
in the Markdown and in the HTML, so the output reuses the input's placeholders. Markup and
whitespace are folded into few tokens (`"## "`, `"- "`, `"</p>\\n"`, `'<a href="'`, ...).

Importing this module imports neither markdown_it nor torch nor fuzzingbook.
"""
from __future__ import annotations

from pathlib import Path

from pytest_modelizer import LarkTokenizer, Subject, TrainingConfig, package_version

_MARKDOWN_IT = None


def render(text: str) -> str:
    """CommonMark HTML of `text`, as markdown-it-py's "commonmark" preset renders it."""
    global _MARKDOWN_IT
    if _MARKDOWN_IT is None:
        from markdown_it import MarkdownIt

        _MARKDOWN_IT = MarkdownIt("commonmark")
    return _MARKDOWN_IT.render(text)


# --------------------------------------------------------------------------------------------
# Grammar (fuzzingbook format). Literal "<", ">", "(", ")" and any "*" or "+" right after a
# nonterminal go through their own symbols, so that fuzzingbook's EBNF conversion never
# mistakes them for nonterminals, groups or repetition operators ("<text>*" means "many").
# --------------------------------------------------------------------------------------------

WORDS = ["foo", "bar", "baz", "qux", "alpha", "beta", "gamma", "delta", "one", "two", "x1", "y2"]


def _p(expansion: str, prob: float) -> tuple[str, dict]:
    return (expansion, {"prob": prob})


grammar: dict[str, list] = {
    "<start>": [
        _p("<paragraph>", 0.26),
        _p("<atx>", 0.12),
        _p("<setext>", 0.06),
        _p("<fenced>", 0.08),
        _p("<indented>", 0.05),
        _p("<quote>", 0.12),
        _p("<ulist>", 0.13),
        _p("<olist>", 0.11),
        _p("<hr>", 0.07),
    ],
    # ---- leaf blocks
    # Documentation paragraphs run over several lines: the model must see such lengths.
    "<paragraph>": [
        _p("<line>\n", 0.4),
        _p("<line>\n<line>\n", 0.2),
        _p("<line>\n<line>\n<line>\n", 0.15),
        _p("<line>\n<line>\n<line>\n<line>\n", 0.1),
        _p("<line><hardbreak><line>\n", 0.15),
    ],
    "<hardbreak>": ["  \n", "\\\n"],
    "<atx>": [
        _p("<hashes> <line>\n", 0.85),
        _p("<hashes> <line> <closing>\n", 0.15),
    ],
    "<hashes>": [_p("#", 0.3), _p("##", 0.25), _p("###", 0.2), "####", "#####", "######"],
    "<closing>": ["#", "##", "###"],
    "<setext>": [_p("<line>\n<underline>\n", 0.8), "<line>\n<line>\n<underline>\n"],
    "<underline>": ["===", "=====", "---", "-----"],
    "<fenced>": [
        _p("```\n<codelines>```\n", 0.45),
        _p("```<info>\n<codelines>```\n", 0.4),
        "~~~\n<codelines>~~~\n",
    ],
    "<info>": ["python", "bash", "json", "text"],
    "<codelines>": [_p("<codeline>", 0.55), "<codeline><codelines>"],
    "<codeline>": [
        _p("<codetext>\n", 0.7), "    <codetext>\n", "  <codetext>\n", "        <codetext>\n", "\n",
    ],
    "<indented>": [
        _p("    <codetext>\n", 0.4),
        "    <codetext>\n    <codetext>\n",
        "    <codetext>\n\n    <codetext>\n",
        "    <codetext>\n      <codetext>\n",
    ],
    "<codetext>": [_p("<text>", 0.6), "<text> <codesym> <text>", "<codesym><text>"],
    "<codesym>": [
        "<lt>", "<gt>", "&", "*", "_", '"', "#", "[", "]", "=", "<lp>", "<rp>", "{", "}", ":",
        ".", ",", "/", "-", "'", "<plus>", "%", "$", "|", "!", "~", "@", ";", "?", "--",
    ],
    "<hr>": ["***\n", "---\n", "___\n", "* * *\n", "- - -\n", "_____\n", "----------\n"],
    # ---- container blocks (each nesting depth spelled out, so every line gets its prefix)
    "<quote>": ["> <qbody>"],
    "<qbody>": [
        _p("<line>\n", 0.3),
        "<line>\n> <line>\n",
        "<line>\n<line>\n",  # lazy continuation
        "<line>\n>\n> <line>\n",
        "<hashes> <line>\n",
        "> <line>\n",
        "> <line>\n> > <line>\n",
        "> > <line>\n",
        "- <line>\n> - <line>\n",
        "1. <line>\n",
        "```\n> <codetext>\n> ```\n",
        "<line>\n> ***\n",
    ],
    "<ulist>": [_p("<dash_items>", 0.6), "<star_items>", "<plus_items>"],
    "<dash_items>": [
        _p("- <item>", 0.35),
        _p("- <item>- <item>", 0.3),
        "- <item>- <item>- <item>",
        "- <item>\n- <item>",  # loose
    ],
    "<star_items>": [_p("* <item>", 0.4), "* <item><st> <item>", "* <item>\n* <item>"],
    "<plus_items>": [_p("+ <item>", 0.4), "+ <item><plus> <item>", "+ <item>\n+ <item>"],
    "<item>": [
        _p("<line>\n", 0.6),
        "<line>\n  - <line>\n",
        "<line>\n  - <line>\n  - <line>\n",
        "<line>\n  - <line>\n    - <line>\n",
        "<line>\n  1. <line>\n",
        "<line>\n\n  <line>\n",  # second paragraph
        "<hashes> <line>\n",
        "> <line>\n",
    ],
    "<olist>": [_p("<dot_items>", 0.7), "<paren_items>"],
    "<dot_items>": [
        _p("<onum>. <oitem>", 0.35),
        _p("<onum>. <oitem><onum>. <oitem>", 0.3),
        "<onum>. <oitem><onum>. <oitem><onum>. <oitem>",
        "<onum>. <oitem>\n<onum>. <oitem>",
    ],
    "<paren_items>": [_p("<onum><rp> <oitem>", 0.5), "<onum><rp> <oitem><onum><rp> <oitem>"],
    "<onum>": [_p("1", 0.6), "2", "3", "5", "9"],
    "<oitem>": [
        _p("<line>\n", 0.7),
        "<line>\n   - <line>\n",
        "<line>\n   1. <line>\n",
        "<line>\n\n   <line>\n",
    ],
    # ---- inlines
    "<line>": [
        _p("<text>", 0.3),
        _p("<text> <span>", 0.2),
        _p("<span> <text>", 0.12),
        _p("<text> <span> <text>", 0.2),
        "<span>",
        "<text> <span> <text> <span>",
        "<text> <span><punct>",
        "<text> <span><punct> <text>",
    ],
    "<punct>": [".", ",", ":", ";", "!", "?", "<rp>"],
    "<text>": [_p("<word>", 0.4), _p("<word> <word>", 0.35), "<word> <word> <word>"],
    "<word>": WORDS,
    "<span>": [
        _p("<emph>", 0.16),
        _p("<strong>", 0.14),
        _p("<code>", 0.14),
        _p("<link>", 0.16),
        _p("<image>", 0.09),
        _p("<autolink>", 0.09),
        _p("<escape>", 0.1),
        _p("<entity>", 0.1),
        "<lp><text><rp>",
        "<tagged>",
        "<lp><text>: <autolink><rp>",
    ],
    # Issue and user references as in changelogs: "#270", "@name".
    "<tagged>": ["#<word>", "@<word>"],
    "<emph>": [_p("*<text><st>", 0.5), "_<text>_", "*<text> <st><st><text><st><st> <text><st>"],
    "<strong>": [_p("**<text><st><st>", 0.5), "__<text>__", "**<text> *<text><st> <text><st><st>"],
    "<code>": [_p("`<text>`", 0.6), "`<text> <codesym> <text>`", "`` <text> ` <text> ``"],
    "<link>": [
        _p("[<text>]<lp><url><rp>", 0.45),
        _p('[<text>]<lp><url> "<text>"<rp>', 0.25),
        "[<code>]<lp><url><rp>",
        "[<emph>]<lp><url><rp>",
        "[<tagged>]<lp><url><rp>",
    ],
    "<image>": [_p("![<text>]<lp><url><rp>", 0.6), '![<text>]<lp><url> "<text>"<rp>'],
    "<autolink>": [_p("<lt><url><gt>", 0.7), "<lt><email><gt>"],
    "<escape>": ["\\*", "\\_", "\\#", "\\[", "\\`", "\\<lt>", "\\&", "\\\\", "\\<gt>"],
    "<entity>": ["&amp;", "&lt;", "&gt;", "&quot;", "&copy;", "&nbsp;", "&#35;", "&#42;", "&#x26;", "&"],
    "<url>": [
        _p("<scheme>://<host>", 0.3),
        _p("<scheme>://<host>/<word>", 0.45),
        "<scheme>://<host>/<word>/<word>",
    ],
    "<scheme>": ["http", "https"],
    "<host>": ["example.com", "foo.org", "test.net", "a.io"],
    "<email>": ["<word>@<host>"],
    "<lt>": ["<"],
    "<st>": ["*"],
    "<plus>": ["+"],
    "<gt>": [">"],
    "<lp>": ["("],
    "<rp>": [")"],
}


# --------------------------------------------------------------------------------------------
# Tokenizers. Priorities: markup, URL, EMAIL 4-5 > TEXT 3 > whitespace 2 > catch-all -1. lark's
# basic lexer tries terminals by priority first (then by longest possible match), so markup wins
# over TEXT where both match; ANY makes every string tokenize.
# --------------------------------------------------------------------------------------------

# A run of words joined by single spaces (or " - "), each word letters/digits with inner
# punctuation ("don't", "e.g.", "a/b", "f(x)") and some leading/trailing punctuation. Such a run
# is spelled the same in the Markdown and in the HTML (no "&", "<", ">", '"', "*", "_", "`",
# "[", "]", "!", "\\", which markup or HTML escaping changes), so one placeholder stands for it.
_WORD = r"[(']?[^\W_]+(?:[.,:;?'\/()=+#@%-]+[^\W_]+)*[.,:;?')]*"
_CONTENT = rf"""
TEXT.3: /{_WORD}(?: (?:[-\u2013\u2014]{{1,3}} )?{_WORD})*/
URL.4: /[A-Za-z][A-Za-z0-9+.-]*:\/\/[A-Za-z0-9._~\/%?=#:@+-]+/
EMAIL.4: /[A-Za-z0-9][A-Za-z0-9._+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/
SPACES.2: /[ \t]+/
NL.2: "\n"
LINK_MID.4: "]("
IMAGE_OPEN.4: "!["
ANY.-1: /[\s\S]/
"""

INPUT_TERMINALS = _CONTENT + r"""
HARDBREAK.5: /[ ]{2,}\n/ | /\\\n/
ESCAPE.4: /\\[!-\/:-@\[-`{-~]/
ENTITY.4: /&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});/
ATX.5: /#{1,6} /
HASHES.4: /#+/
BULLET.5: /(?<![^\n ])[-*+] /
ORDERED.5: /(?<![^\n ])[0-9]{1,9}[.)] /
QUOTE.5: /(?<![^\n >])> ?/
STARS.4: /\*+/
UNDERSCORES.4: /_+/
BACKTICKS.4: /`+/
TILDES.4: /~+/
DASHES.4: /-+/
EQUALS.4: /=+/
TITLE_OPEN.4: " \""
TITLE_CLOSE.4: "\")"
"""

OUTPUT_TERMINALS = _CONTENT + r"""
PRE_OPEN.5: /<pre><code(?: class="language-|>)/
PRE_CLOSE.5: "</code></pre>\n"
OL_START.5: /<ol start="[0-9]+">\n/
TAG.4: /<\/?(?:h[1-6]|p|em|strong|code|blockquote|ul|ol|li|a)>\n?/
VOID.4: "<hr />\n" | "<br />\n" | "\" />"
A_OPEN.4: "<a href=\""
IMG_OPEN.4: "<img src=\""
ALT.4: "\" alt=\""
TITLE.4: "\" title=\""
ATTR_END.4: "\">"
MAILTO.4: "mailto:"
HTML_ESCAPE.4: /&(?:amp|lt|gt|quot);/
"""

CONTENT = ("TEXT", "URL", "EMAIL")

input_tokenizer = LarkTokenizer(terminals=INPUT_TERMINALS, content=CONTENT)
output_tokenizer = LarkTokenizer(terminals=OUTPUT_TERMINALS, content=CONTENT)

subject = Subject(
    name="markdown-it",
    program=render,
    program_version="markdown-it-py==4.3.0",
    installed_version=package_version("markdown-it-py"),
    grammar=grammar,
    input_tokenizer=input_tokenizer,
    output_tokenizer=output_tokenizer,
    training=TrainingConfig(
        pairs=20000, max_nonterminals=12, coverage_share=0.1, max_input_chars=300, max_epochs=24, max_minutes=15, patience=8,
        placeholder_limit=32,
    ),
    shipped_models=Path(__file__).parent / "models" / "markdown-it",
    corpora={
        "commonmark-spec": Path(__file__).parent / "corpora" / "commonmark.jsonl",
        "package-docs": Path(__file__).parent / "corpora" / "docs.jsonl",
    },
    description="CommonMark Markdown block -> HTML (markdown-it-py, commonmark preset)",
)
