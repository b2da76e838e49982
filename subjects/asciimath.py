"""The bundled py-asciimath subjects: AsciiMath -> MathML, MathML -> LaTeX and LaTeX -> AsciiMath.

The three translators of py-asciimath 0.3.0, as the paper's subjects use them:

- `asciimath-mathml`: `ASCIIMath2MathML().translate(text, xml_pprint=False)`: the MathML as
  py-asciimath's transformer writes it, on one line. Its default (`xml_pprint=True`) also parses
  the result with lxml against the MathML 3 DTD it ships, which loads that DTD at every call (50 ms
  on an idle machine, over a second on a busy one, against 1-10 ms for the translation itself) and
  writes a DOCTYPE naming the DTD file of the local installation
  (`/.../site-packages/py_asciimath/dtd/mathml3/mathml3.dtd`), the one machine-specific part of
  its output. Without that round trip there is no DOCTYPE, so the output is the same on every
  machine; should one appear anyway, its path is cut to `py_asciimath/dtd/...`.
- `mathml-latex`: `MathML2Tex().translate(text)` (an XSLT stylesheet, after DTD validation).
- `latex-asciimath`: `Tex2ASCIIMath().translate(text)`.

Installing: py-asciimath pins `lark-parser`, whose module is also named `lark` and would replace
the lark 1.x this project needs. It works with lark 1.x when installed without its dependencies:
`pip install 'pytest-modelizer[asciimath]'` (lxml and docopt, what it imports) and then
`pip install --no-deps py-asciimath==0.3.0`. A missing py-asciimath fails every call with a
`ModuleNotFoundError` that names both commands.

Each translator is built once per process (about half a second each), on first use. py-asciimath
configures the root logger when imported (`logging.basicConfig(level=DEBUG)`) and logs INFO and
WARNING lines on every call: the import is done with the root logger's level and handlers put
back afterwards, and each call runs with logging of WARNING and below disabled.

Failures are behaviour: lark's `UnexpectedCharacters` / `UnexpectedToken` /
`UnexpectedEOF` for text outside the grammar py-asciimath reads (rejections: the input is outside
the program's language), lxml's `XMLSyntaxError` for MathML that `mathml-latex` finds malformed or
invalid against the DTD (it always validates, so its calls take the DTD's load time). Messages are shortened to their first line, without positions.

Content: single letters, whole numbers and decimals are placeholders (`LETTER_n`, `NUMBER_n`,
`DECIMAL_n`), in all three notations; AsciiMath's symbol names (`alpha`, `sin`, `oo`, `xx`, ...),
LaTeX commands, MathML tags and entities, operators and brackets are vocabulary. Two content
distinctions decide py-asciimath's output, so the model must see them: a decimal is an identifier
(`<mi>0.5</mi>`) where a whole number is a number (`<mn>2</mn>`), and `f` and `g` are functions
(`<mo>f</mo>`) where other letters are identifiers. Hidden in one placeholder class, they made
most of the forward model's errors. Likewise LaTeX's `\\mathbb{R}` is one token (C, N, Q, R and Z):
py-asciimath writes those five as `RR` but any other letter as `bbb(h)`. Runs of `<mrow>` (py-asciimath nests
them deeply) are one token per run.

Importing this module imports neither py-asciimath nor lxml nor torch nor fuzzingbook.
"""
from __future__ import annotations

import re

from pytest_modelizer import LarkTokenizer, Subject, package_version
from pytest_modelizer.grammar import grammar_from_templates, option, weighted
from pytest_modelizer.subjects.bundled import NO_DROPOUT, SHIPPED_TRAINING, bundled_subject

INSTALL_HINT = "pip install 'pytest-modelizer[asciimath]' && pip install --no-deps py-asciimath==0.3.0"
PROGRAM_VERSION = "py-asciimath==0.3.0"

# --------------------------------------------------------------------------------------------
# The programs
# --------------------------------------------------------------------------------------------

_TRANSLATORS: dict = {}  # class name -> translator, built once per process


def _import_translators():
    """py-asciimath's translator module, imported without letting it take over the root logger."""
    import logging

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        from py_asciimath.translator import translator
    except ImportError as exc:
        raise ModuleNotFoundError(f"py-asciimath is not installed ({exc}); install it with: {INSTALL_HINT}") from None
    finally:
        root.setLevel(level)
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
    return translator


def _translator(name: str):
    """The translator class `name` of py-asciimath, built on first use in this process."""
    found = _TRANSLATORS.get(name)
    if found is None:
        found = _TRANSLATORS[name] = getattr(_import_translators(), name)()
    return found


class _Quiet:
    """Disables logging of WARNING and below for the duration of a call (py-asciimath logs on each)."""

    def __enter__(self):
        import logging

        self._previous = logging.root.manager.disable
        logging.disable(logging.WARNING)

    def __exit__(self, *exc):
        import logging

        logging.disable(self._previous)


_SHORT_TYPES: dict = {}


def _short(exc: Exception) -> Exception:
    """An exception of the same type name (a subclass where the type takes other arguments, as
    lark's do) whose message is the first line of `exc`'s, without line and column numbers."""
    first = (str(exc).strip().splitlines() or [""])[0]
    first = re.sub(r",? (?:at )?line \d+(?:,? col(?:umn)? \d+\.?)?|,? \(<string>, line \d+\)", "", first).strip()
    base = type(exc)
    short = _SHORT_TYPES.get(base)
    if short is None:
        def __init__(self, message):
            Exception.__init__(self, message)
            self.message = message

        def __str__(self):
            return self.message

        short = _SHORT_TYPES[base] = type(base.__name__, (base,), {"__init__": __init__, "__str__": __str__})
    return short(first)


# The DTD path in py-asciimath's MathML: everything up to its package folder is this machine's.
_DOCTYPE = re.compile(r'(<!DOCTYPE math SYSTEM ")[^"]*?[/\\](py_asciimath[/\\]dtd[/\\][^"]*")')


def normalize_doctype(mathml: str) -> str:
    """`mathml` with the DTD path of a DOCTYPE written by py-asciimath cut to `py_asciimath/dtd/...`.

    Its validated output names the DTD file of the local installation; the program does not
    validate, so this is a guard should a DOCTYPE appear (and what its tests check).
    """
    return _DOCTYPE.sub(lambda m: m.group(1) + m.group(2).replace("\\", "/"), mathml)


def asciimath_to_mathml(text: str) -> str:
    """py-asciimath's MathML for an AsciiMath expression, on one line, without the DTD round trip."""
    translator = _translator("ASCIIMath2MathML")
    try:
        with _Quiet():
            out = translator.translate(text, xml_pprint=False)
    except Exception as exc:  # noqa: BLE001 - lark's and lxml's errors, shortened
        raise _short(exc) from None
    return normalize_doctype(out)


def mathml_to_latex(text: str) -> str:
    """py-asciimath's LaTeX for a MathML expression (validated against its MathML 3 DTD)."""
    translator = _translator("MathML2Tex")
    try:
        with _Quiet():
            return translator.translate(text)
    except Exception as exc:  # noqa: BLE001
        raise _short(exc) from None


def latex_to_asciimath(text: str) -> str:
    """py-asciimath's AsciiMath for a LaTeX expression."""
    translator = _translator("Tex2ASCIIMath")
    try:
        with _Quiet():
            return translator.translate(text)
    except Exception as exc:  # noqa: BLE001
        raise _short(exc) from None


# --------------------------------------------------------------------------------------------
# Tokenizer: one set of terminals for the three notations (each model's vocabulary holds only
# what its pairs use). Priorities: DOCTYPE, <mrow> runs 6 > tags, entities, LaTeX commands 5 >
# AsciiMath symbol names, operators, brackets 4 > content 3 > whitespace 2 > catch-all -1.
# --------------------------------------------------------------------------------------------

# AsciiMath's symbol names (and the function names the three notations share). Longer first, so
# that `int` is not `in` followed by a letter; a name followed by letters is still the name, as
# AsciiMath reads `sinx` (`sin` and `x`).
SYMBOL_NAMES = sorted(set("""
alpha beta gamma Gamma delta Delta epsilon varepsilon zeta eta theta Theta vartheta iota kappa lambda
Lambda mu nu xi Xi pi Pi rho sigma Sigma tau upsilon phi Phi varphi chi psi Psi omega Omega
sin cos tan sec csc cot arcsin arccos arctan sinh cosh tanh sech csch coth exp log ln det dim mod gcd
lcm lub glb min max lim sum prod int oint oo del grad aleph
f g
sqrt root frac stackrel overset underset text hat bar ul vec dot ddot ubrace obrace cancel
abs floor ceil norm bb bbb cc tt fr sf color
xx ox uu nn vv ^^ uuu nnn vvv ^^^ in sub sup sube supe prec succ and or not if AA EE TT bot top
uarr darr rarr larr harr rArr lArr hArr to implies iff mapsto
dx dy dz dt quad cdots vdots ddots ldots diamond square RR ZZ NN QQ CC
""".split()), key=lambda s: (-len(s), s))

_NAMES = "|".join(re.escape(s) for s in SYMBOL_NAMES)

TERMINALS = rf"""
DOCTYPE.6: /<!DOCTYPE[^>]*>/
MROWS.6: /(?:<mrow>){{2,}}|(?:<\/mrow>){{2,}}/
TAG.5: /<\/?m[a-z]+(?:\s+[A-Za-z:]+=(?:"[^"]*"|'[^']*'))*\s*\/?>/
ARRAY.5: /\{{(?:array|matrix|pmatrix|bmatrix|vmatrix|cases)\}}(?:\{{[clr|]+\}})?/
ENTITY.5: /&(?:[A-Za-z]+|#[0-9]+|#x[0-9A-Fa-f]+);/
COMMAND.5: / ?\\(?:(?:le|ge|ne)(?=q)|[A-Za-z]+|[^A-Za-z\n]) ?/
NAME.4: /{_NAMES}/
OP.4: / ?(?:<=>|<=|>=|!=|->|=>|\|->|\+-|-:|-=|~~|\*\*\*|\*\*|\/\/|o\+|o\.|!in|\.\.\.|O\/|[-+*\/=<>,:@|!~]) ?/
BRACE.4: /[_^]\{{|\}}\{{|[{{}}]/
PUNCT.4: /[()\[\]_^&$'.;]/
NUMBER.3: /[0-9]+(?![0-9]|\.[0-9])/
DECIMAL.3: /[0-9]+\.[0-9]+/
LETTER.3: /[A-Za-z]/
SPACES.2: /[ \t]+/
NL.2: /\r?\n/
ANY.-1: /[\s\S]/
"""

CONTENT = ("LETTER", "NUMBER", "DECIMAL")

tokenizer = LarkTokenizer(terminals=TERMINALS, content=CONTENT)
# py-asciimath writes `\mathbb{R}` as `RR` (likewise C, N, Q, Z) but `\mathbb{h}` as `bbb(h)`: with the
# letter a placeholder the model could not tell which. LaTeX inputs keep those five as one token.
latex_tokenizer = LarkTokenizer(terminals=TERMINALS + r"BLACKBOARD.6: /\\mathbb\{[CNQRZ]\}/" + "\n", content=CONTENT)


# --------------------------------------------------------------------------------------------
# Grammars (fuzzingbook format), written as templates (pytest_modelizer.grammar): `⟨name⟩` is
# the nonterminal `<name>`, every other character literal ("(", ")", "+", "*", "<", ">", "?"
# get their own symbols). Nesting is bounded: an inner position takes a non-recursive symbol.
# Rare alternatives reach the places where py-asciimath fails.
# --------------------------------------------------------------------------------------------

LETTERS = ["x", "y", "z", "a", "b", "c", "n", "k", "t", "f", "A", "B", "u", "v", "m", "i"]
NUMBERS = ["0", "1", "2", "3", "4", "5", "10", "12", "100", "0.5", "3.14", "2.5"]
GREEK = ["alpha", "beta", "gamma", "delta", "epsilon", "theta", "lambda", "mu", "pi", "rho", "sigma", "tau",
         "phi", "omega", "Gamma", "Delta", "Omega", "Sigma"]
WORDS = ["so", "else", "when", "hence", "we"]  # text(...) content: words without a symbol name in them

_SHARED = {
    "letter": LETTERS,
    "number": NUMBERS,
    "word": WORDS,
}

asciimath_grammar = grammar_from_templates({
    "start": [option("⟨expr⟩", 0.95), "⟨bad⟩"],
    "expr": [
        option("⟨term⟩", 0.14),
        option("⟨term⟩⟨op⟩⟨term⟩", 0.26),
        option("⟨term⟩⟨rel⟩⟨term⟩", 0.2),
        option("⟨term⟩⟨op⟩⟨term⟩⟨rel⟩⟨term⟩", 0.1),
        option("⟨term⟩⟨op⟩⟨term⟩⟨op⟩⟨term⟩", 0.08),
        option("⟨big⟩ ⟨term⟩", 0.1),
        "⟨term⟩ ⟨term⟩",
        "⟨term⟩, ⟨term⟩",
    ],
    "term": [
        option("⟨factor⟩", 0.32),
        option("⟨factor⟩/⟨factor⟩", 0.1),
        option("⟨factor⟩^⟨sub⟩", 0.12),
        option("⟨factor⟩_⟨sub⟩", 0.08),
        option("⟨factor⟩_⟨sub⟩^⟨sub⟩", 0.04),
        option("⟨fn⟩ ⟨atom⟩", 0.06),
        option("⟨fn⟩(⟨inner⟩)", 0.08),
        option("-⟨factor⟩", 0.03),
        "⟨fn⟩^⟨atom⟩(⟨atom⟩)",
        "log_⟨atom⟩ ⟨atom⟩",
        "⟨number⟩⟨letter⟩",
        "⟨letter⟩⟨letter⟩",
        "⟨atom⟩!",
    ],
    "factor": [
        option("⟨atom⟩", 0.45),
        option("(⟨inner⟩)", 0.12),
        option("sqrt(⟨inner⟩)", 0.06),
        option("sqrt ⟨atom⟩", 0.03),
        option("root(⟨number⟩)(⟨inner⟩)", 0.03),
        option("frac(⟨inner⟩)(⟨inner⟩)", 0.03),
        option("[⟨inner⟩]", 0.03),
        option("{⟨inner⟩}", 0.02),
        option("abs(⟨inner⟩)", 0.03),
        option("⟨accent⟩(⟨atom⟩)", 0.04),
        option("⟨accent⟩ ⟨atom⟩", 0.02),
        option("text(⟨word⟩)", 0.02),
        option("oo", 0.02),
        "⟨matrix⟩",
        "⟨font⟩(⟨letter⟩)",
        "floor(⟨atom⟩)",
        "ceil(⟨atom⟩)",
        "(⟨inner⟩]",
        "{:⟨inner⟩:}",
        "|⟨atom⟩|",
    ],
    "inner": [
        option("⟨atom⟩", 0.3),
        option("⟨atom⟩⟨op⟩⟨atom⟩", 0.35),
        option("⟨atom⟩, ⟨atom⟩", 0.1),
        option("⟨atom⟩^⟨atom⟩", 0.08),
        "⟨atom⟩⟨rel⟩⟨atom⟩",
        "⟨atom⟩/⟨atom⟩",
        "⟨atom⟩⟨op⟩⟨atom⟩⟨op⟩⟨atom⟩",
    ],
    "sub": [option("⟨atom⟩", 0.6), "(⟨atom⟩⟨op⟩⟨atom⟩)", "(⟨letter⟩=⟨number⟩)", "⟨letter⟩⟨letter⟩"],
    "atom": [option("⟨letter⟩", 0.55), option("⟨number⟩", 0.3), "⟨greek⟩"],
    "big": [
        "sum_(⟨letter⟩=⟨number⟩)^⟨atom⟩", "prod_(⟨letter⟩=⟨number⟩)^⟨atom⟩", "int_⟨atom⟩^⟨atom⟩", "int",
        "lim_(⟨letter⟩->⟨limit⟩)", "sum_⟨letter⟩", "oint_⟨letter⟩",
    ],
    "limit": ["oo", "0", "⟨letter⟩", "-oo"],
    "matrix": ["[[⟨atom⟩,⟨atom⟩],[⟨atom⟩,⟨atom⟩]]", "((⟨atom⟩,⟨atom⟩),(⟨atom⟩,⟨atom⟩))", "[(⟨atom⟩),(⟨atom⟩)]"],
    "op": [*weighted(["+", " + ", "-", " - "], 0.5), *weighted(["*", " * ", " xx ", " -: ", "//", " +- "], 0.3),
           " ** ", " @ ", " o+ ", " ox ", " uu ", " nn ", " and ", " or "],
    "rel": [*weighted(["=", " = "], 0.4), " != ", " < ", " > ", " <= ", " >= ", " -> ", " => ", " in ", " !in ",
            " ~~ ", " -= ", " sub ", " sube ", " rarr ", " iff ", " |-> "],
    "fn": ["sin", "cos", "tan", "log", "ln", "exp", "det", "max", "min", "f", "g", "sinh", "arcsin", "cot"],
    "accent": ["hat", "bar", "vec", "dot", "ddot", "ul", "tilde"],
    "font": ["bb", "bbb", "cc", "tt", "fr", "sf"],
    "greek": GREEK,
    "bad": [
        "(⟨inner⟩", "⟨atom⟩^", "⟨atom⟩_", "sqrt", "frac(⟨atom⟩)", "root(⟨number⟩)", "⟨inner⟩)", "⟨atom⟩/",
        "[[⟨atom⟩,⟨atom⟩],[⟨atom⟩]]", "text(⟨word⟩", "⟨atom⟩ # ⟨atom⟩", "⟨atom⟩ ? ⟨atom⟩",
    ],
    **_SHARED,
})

latex_grammar = grammar_from_templates({
    "start": [option("⟨expr⟩", 0.9), option("$⟨expr⟩$", 0.05), "⟨bad⟩"],
    "expr": [
        option("⟨term⟩", 0.14),
        option("⟨term⟩⟨op⟩⟨term⟩", 0.26),
        option("⟨term⟩⟨rel⟩⟨term⟩", 0.2),
        option("⟨term⟩⟨op⟩⟨term⟩⟨rel⟩⟨term⟩", 0.1),
        option("⟨term⟩⟨op⟩⟨term⟩⟨op⟩⟨term⟩", 0.08),
        option("⟨big⟩ ⟨term⟩", 0.1),
        "⟨term⟩ ⟨term⟩",
        "⟨term⟩, ⟨term⟩",
    ],
    "term": [
        option("⟨factor⟩", 0.32),
        option("⟨factor⟩^{⟨inner⟩}", 0.1),
        option("⟨factor⟩^⟨digit⟩", 0.05),
        option("⟨factor⟩_{⟨inner⟩}", 0.07),
        option("⟨factor⟩_⟨letter⟩", 0.03),
        option("⟨factor⟩_{⟨atom⟩}^{⟨atom⟩}", 0.04),
        option("⟨fn⟩ ⟨atom⟩", 0.06),
        option("⟨fn⟩\\left(⟨inner⟩\\right)", 0.06),
        option("⟨fn⟩{⟨inner⟩}", 0.03),
        "⟨fn⟩^{⟨digit⟩} ⟨atom⟩",
        "\\log_{⟨atom⟩} ⟨atom⟩",
        "⟨number⟩⟨letter⟩",
        "⟨letter⟩ ⟨letter⟩",
        "-⟨factor⟩",
        "⟨atom⟩!",
    ],
    "factor": [
        option("⟨atom⟩", 0.42),
        option("\\frac{⟨inner⟩}{⟨inner⟩}", 0.1),
        option("\\sqrt{⟨inner⟩}", 0.06),
        option("\\sqrt[⟨number⟩]{⟨inner⟩}", 0.03),
        option("\\left(⟨inner⟩\\right)", 0.07),
        option("(⟨inner⟩)", 0.05),
        option("\\left[⟨inner⟩\\right]", 0.02),
        option("\\left|⟨inner⟩\\right|", 0.02),
        option("{⟨inner⟩}", 0.02),
        option("⟨accent⟩{⟨atom⟩}", 0.04),
        option("\\text{⟨word⟩}", 0.02),
        option("\\mathrm{⟨word⟩}", 0.01),
        option("\\infty", 0.02),
        "\\mathbb{⟨capital⟩}",
        "\\mathbb{⟨letter⟩}",
        "\\begin{matrix}⟨atom⟩ & ⟨atom⟩ \\\\ ⟨atom⟩ & ⟨atom⟩\\end{matrix}",
        "\\left\\{⟨inner⟩\\right\\}",
        "\\left.⟨inner⟩\\right|",
    ],
    "inner": [
        option("⟨atom⟩", 0.3),
        option("⟨atom⟩⟨op⟩⟨atom⟩", 0.35),
        option("⟨atom⟩, ⟨atom⟩", 0.1),
        option("⟨atom⟩^{⟨atom⟩}", 0.08),
        "⟨atom⟩⟨rel⟩⟨atom⟩",
        "\\frac{⟨atom⟩}{⟨atom⟩}",
        "⟨atom⟩⟨op⟩⟨atom⟩⟨op⟩⟨atom⟩",
    ],
    "atom": [option("⟨letter⟩", 0.55), option("⟨number⟩", 0.3), "\\⟨greek⟩"],
    "big": [
        "\\sum_{⟨letter⟩=⟨number⟩}^{⟨atom⟩}", "\\prod_{⟨letter⟩=⟨number⟩}^{⟨atom⟩}", "\\int_{⟨atom⟩}^{⟨atom⟩}",
        "\\int", "\\lim_{⟨letter⟩ \\to ⟨limit⟩}", "\\sum_{⟨letter⟩}", "\\oint",
    ],
    "limit": ["\\infty", "0", "⟨letter⟩", "-\\infty"],
    "op": [*weighted(["+", " + ", "-", " - "], 0.5),
           *weighted([" \\cdot ", "\\cdot ", " \\times ", " \\div ", " \\pm ", "/"], 0.3),
           " \\circ ", " \\ast ", " \\oplus ", " \\otimes ", " \\cup ", " \\cap ", " \\star "],
    "rel": [*weighted(["=", " = "], 0.4), " \\ne ", " < ", " > ", " \\le ", " \\ge ", " \\to ", " \\in ",
            " \\notin ", " \\approx ", " \\equiv ", " \\subset ", " \\subseteq ", " \\rightarrow ", " \\leq ",
            " \\geq ", " \\neq "],
    "fn": ["\\sin", "\\cos", "\\tan", "\\log", "\\ln", "\\exp", "\\det", "\\max", "\\min", "\\sinh", "\\cot"],
    "accent": ["\\hat", "\\vec", "\\overline", "\\dot", "\\ddot"],
    "capital": ["R", "N", "Z", "Q", "C"],
    "digit": ["2", "3", "n", "k"],
    "greek": GREEK,
    # Constructs py-asciimath does not read: unknown commands, missing arguments, unbalanced braces.
    "bad": [
        "\\bar{⟨atom⟩}", "\\tilde{⟨atom⟩}", "\\binom{⟨atom⟩}{⟨atom⟩}", "⟨atom⟩ \\mp ⟨atom⟩",
        "⟨atom⟩ \\Rightarrow ⟨atom⟩", "⟨atom⟩ \\lt ⟨atom⟩", "\\frac{⟨atom⟩}", "\\sqrt ⟨atom⟩", "{⟨inner⟩",
        "⟨atom⟩^", "\\left(⟨inner⟩", "⟨atom⟩ \\sim ⟨atom⟩",
    ],
    **_SHARED,
})

_MATH = '<math xmlns="http://www.w3.org/1998/Math/MathML">'
mathml_grammar = grammar_from_templates({
    "start": [option(_MATH + "⟨row⟩</math>", 0.75), option("<math>⟨row⟩</math>", 0.2), "⟨bad⟩"],
    "row": [
        option("⟨el⟩", 0.2),
        option("⟨el⟩⟨mo⟩⟨el⟩", 0.35),
        option("⟨el⟩⟨mo⟩⟨el⟩⟨mo⟩⟨el⟩", 0.12),
        option("<mrow>⟨el⟩⟨mo⟩⟨el⟩</mrow>", 0.1),
        "⟨el⟩⟨el⟩",
        "⟨big⟩⟨el⟩",
        "⟨fn⟩⟨el⟩",
    ],
    "el": [
        option("⟨leaf⟩", 0.34),
        option("<mfrac>⟨arg⟩⟨arg⟩</mfrac>", 0.1),
        option("<msup>⟨arg⟩⟨arg⟩</msup>", 0.1),
        option("<msub>⟨arg⟩⟨arg⟩</msub>", 0.07),
        option("<msubsup>⟨arg⟩⟨arg⟩⟨arg⟩</msubsup>", 0.03),
        option("<msqrt>⟨arg⟩</msqrt>", 0.06),
        option("<mroot>⟨arg⟩<mn>⟨number⟩</mn></mroot>", 0.03),
        option("<mrow><mo>(</mo>⟨inner⟩<mo>)</mo></mrow>", 0.08),
        option("<mover>⟨arg⟩<mo>⟨accent⟩</mo></mover>", 0.03),
        option("<mtext>⟨word⟩</mtext>", 0.02),
        "<mrow><mo>[</mo>⟨inner⟩<mo>]</mo></mrow>",
        "<mrow><mo>|</mo>⟨inner⟩<mo>|</mo></mrow>",
        "<munder>⟨arg⟩⟨arg⟩</munder>",
        "<mtable><mtr><mtd>⟨leaf⟩</mtd><mtd>⟨leaf⟩</mtd></mtr><mtr><mtd>⟨leaf⟩</mtd><mtd>⟨leaf⟩</mtd></mtr></mtable>",
        "<mfenced>⟨leaf⟩</mfenced>",
        "<mstyle displaystyle=\"true\">⟨leaf⟩</mstyle>",
    ],
    "arg": [option("⟨leaf⟩", 0.55), option("<mrow>⟨leaf⟩</mrow>", 0.15), "<mrow>⟨leaf⟩⟨mo⟩⟨leaf⟩</mrow>",
            "<mrow><mrow>⟨leaf⟩</mrow></mrow>", "<mrow><mrow>⟨leaf⟩⟨mo⟩⟨leaf⟩</mrow></mrow>"],
    "inner": [option("⟨leaf⟩", 0.35), option("⟨leaf⟩⟨mo⟩⟨leaf⟩", 0.45), "<mrow>⟨leaf⟩⟨mo⟩⟨leaf⟩</mrow>",
              "<mfrac>⟨leaf⟩⟨leaf⟩</mfrac>"],
    "leaf": [option("<mi>⟨letter⟩</mi>", 0.5), option("<mn>⟨number⟩</mn>", 0.3), "<mi>&⟨greek⟩;</mi>",
             "<mo>&⟨greek⟩;</mo>", "<mi>&infin;</mi>", "<mi>⟨letter⟩⟨letter⟩</mi>"],
    "mo": [*weighted(["<mo>+</mo>", "<mo>-</mo>", "<mo>=</mo>"], 0.6),
           "<mo>&lt;</mo>", "<mo>&gt;</mo>", "<mo>&le;</mo>", "<mo>&ge;</mo>", "<mo>&ne;</mo>",
           "<mo>&times;</mo>", "<mo>&sdot;</mo>", "<mo>&rarr;</mo>", "<mo>&isin;</mo>", "<mo>&#x2264;</mo>",
           "<mo>&#x00B1;</mo>", "<mo>/</mo>", "<mo>&leq;</mo>", "<mo>&rightarrow;</mo>", "<mo/>", "<mo>,</mo>", "<mo>&cup;</mo>", "<mo>&approx;</mo>", "<mo>*</mo>"],
    "big": ["<munderover><mo>&sum;</mo>⟨arg⟩⟨arg⟩</munderover>", "<msubsup><mo>&int;</mo>⟨arg⟩⟨arg⟩</msubsup>",
            "<munder><mo>lim</mo><mrow><mi>⟨letter⟩</mi><mo>&rarr;</mo><mi>&infin;</mi></mrow></munder>",
            "<mo>&sum;</mo>", "<mo>&prod;</mo>"],
    "fn": ["<mi>sin</mi>", "<mi>cos</mi>", "<mi>log</mi>", "<mi>ln</mi>", "<mo>sin</mo>", "<mo>exp</mo>",
           "<mi>tan</mi>"],
    "accent": ["^", "&#x2192;", "&#xAF;", "~", "."],
    "greek": [g for g in GREEK if g not in ("epsilon",)],
    # Malformed or invalid MathML: unclosed or mismatched tags, unknown elements and entities.
    "bad": [
        _MATH + "⟨leaf⟩", "<math><mi>⟨letter⟩</mo></math>", "<math><mfoo>⟨letter⟩</mfoo></math>",
        "<math><mi>&foo;</mi></math>", "<math><mi>⟨letter⟩ &lt; ⟨letter⟩</math>",
        "<math><mi><mn>⟨number⟩</mn></mi></math>", "<math>⟨leaf⟩</math><math>⟨leaf⟩</math>",
        "<math><mi>⟨letter⟩</mi> & <mi>⟨letter⟩</mi></math>", "<math><mfrac ⟨letter⟩>⟨leaf⟩</mfrac></math>",
    ],
    **_SHARED,
})

# --------------------------------------------------------------------------------------------
# Subjects
# --------------------------------------------------------------------------------------------

# A MathML output is about ten times as long as its AsciiMath (the model reads and writes at most
# 158 tokens): short inputs. A call of mathml-latex takes 50 ms on an idle machine (py-asciimath
# loads the MathML DTD at every call), several times that on a busy one: 12,000 pairs.
_TRAINING = SHIPPED_TRAINING.replace(max_epochs=40, max_minutes=20, model=NO_DROPOUT)
_EXCEPTIONS = {
    "UnexpectedCharacters": "lark.exceptions.UnexpectedCharacters",
    "UnexpectedToken": "lark.exceptions.UnexpectedToken",
    "UnexpectedEOF": "lark.exceptions.UnexpectedEOF",
    "XMLSyntaxError": "lxml.etree.XMLSyntaxError",
}
_REJECTIONS = ("UnexpectedCharacters", "UnexpectedToken", "UnexpectedEOF")

def _py_asciimath_subject(name: str, input_tokenizer: LarkTokenizer = tokenizer, **fields) -> Subject:
    """A subject of one py-asciimath translator: the version, tokenizer and exception types they share."""
    return bundled_subject(name, program_version=PROGRAM_VERSION, installed_version=package_version("py-asciimath"),
                           input_tokenizer=input_tokenizer, output_tokenizer=tokenizer, exception_types=_EXCEPTIONS,
                           **fields)


# No samples: the corpora are small (82-86 expressions), and of their sample parts (36, 44 and 40
# expressions) the grammars parse 14, 5 and none. Fragments recombined from so few would crowd out
# the grammars' inputs (msticpy-kql's models got worse that way), and the evaluation sets would
# halve. So every corpus is evaluation data as a whole: no training sees any of it.
asciimath_mathml = _py_asciimath_subject(
    "asciimath-mathml",
    program=asciimath_to_mathml,
    grammar=asciimath_grammar,
    rejections=_REJECTIONS,
    training=_TRAINING.replace(max_input_chars=60),
    corpora={"asciimath-tests": "asciimath.jsonl"},
    description="AsciiMath -> MathML (py-asciimath, one line)",
)

mathml_latex = _py_asciimath_subject(
    "mathml-latex",
    program=mathml_to_latex,
    grammar=mathml_grammar,
    rejections=("XMLSyntaxError",),
    # Every tag is three symbols for fuzzingbook ("<lt>mi<gt>"): a MathML input needs more of them.
    # 8 % of the pairs held out for validation (early stopping, best weights): 960 of 12,000. On
    # 7,360 training pairs without dropout the model learned them all (loss 0.005) and was 89.8 %
    # exact on held-out pairs: this subject keeps the default dropout.
    training=_TRAINING.replace(pairs=12000, val_fraction=0.08, max_nonterminals=40, max_input_chars=400,
                               model=SHIPPED_TRAINING.model),
    corpora={"asciimath-tests-mathml": "asciimath-mathml.jsonl"},
    description="MathML -> LaTeX (py-asciimath's XSLT)",
)

latex_asciimath = _py_asciimath_subject(
    "latex-asciimath",
    program=latex_to_asciimath,
    grammar=latex_grammar,
    input_tokenizer=latex_tokenizer,
    rejections=_REJECTIONS,
    # Many LaTeX inputs give one AsciiMath output: the inverse model's exact match on validation
    # pairs plateaus while its round trips still improve, and a patience of 8 evaluations stopped
    # it after 11 epochs. Both models run to the time limit now, on 30,000 pairs.
    training=_TRAINING.replace(pairs=30000, max_input_chars=80, patience=20),
    corpora={"asciimath-tests-latex": "asciimath-latex.jsonl"},
    description="LaTeX -> AsciiMath (py-asciimath)",
)
