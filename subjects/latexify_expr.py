"""The bundled `latexify` subject: a Python expression -> its LaTeX, as latexify-py writes it.

The program builds `def f():\\n    return <expression>` in a pseudo-file registered with
`linecache` (latexify reads a function's source with `inspect.getsource`), executes it and calls
`latexify.get_latex(f, use_signature=False)`, which is what `@latexify.expression` does: the
output is the LaTeX of the expression alone. Failures are behaviour: latexify's
`LatexifyNotSupportedError` ("Unsupported AST: Slice", "... Lambda", "... NamedExpr",
"... Starred", "... Dict", "... DictComp", "... Yield", and "... GeneratorExp" for a generator
anywhere but inside `sum()` or `math.prod()`) and `SyntaxError` for text that is not a Python expression (a
rejection: the input is outside the program's language), its message without file and line.

Content: names are split at underscores (latexify writes `my_var` as `\\mathrm{my\\_var}`), and
each piece is a `LETTER_n` (one letter: latexify writes it bare) or a `WORD_n` (longer: it goes
into `\\mathrm{...}`), so the model sees which form a name takes; numbers of two or more digits
are `NUMBER_n`; single digits, operators, keywords, `math.` and the function names latexify
renders specially (`sqrt`, `sin`, `abs`, ...) are vocabulary, as are LaTeX commands.

The grammar writes what real code writes beside what latexify renders specially: expressions
nested as Python nests them (attribute chains, calls on results, subscripts, calls in calls),
operators and commas with and without spaces around them, keyword arguments (latexify leaves
them out of its LaTeX), string literals (`\\textrm{"..."}`), displays and slices. The
sample part of the stdlib corpus (`CorpusSamples`) steers synthesis and joins training; the
fidelity benchmark measures on the other part.

Importing this module imports neither latexify nor torch nor fuzzingbook.
"""
from __future__ import annotations

from pytest_modelizer import CorpusSamples, LarkTokenizer, package_version
from pytest_modelizer.grammar import ESCAPES, option, weighted, with_escape_rules
from pytest_modelizer.subjects.bundled import CORPORA, NO_DROPOUT, SHIPPED_TRAINING, bundled_subject

_FILENAME = "<modelizer-latexify>"


def to_latex(expression: str) -> str:
    """latexify's LaTeX for one Python expression (what `@latexify.expression` shows)."""
    import ast
    import linecache
    import warnings

    import latexify

    try:
        ast.parse(expression, mode="eval")
        source = f"def f():\n    return (\n{expression}\n)\n" if "\n" in expression else f"def f():\n    return {expression}\n"
        with warnings.catch_warnings():  # e.g. "is" with a literal
            warnings.simplefilter("ignore", SyntaxWarning)
            code = compile(source, _FILENAME, "exec")
    except SyntaxError as exc:
        raise SyntaxError(exc.msg) from None  # Without the pseudo-file name and line number.
    linecache.cache[_FILENAME] = (len(source), None, source.splitlines(True), _FILENAME)
    try:
        namespace: dict = {}
        exec(code, namespace)
        return latexify.get_latex(namespace["f"], use_signature=False)
    finally:
        linecache.cache.pop(_FILENAME, None)


# --------------------------------------------------------------------------------------------
# Grammar (fuzzingbook format). Expressions nest as Python's do, one rule per precedence level
# (conditional, or, and, not, comparison, binary operators, unary operators, primaries with
# their trailers: attributes, calls and subscripts in any order), so every input is a valid
# expression, and the synthesis's nonterminal limit keeps the nesting to what fits the input
# length. The flat grammar before (a fixed list of shapes) described about three in five of the
# stdlib corpus's expressions, and the model was far less exact on the others
# (docs/model-history.md).
# The binary operators share one level: which one binds tighter does not change which strings
# are expressions, and latexify's LaTeX follows Python's own parse of the input.
# Literal "(", ")", "*", "+", "<", ">" go through their own symbols for fuzzingbook's EBNF
# conversion (pytest_modelizer.grammar). Rare alternatives use constructs latexify does not
# support (slices, lambdas, starred arguments, generators outside sum() and math.prod(), ...).
# --------------------------------------------------------------------------------------------

LETTERS = ["x", "y", "z", "a", "b", "c", "n", "k", "t", "A"]
WORDS = ["rate", "price", "total", "width", "alpha", "count", "x1", "dt", "self", "data"]
UNDERSCORED = ["x_1", "n_max", "my_var", "t_0", "_cache", "max_len"]
# Pieces of longer underscored names (`get_value_of`, `_read_buf`, `__len__`): real code has many.
# No digits: latexify writes `_0` as `\_0`, a number the input tokens do not have as content.
PIECES = ["x", "n", "i", "get", "set", "max", "len", "buf", "read", "value", "data", "name", "self", "is", "to",
          "from", "file", "size", "cache"]
NUMBERS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "12", "100", "0.5", "1.5", "2.75", "3.14", "1000"]
# The functions latexify renders specially (`\\sqrt{x}`, `\\sin x`, `\\mathrm{arcosh} x`), with or
# without `math.`: the input tokens hold them as vocabulary, and so the grammar must write them.
MATH_UNARY = ["sqrt", "sin", "cos", "tan", "exp", "log", "log10", "log2", "floor", "ceil", "fabs", "factorial", "asin",
              "atan", "sinh", "tanh", "gamma", "prod", "fsum", "acos", "acosh", "arccos", "arccot", "arccsc", "arcosh",
              "arcoth", "arcsec", "arcsch", "arcsin", "arctan", "arsech", "arsinh", "artanh", "asinh", "atanh", "cosh",
              "cot", "coth", "csc", "csch", "sec", "sech"]
MATH_OTHER = ["hypot", "atan2", "pow", "comb", "gcd", "isclose"]
MATH_CONSTANTS = ["pi", "e", "inf", "tau"]


def _names() -> list:
    """Names with probabilities: one letter (bare in LaTeX), words, underscored words."""
    return [*weighted(LETTERS, 0.5), *weighted(WORDS, 0.3), *weighted(UNDERSCORED, 0.1),
            "<underscored>"]  # the remaining 0.1


grammar: dict[str, list] = with_escape_rules({
    "<start>": [option("<expr>", 0.99), "<unsupported>"],
    # ---- precedence levels, loosest first
    "<expr>": [option("<disjunction>", 0.95), "<disjunction> if <disjunction> else <expr>"],
    "<disjunction>": [option("<conjunction>", 0.94), "<conjunction> or <disjunction>"],
    "<conjunction>": [option("<negation>", 0.94), "<negation> and <conjunction>"],
    "<negation>": [option("<comparison>", 0.96), "not <negation>"],
    "<comparison>": [option("<arith>", 0.78), option("<arith><cmp><comparison>", 0.14),
                     "<arith> <membership> <comparison>"],
    "<arith>": [option("<factor>", 0.58), "<factor><binop><arith>"],
    "<binop>": [option("<addop>", 0.5), option("<mulop>", 0.42), "<pow>"],
    "<factor>": [option("<primary>", 0.94), "<unop><factor>"],
    # ---- primaries: a name or a call latexify renders specially, then attributes, calls and
    # subscripts; literals; parenthesized expressions and displays
    "<primary>": [
        option("<name><trailers>", 0.52),
        option("<number>", 0.14),
        option("<special_call><trailers>", 0.12),
        option("<lp><expr><rp>", 0.07),
        option("<string>", 0.03),
        option("<display>", 0.02),
        option("<keyword_constant>", 0.02),
        option("math.<constant>", 0.02),
        "<string>.<name><lp><args><rp>",
        "<lp><expr><rp><trailer><trailers>",
    ],
    "<trailers>": [option("", 0.52), "<trailer><trailers>"],
    # Failures stay rare, as in real code (a slice in one of 35 stdlib expressions): in a nested
    # grammar every argument and trailer is another chance to reach one.
    "<trailer>": [option(".<name>", 0.45), option("<lp><args><rp>", 0.27), option("<lp><rp>", 0.1),
                  option("[<index>]", 0.17), "[<slice>]"],
    "<keyword_constant>": ["None", "True", "False"],
    "<special_call>": [
        option("math.<unary_fn><lp><expr><rp>", 0.34),
        option("<unary_fn><lp><expr><rp>", 0.12),
        option("math.<other><lp><expr><comma><expr><rp>", 0.1),
        option("abs<lp><expr><rp>", 0.1),
        option("<builtin><lp><args><rp>", 0.13),
        option("sum<lp><args><rp>", 0.04),
        option("range<lp><args><rp>", 0.04),
        option("sum<lp><atom> for <letter> in range<lp><name><rp><rp>", 0.1),
        # latexify renders a generator only inside sum() and math.prod(): a context-dependent failure.
        "<genfn><lp><arith> for <letter> in <name><rp>",
    ],
    # latexify leaves keyword arguments out of its LaTeX.
    "<args>": [option("<positional>", 0.88), option("<positional><comma><keywords>", 0.08), option("<keywords>", 0.03),
               "<positional><comma><star><name>"],
    "<positional>": [option("<expr>", 0.55), "<expr><comma><positional>"],
    # A second keyword no name spells: Python rejects a repeated one.
    "<keywords>": [option("<name>=<expr>", 0.8), "<name>=<expr><comma><keyword>=<expr>"],
    "<keyword>": ["key", "default", "flags"],
    "<string>": ['"<strtext>"', "'<strtext>'"],
    # Not "is": the input tokens read it as the keyword, inside quotes too, where latexify writes a word.
    "<strtext>": [option("<strpiece>", 0.4), "<strpiece> <strpiece>", "<strpiece>_<strpiece>", "<letter>", ""],
    "<strpiece>": [piece for piece in PIECES if piece != "is"],
    "<display>": [option("[<positional>]", 0.4), option("[]", 0.1), option("<lp><expr><comma><positional><rp>", 0.4),
                  "<lp><expr>,<rp>", "<lp><rp>"],
    # `get_value_of`, `_read_buf`, `__buf`, `__len__`, `_name_`: pieces joined by underscores.
    "<underscored>": [option("<piece>_<pieces>", 0.4), option("_<pieces>", 0.35), "__<pieces>", "__<pieces>__",
                      "_<pieces>_"],
    "<pieces>": [option("<piece>", 0.6), "<piece>_<pieces>"],
    "<piece>": PIECES,
    "<genfn>": ["sum", "math.prod", "min", "max", "any", "all"],
    "<index>": [option("<expr>", 0.9), "<expr><comma><expr>"],
    "<slice>": [option("<arith><colon><arith>", 0.4), option("<colon><arith>", 0.25), option("<arith><colon>", 0.25), "::<arith>",
                "<arith><colon><arith><colon><arith>", ":"],
    "<colon>": [option(":", 0.85), ": ", " : "],
    "<atom>": [option("<name>", 0.64), "<number>"],
    # Operators and commas with and without spaces around them: real code writes both (`x**2`,
    # `a / b`, `f(a,b)`), and the input tokens keep the spaces.
    "<cmp>": [option(" <cmpop> ", 0.92), "<cmpop>"],
    "<cmpop>": ["==", "!=", "<lt>", "<gt>", "<lt>=", "<gt>="],
    "<comma>": [option(", ", 0.85), ","],
    "<pow>": [option(" <star><star> ", 0.5), "<star><star>"],
    "<membership>": ["in", "not in", "is", "is not"],
    "<addop>": [option(" <add> ", 0.8), "<add>"],
    "<add>": [option("<plus>", 0.6), "-"],
    "<mulop>": [option(" <mul> ", 0.8), "<mul>"],
    "<mul>": [option("<star>", 0.34), option("/", 0.26), "//", "%", "@", "&", "|", "^", "<lt><lt>", "<gt><gt>"],
    "<unop>": [option("-", 0.8), "<plus>", "~"],
    "<unary_fn>": MATH_UNARY,
    "<other>": MATH_OTHER,
    "<constant>": MATH_CONSTANTS,
    "<builtin>": ["min", "max", "round", "pow"],
    # Constructs latexify reports as "not supported" outside a primary's trailers.
    "<unsupported>": [
        "lambda <letter>: <arith>",
        "<lp><letter> := <arith><rp>",
        "{<name>: <arith>}",
        "{<letter>: <arith> for <letter> in <name>}",
        "<lp>yield <name><rp>",
        "<name><lp><arith> for <letter> in <name><rp>",
    ],
    "<name>": _names(),
    "<letter>": LETTERS,
    "<number>": NUMBERS,
}, {**ESCAPES, "*": "<star>"})


# --------------------------------------------------------------------------------------------
# Tokenizers. Priorities: vocabulary 4-5 > content 3 > whitespace 2 > catch-all -1.
# --------------------------------------------------------------------------------------------

_SPECIAL = (
    "abs|acos|acosh|arccos|arccot|arccsc|arcosh|arcoth|arcsec|arcsch|arcsin|arctan|arsech|arsinh|"
    "artanh|asin|asinh|atan|atanh|ceil|cos|cosh|cot|coth|csc|csch|exp|fabs|factorial|floor|fsum|"
    "gamma|log|log10|log2|prod|sec|sech|sin|sinh|sqrt|sum|tan|tanh|range"
)
_CONTENT = r"""
LETTER.3: /[A-Za-z](?![A-Za-z0-9])/
WORD.3: /[A-Za-z][A-Za-z0-9]+/
DIGIT.4: /(?<![\w.])[0-9](?!\w|\.[0-9])/
NUMBER.3: /(?:[0-9]+\.(?![A-Za-z_\\])[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?[jJ]?/
SPACES.2: /[ \t]+/
NL.2: /\r?\n/
ANY.-1: /[\s\S]/
"""

INPUT_TERMINALS = _CONTENT + rf"""
MATH.5: /(?<![\w.])math\./
SPECIAL.5: /(?<!\w)(?:(?<=math\.)|(?<!\.))(?:{_SPECIAL})(?=\()/
KEYWORD.4: /(?: |(?<![\w.]))(?:not in|is not|and|or|not|if|else|in|is|lambda|for|yield|None|True|False)(?!\w) ?/
OP.4: / ?(?:\*\*|\/\/|<<|>>|<=|>=|==|!=|:=|->|[-+*\/%@&|^~<>=]) ?/
COMMA.4: /, ?/
COLON.4: /: ?/
PUNCT.4: /[()\[\]{{}}.'"_]/
"""

OUTPUT_TERMINALS = _CONTENT + r"""
FIXED.5: / ?\\(?:mathrm\{(?:math|if|otherwise|None|True|False|arcosh|arccot|arccsc|arcoth|arcsec|arcsch|arsech|arsinh|artanh|csch|sech|range)\}|begin\{array\}\{ll\}|end\{array\}|log_\{10\}|log_2) ?/
DELIM.5: / ?(?:\\math(?:open|close)\{\})?\\(?:left|right)(?:\\[{}|]|\\[lr](?:floor|ceil)|[()\[\]|.])? ?/
COMMAND.4: / ?\\(?:[A-Za-z]+|[^A-Za-z\n])(?:\{\}|\{(?! ))? ?/
BRACE.4: /[_^]\{|\}\{|\{ ?| ?\}/
OP.4: / ?(?:[-+=<>!|]|, ?|&) ?/
PUNCT.4: /[.()\[\]"]/
"""

CONTENT = ("LETTER", "WORD", "NUMBER")

input_tokenizer = LarkTokenizer(terminals=INPUT_TERMINALS, content=CONTENT)
output_tokenizer = LarkTokenizer(terminals=OUTPUT_TERMINALS, content=CONTENT)

subject = bundled_subject(
    "latexify",
    program=to_latex,
    program_version="latexify-py==0.4.4",
    installed_version=package_version("latexify-py"),
    grammar=grammar,
    input_tokenizer=input_tokenizer,
    output_tokenizer=output_tokenizer,
    rejections=("SyntaxError",),
    training=SHIPPED_TRAINING.replace(max_input_chars=120, max_epochs=40, max_minutes=20, model=NO_DROPOUT),
    exception_types={name: f"latexify.exceptions.{name}"
                     for name in ("LatexifyError", "LatexifyNotSupportedError", "LatexifySyntaxError")},
    samples=CorpusSamples(CORPORA / "stdlib_expressions.jsonl"),
    corpora={"stdlib-expressions": "stdlib_expressions.jsonl"},
    description="Python expression -> LaTeX (latexify-py, expression style)",
)
