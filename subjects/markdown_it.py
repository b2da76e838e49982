"""The bundled `markdown-it` subject: CommonMark Markdown -> HTML with markdown-it-py.

Each synthesized input is one top-level Markdown block (possibly with nested children) built
from a small word list, so that a small model can learn the mapping. Text runs, URLs, e-mail
addresses, links' other targets (paths, anchors), the text of code spans, the lines of code blocks
and their language are content: they become `TEXT_n`, `URL_n`, `EMAIL_n`, `LINK_n`, `CODE_n`,
`CODELINE_n` and `LANG_n` placeholders, the same in the Markdown and in the HTML (which writes
code escaped: its tokenizer reads it so), so the output reuses the input's placeholders. The sample part of the package-docs
corpus steers synthesis. Markup and whitespace are folded into few tokens (`"## "`, `"- "`,
`"</p>\\n"`, `'<a href="'`, ...); inline HTML, which markdown-it passes as written, is markup too:
its tags' names and their usual attributes' names (`"<a"`, `'href="'`).

Importing this module imports neither markdown_it nor torch nor fuzzingbook.
"""
from __future__ import annotations


from pytest_modelizer import CorpusSamples, Escaped, LarkTokenizer, package_version
from pytest_modelizer.grammar import option, with_escape_rules
from pytest_modelizer.subjects.bundled import (CORPORA, FENCE, MARKDOWN_TRAINING, WORD_CHAR, bundled_subject,
                                               html_code_blocks, markdown_code_blocks, with_rotary)

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
# nonterminal go through their own symbols (`<lt>`, `<lp>`, `<st>`, ...: pytest_modelizer.grammar),
# so that fuzzingbook's EBNF conversion never mistakes them for nonterminals, groups or
# repetition operators ("<text>*" means "many").
# --------------------------------------------------------------------------------------------

WORDS = ["foo", "bar", "baz", "qux", "alpha", "beta", "gamma", "delta", "one", "two", "x1", "y2"]


grammar: dict[str, list] = with_escape_rules({
    "<start>": [
        option("<paragraph>", 0.26),
        option("<atx>", 0.12),
        option("<setext>", 0.06),
        option("<fenced>", 0.08),
        option("<indented>", 0.05),
        option("<quote>", 0.12),
        option("<ulist>", 0.13),
        option("<olist>", 0.11),
        option("<hr>", 0.07),
    ],
    # ---- leaf blocks
    # Documentation paragraphs run over several lines: the model must see such lengths.
    "<paragraph>": [
        option("<line>\n", 0.38),
        option("<line>\n<line>\n", 0.2),
        option("<line>\n<line>\n<line>\n", 0.15),
        option("<line>\n<line>\n<line>\n<line>\n", 0.1),
        option("<line>\n<line>\n<line>\n<line>\n<lines>", 0.02),
        option("<line><hardbreak><line>\n", 0.12),
        # Documentation lines often end in a space, which the HTML drops.
        option("<line> \n<line>\n", 0.02),
        option("<line> \n", 0.01),
        # Indented lines continue a paragraph (mkdocs' admonitions are such paragraphs here).
        "<line>\n    <line>\n",
        "!!! <word>\n    <line>\n",
        "!!! <word>\n    <line>\n    <line>\n",
    ],
    # Samples' paragraphs, lists and lines run as long as their authors make them: the recursive
    # rules let them parse, so that their fragments and their mined probabilities carry their lengths.
    "<lines>": [option("<line>\n", 0.6), "<line>\n<lines>"],
    "<hardbreak>": ["  \n", "\\\n"],
    "<atx>": [
        option("<hashes> <line>\n", 0.85),
        option("<hashes> <line> <closing>\n", 0.15),
    ],
    "<hashes>": [option("#", 0.3), option("##", 0.25), option("###", 0.2), "####", "#####", "######"],
    "<closing>": ["#", "##", "###"],
    "<setext>": [option("<line>\n<underline>\n", 0.8), "<line>\n<line>\n<underline>\n"],
    "<underline>": ["===", "=====", "---", "-----"],
    "<fenced>": [
        option("```\n<codelines>```\n", 0.45),
        option("```<info>\n<codelines>```\n", 0.4),
        # Documentation sites' fences say more than the language (mkdocs: a title, lines to
        # highlight); the HTML keeps the language alone.
        "```<info> <attributes>\n<codelines>```\n",
        "~~~\n<codelines>~~~\n",
    ],
    "<info>": ["python", "bash", "json", "text", "pycon", "console", "yaml", "toml", "sh", "ini", "html", "js"],
    # Their keys and values are words to the tokenizer, as in the samples (`title="app.py"`).
    "<attributes>": ['<word>="<word>"', '<word>="<word> <word>"', 'title="<word>.<word>"',
                     'hl_lines="<digit>-<digit>"', 'linenums="1"', '<word>="<word>" hl_lines="<digit> <digit>"',
                     "<word>"],
    "<digit>": ["1", "2", "3", "4", "7", "8", "12"],
    "<codelines>": [option("<codeline>", 0.55), "<codeline><codelines>"],
    "<codeline>": [
        option("<codetext>\n", 0.7), "    <codetext>\n", "  <codetext>\n", "        <codetext>\n", "\n",
    ],
    "<indented>": [
        option("    <codetext>\n", 0.4),
        "    <codetext>\n    <codetext>\n",
        "    <codetext>\n\n    <codetext>\n",
        "    <codetext>\n      <codetext>\n",
    ],
    # Markup inside a code block stays as written: documentation shows Markdown in code blocks.
    "<codetext>": [
        option("<text>", 0.55), option("<text> <codesym> <text>", 0.2), option("<codesym><text>", 0.15),
        "<text> `<text>` <text>", "[<text>]<lp><url><rp>", "<st><text><st> <text>",
        "<text><codesym><codetext>", "<codesym><codetext>",
    ],
    "<codesym>": [
        "<lt>", "<gt>", "&", "*", "_", '"', "#", "[", "]", "=", "<lp>", "<rp>", "{", "}", ":",
        ".", ",", "/", "-", "'", "<plus>", "%", "$", "|", "!", "~", "@", ";", "?", "--",
    ],
    "<hr>": ["***\n", "---\n", "___\n", "* * *\n", "- - -\n", "_____\n", "----------\n"],
    # ---- container blocks (each nesting depth spelled out, so every line gets its prefix)
    # Quotes indented past the marker ("> " and up to three more spaces) are still paragraphs.
    "<quote>": [option("> <qbody>", 0.94), ">    <line>\n", ">    <line>\n>    <line>\n", ">   <line>\n> <line>\n"],
    "<qbody>": [
        option("<line>\n", 0.3),
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
    # Another bullet character starts another list.
    "<ulist>": [option("<dash_items>", 0.57), "<star_items>", "<plus_items>", option("<mixed_items>", 0.03)],
    "<mixed_items>": ["- <item><plus> <item>", "- <item><st> <item>", "<st> <item>- <item>", "- <item>- <item><plus> <item>"],
    "<dash_items>": [
        option("- <item>", 0.35),
        option("- <item>- <item>", 0.3),
        "- <item>- <item>- <item>",
        "- <item>\n- <item>",  # loose
        "- <item>- <item>- <item><dash_items>",
    ],
    "<star_items>": [option("* <item>", 0.4), "* <item><st> <item>", "* <item>\n* <item>", "* <item><star_items>"],
    "<plus_items>": [option("+ <item>", 0.4), "+ <item><plus> <item>", "+ <item>\n+ <item>"],
    "<item>": [
        option("<line>\n", 0.6),
        "<line>\n  - <line>\n",
        "<line>\n  - <line>\n  - <line>\n",
        "<line>\n  - <line>\n    - <line>\n",
        "<line>\n  1. <line>\n",
        "<line>\n\n  <line>\n",  # second paragraph
        # An item's text runs on over lines indented to it (or not: lazy continuation).
        option("<line>\n  <line>\n", 0.08),
        "<line>\n  <line>\n  <line>\n",
        "<line>\n<line>\n",
        "<hashes> <line>\n",
        "> <line>\n",
    ],
    "<olist>": [option("<dot_items>", 0.67), "<paren_items>", option("<onum>. <oitem><onum><rp> <oitem>", 0.03)],
    "<dot_items>": [
        option("<onum>. <oitem>", 0.35),
        option("<onum>. <oitem><onum>. <oitem>", 0.3),
        "<onum>. <oitem><onum>. <oitem><onum>. <oitem>",
        "<onum>. <oitem>\n<onum>. <oitem>",
        "<onum>. <oitem><onum>. <oitem><onum>. <oitem><dot_items>",
    ],
    "<paren_items>": [option("<onum><rp> <oitem>", 0.5), "<onum><rp> <oitem><onum><rp> <oitem>"],
    "<onum>": [option("1", 0.6), "2", "3", "5", "9"],
    "<oitem>": [
        option("<line>\n", 0.7),
        "<line>\n   - <line>\n",
        "<line>\n   1. <line>\n",
        "<line>\n\n   <line>\n",
        "<line>\n   <line>\n",
    ],
    # ---- inlines
    "<line>": [
        option("<text>", 0.3),
        option("<text> <span>", 0.2),
        option("<span> <text>", 0.12),
        option("<text> <span> <text>", 0.2),
        "<span>",
        "<text> <span> <text> <span>",
        "<text> <span><punct>",
        "<text> <span><punct> <text>",
        "<text> <span> <line>",
        "<text> <span><punct> <line>",
        "<span> <line>",
        "<span><punct> <line>",
        "<span><punct>",
        "<text> / <line>",
        # "`key` - what it is", as lists of options and fields write it
        "<span> - <line>",
        # "!" ends no text run (it could open an image)
        "<text>!",
        "<text>! <line>",
    ],
    "<punct>": [".", ",", ":", ";", "!", "?", "<rp>"],
    "<text>": [option("<word>", 0.4), option("<word> <word>", 0.35), "<word> <word> <word>"],
    "<word>": WORDS,
    "<span>": [
        option("<emph>", 0.16),
        option("<strong>", 0.14),
        option("<code>", 0.14),
        option("<link>", 0.16),
        option("<image>", 0.09),
        option("<autolink>", 0.09),
        option("<escape>", 0.09),
        option("<entity>", 0.08),
        option("<unmatched>", 0.03),
        "<lp><text><rp>",
        "<tagged>",
        "<lp><text>: <autolink><rp>",
        "<lp><tagged><rp>",
        # Quotes, which the HTML writes `&quot;`.
        '"<text>"',
        '"<text> <span> <text>"',
        "<rawhtml>",
    ],
    # Inline HTML stays as written (the commonmark preset passes it), quotes and all.
    # Tags and attribute names are markup to the tokenizers (HTML_TAG, HTML_ATTR), their values content.
    "<rawhtml>": [
        '<lt>a href="<url>"<gt><text><lt>/a<gt>',
        '<lt>a href="<url>" target="_<word>"<gt><text><lt>/a<gt>',
        '<lt>img src="<url>" alt="<word>"<gt>',
        '<lt>img src="<url>" width="<digit>0"<gt>',
        '<lt>span class="<word>"<gt><text><lt>/span<gt>',
        "<lt>kbd<gt><word><lt>/kbd<gt>",
        "<lt>sup<gt><word><lt>/sup<gt>",
        "<lt>br<gt>",
    ],
    # A delimiter without a partner stays as written ("`foo", "a * b", "[note"): without these a
    # model takes every backtick for a code span and every star for emphasis.
    "<unmatched>": ["`<text>", "<text>`", "<st><text>", "<text> <st> <text>", "_<text>", "[<text>", "<text>]",
                    # a reference link whose definition is in another block
                    "[<text>][<word>]"],
    # Issue and user references as in changelogs: "#270", "@name".
    "<tagged>": ["#<word>", "@<word>"],
    "<emph>": [option("*<text><st>", 0.5), "_<text>_", "*<text> <st><st><text><st><st> <text><st>"],
    "<strong>": [option("**<text><st><st>", 0.5), "__<text>__", "**<text> *<text><st> <text><st><st>"],
    # Code as documentation writes it: identifiers, options, calls, settings, paths.
    "<code>": [
        option("`<text>`", 0.3),
        option("`<codeword>`", 0.3),
        "`<text> <codesym> <text>`",
        "`` <text> ` <text> ``",
        "`<codeword> <codesym> <codeword>`",
    ],
    "<codeword>": [
        "<word>_<word>", "--<word>", "--<word>-<word>", "<word><lp><rp>", "<word><lp><word><rp>",
        "<word>.<word>", "<word>.<word><lp><rp>", "<word>=<word>", "[<word>]", "__<word>__", "<st><word>",
        "<word>/<word>.<word>", "$ <word> <word>", "@<word>",
    ],
    "<link>": [
        option("[<text>]<lp><target><rp>", 0.45),
        option('[<text>]<lp><target> "<text>"<rp>', 0.25),
        "[<code>]<lp><target><rp>",
        "[<emph>]<lp><target><rp>",
        "[<tagged>]<lp><target><rp>",
        "[<url>]<lp><url><rp>",
    ],
    "<image>": [option("![<text>]<lp><target><rp>", 0.6), '![<text>]<lp><target> "<text>"<rp>'],
    # A link's target: a URL, or (as documentation sites link their own pages) a path or an anchor.
    "<target>": [option("<url>", 0.75), option("<path>", 0.15), "#<anchor>"],
    "<path>": [
        "<word>.md", "<word>/<word>.md", "<word>/", "<word>/<word>/", "../<word>.md", "<word>.md#<anchor>",
        "<word>.html", "<word>/<anchor>", "<word>/index.md", "<word>/<word>.png", "./<word>.svg",
    ],
    "<anchor>": [option("<word>", 0.4), "<word>-<word>", "<word>-<word>-<word>", "<word>_<word>"],
    "<autolink>": [option("<lt><url><gt>", 0.7), "<lt><email><gt>"],
    "<escape>": ["\\*", "\\_", "\\#", "\\[", "\\`", "\\<lt>", "\\&", "\\\\", "\\<gt>"],
    "<entity>": ["&amp;", "&lt;", "&gt;", "&quot;", "&copy;", "&nbsp;", "&#35;", "&#42;", "&#x26;", "&"],
    "<url>": [
        option("<scheme>://<host>", 0.3),
        option("<scheme>://<host>/<word>", 0.45),
        "<scheme>://<host>/<word>/<word>",
    ],
    "<scheme>": ["http", "https"],
    "<host>": ["example.com", "foo.org", "test.net", "a.io"],
    "<email>": ["<word>@<host>"],
})


# --------------------------------------------------------------------------------------------
# Tokenizers. Priorities: markup, URL, EMAIL 4-5 > TEXT 3 > whitespace 2 > catch-all -1. lark's
# basic lexer tries terminals by priority first (then by longest possible match), so markup wins
# over TEXT where both match; ANY makes every string tokenize.
# --------------------------------------------------------------------------------------------

# A run of words joined by single spaces (or " - "), each word `WORD_CHAR`s with inner
# punctuation ("don't", "e.g.", "a/b", "f(x)") and some leading/trailing punctuation. Such a run
# is spelled the same in the Markdown and in the HTML (no "&", "<", ">", '"', "*", "_", "`",
# "[", "]", "!", "\\", which markup or HTML escaping changes), so one placeholder stands for it.
_WORD = rf"[(']?{WORD_CHAR}+(?:[.,:;?'\/()=+#@%-]+{WORD_CHAR}+)*[.,:;?')]*"
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

# A code span's text is copied into <code>...</code> escaped: one placeholder stands for it,
# whatever it holds (`snake_case`, `--flag`, `f(x)`, `[extra]`, which as words and markup would
# read as emphasis, links and punctuation; `d["k"]`, which the HTML writes `d[&quot;k&quot;]`:
# the output tokenizer reads CODE and CODELINE as escaped). Where it starts or ends with a space
# (which CommonMark may strip) it is left to the other terminals. The lexer has no state: a
# text between two spans on one line ("`a`/`b`") is taken for code too; a space on either side
# of it ("`a` and `b`", the usual case) keeps it text.
_CODE = r"""[^`\s](?:[^`\n]*[^`\s])?"""
_HTML_CODE = r"""[^`\s<](?:[^`\n<]*[^`\s<])?"""

# A link's target that is no URL (a path, an anchor: `docs/index.md`, `#usage`) is one placeholder,
# LINK_n, spelled alike in the Markdown's "](...)" and the HTML's href (or src): characters that
# markdown-it percent-encodes, or HTML escapes ("&"), are left to the other terminals (pandoc's
# subjects call theirs PATH; pandoc percent-encodes less).
_LINK = r"""(?![A-Za-z][A-Za-z0-9+.-]*:)(?:[A-Za-z0-9;\/?:@=+$,_.!~*'#-]|%[0-9A-Fa-f]{2})+"""
# A fenced code block's language (the info string's first word, the HTML's "language-..." class)
# is one placeholder, LANG_n, whatever follows it on the fence line.
_LANG = r"""[^\s`"&<>]+"""

# Inline HTML, which markdown-it passes as written: a tag's name and its usual attributes' names
# are markup (`<a`, `href="`), on both sides, so that a tag never hides in a TEXT run ("a href")
# whose words the model cannot see. A tag's name ends at a space, "/" or ">" (an autolink's
# "<http:" is no tag). The lexer does not check that an open tag's rest follows, as CommonMark
# does: "x <y z" (text to markdown-it, `&lt;y` in the HTML) takes "<y" for a tag too.


def _html_markup(tag_priority: int, attr_priority: int) -> str:
    """Terminals for inline HTML's tags and attribute names. In the HTML a tag's name ranks below
    the program's own markup, which takes `<a href="` whole, and an attribute's name above TEXT."""
    return rf"""
HTML_TAG.{tag_priority}: /<\/?[A-Za-z][A-Za-z0-9]*(?=[\s\/>])/
HTML_ATTR.{attr_priority}: /(?<=[ \n])(?:href|src|alt|title|target|width|height|align|class|id|rel|style)="/"""


INPUT_TERMINALS = _CONTENT + rf"""
CODE.6: /(?<=`){_CODE}(?=`)/
LINK.5: /(?<=\]\(){_LINK}(?=\)| ")/
LANG.6: /(?<=```|~~~){_LANG}/""" + _html_markup(5, 5) + r"""
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

OUTPUT_TERMINALS = _CONTENT + rf"""
CODE.6: /(?<=<code>){_HTML_CODE}(?=<\/code>)/
LINK.5: /(?:(?<=<a href=")|(?<=<img src=")){_LINK}(?=")/
LANG.6: /(?<=class="language-){_LANG}(?=")/""" + _html_markup(3, 4) + r"""
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

CONTENT = ("TEXT", "URL", "EMAIL", "CODE", "CODELINE", "LINK", "LANG")

# A code block's lines: CODELINE placeholders (bundled.markdown_code_blocks says where), a line
# one placeholder, its escaped characters and all.
CODE_BLOCKS = markdown_code_blocks(FENCE + r"[^\n`]*\n")
HTML_CODE_BLOCKS = html_code_blocks(r'<pre><code(?: class="[^"]*")?>')

input_tokenizer = LarkTokenizer(terminals=INPUT_TERMINALS, content=CONTENT, verbatim=CODE_BLOCKS)
output_tokenizer = LarkTokenizer(terminals=OUTPUT_TERMINALS, content=CONTENT, verbatim=HTML_CODE_BLOCKS,
                                 escaped=Escaped(("CODE", "CODELINE")))

subject = bundled_subject(
    "markdown-it",
    program=render,
    program_version="markdown-it-py==4.3.0",
    installed_version=package_version("markdown-it-py"),
    grammar=grammar,
    input_tokenizer=input_tokenizer,
    output_tokenizer=output_tokenizer,
    # 24 epochs end in about 13 minutes here: 32 use the 20 minutes a shipped model may take, for
    # the long blocks (docs/model-history.md).
    # Its lengths are left to its samples (`from_samples`: 24 open nonterminals, where 12 made its
    # long blocks rarer than in the samples); its placeholder indices stay at 32.
    training=with_rotary(MARKDOWN_TRAINING).replace(max_epochs=32, max_nonterminals=None),
    # The sample part of the package-docs corpus steers synthesis and joins training; its
    # evaluation part and the CommonMark spec are for evaluation only.
    samples=CorpusSamples(CORPORA / "docs.jsonl"),
    corpora={"commonmark-spec": "commonmark.jsonl", "package-docs": "docs.jsonl"},
    description="CommonMark Markdown block -> HTML (markdown-it-py, commonmark preset)",
)
