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

The grammar writes what real code writes beside what latexify renders specially: operators and
commas with and without spaces around them, keyword arguments (latexify leaves them out of its
LaTeX), string literals (`\\textrm{"..."}`), list and tuple displays and negative indices. The
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
# Grammar (fuzzingbook format), by precedence level, so every input is a valid expression;
# bounded nesting (nested positions take the non-recursive <inner>).
# Literal "(", ")", "*", "+", "<", ">" go through their own symbols for fuzzingbook's EBNF
# conversion (pytest_modelizer.grammar; `*` is `<star>`, as in the grammar the shipped models
# were trained on). Rare alternatives use constructs latexify does not support.
# --------------------------------------------------------------------------------------------

LETTERS = ["x", "y", "z", "a", "b", "c", "n", "k", "t", "A"]
WORDS = ["rate", "price", "total", "width", "alpha", "count", "x1", "dt", "self", "data"]
UNDERSCORED = ["x_1", "n_max", "my_var", "t_0", "_cache", "max_len"]
# Pieces of longer underscored names (`get_value_of`, `_read_buf`, `__len__`): real code has many.
# No digits: latexify writes `_0` as `\_0`, a number the input tokens do not have as content.
PIECES = ["x", "n", "i", "get", "set", "max", "len", "buf", "read", "value", "data", "name", "self", "is", "to",
          "from", "file", "size", "cache"]
NUMBERS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "12", "100", "0.5", "1.5", "2.75", "3.14", "1000"]
MATH_UNARY = ["sqrt", "sin", "cos", "tan", "exp", "log", "log10", "log2", "floor", "ceil", "fabs", "factorial", "asin", "atan", "sinh", "tanh", "gamma", "prod", "fsum"]
MATH_OTHER = ["hypot", "atan2", "pow", "comb", "gcd", "isclose"]
MATH_CONSTANTS = ["pi", "e", "inf", "tau"]


def _names() -> list:
    """Names with probabilities: one letter (bare in LaTeX), words, underscored words."""
    return [*weighted(LETTERS, 0.5), *weighted(WORDS, 0.3), *weighted(UNDERSCORED, 0.1),
            "<underscored>"]  # the remaining 0.1


# Flat on purpose: fuzzingbook's cost search (unmemoized) is exponential in the number of paths
# through the grammar, so nesting goes through few, short levels: <expr> -> <operand> -> <simple>.
grammar: dict[str, list] = with_escape_rules({
    "<start>": [option("<expr>", 0.98), "<unsupported>"],
    "<expr>": [
        option("<operand>", 0.17),
        option("<operand><addop><operand>", 0.17),
        option("<operand><mulop><operand>", 0.14),
        option("<operand><addop><operand><mulop><operand>", 0.05),
        option("<operand><mulop><operand><addop><operand>", 0.05),
        option("<operand><pow><operand>", 0.06),
        option("<unop><operand>", 0.03),
        option("<operand><cmp><operand>", 0.1),
        option("<simple><cmp><simple><cmp><simple>", 0.02),
        option("<simple><cmp><simple> and <simple><cmp><simple>", 0.03),
        option("<simple><cmp><simple> or <name>", 0.02),
        option("not <operand>", 0.02),
        option("<name> is None", 0.01),
        option("<name> is not None", 0.01),
        option("<name> and <name>", 0.02),
        option("<name> or <name>", 0.02),
        option("<simple> <membership> <name>", 0.02),
        option("<operand> if <simple><cmp><simple> else <operand>", 0.04),
        "<operand> if <name> else <operand>",
        "<simple> if <name> else <simple> if <name> else <simple>",
    ],
    "<operand>": [
        option("<name>", 0.30),
        option("<number>", 0.13),
        option("<call>", 0.25),
        option("<string>", 0.02),
        option("<display>", 0.02),
        option("<lp><simple><rp>", 0.08),
        option("<name>[<index>]", 0.07),
        option("<name>.<name>", 0.04),
        option("<name>.<name>.<name>", 0.01),
        option("<postfix>", 0.04),
        "<name>[<index>][<index>]",
        "math.<constant>",
        "<keyword_constant>",
        "<name>.<name>.<name><lp><name><comma><name><rp>",
    ],
    "<keyword_constant>": ["None", "True", "False"],
    "<simple>": [
        option("<name>", 0.3),
        option("<number>", 0.15),
        option("<atom><addop><atom>", 0.17),
        option("<atom><mulop><atom>", 0.14),
        option("<atom><pow><atom>", 0.05),
        option("math.<unary_fn><lp><atom><rp>", 0.07),
        "-<atom>",
        "<name>[<atom>]",
        "math.<constant>",
    ],
    "<call>": [
        option("math.<unary_fn><lp><simple><rp>", 0.4),
        option("<unary_fn><lp><simple><rp>", 0.05),
        option("math.<other><lp><atom><comma><atom><rp>", 0.1),
        option("abs<lp><simple><rp>", 0.1),
        option("<builtin><lp><atom><comma><atom><rp>", 0.1),
        option("<name><lp><simple><rp>", 0.1),
        "<name><lp><args><rp>",
        "<name><lp><rp>",
        "<name>.<name><lp><args><rp>",
        "<name>.<name><lp><rp>",
        "sum<lp><atom> for <letter> in range<lp><name><rp><rp>",
        # latexify renders a generator only inside sum() and math.prod(): a context-dependent failure.
        "<genfn><lp><atom> for <letter> in <name><rp>",
    ],
    # Method chains, calls on results, subscripts of attributes: common in real code.
    "<postfix>": [
        "<name><lp><args><rp>.<name>",
        "<name><lp><rp>.<name><lp><args><rp>",
        "<name>.<name><lp><args><rp>.<name><lp><rp>",
        "<name><lp><args><rp>[<index>]",
        "<name>.<name>[<index>]",
        "<name>.<name>.<name><lp><args><rp>",
    ],
    # latexify leaves keyword arguments out of its LaTeX.
    "<args>": [option("<arg>", 0.28), option("<arg><comma><arg>", 0.32), option("<arg><comma><arg><comma><arg>", 0.17),
               option("<arg><comma><kwarg>", 0.08), option("<arg><comma><arg><comma><kwarg>", 0.04),
               option("<kwarg>", 0.03), "<arg><comma><kwarg><comma><kwarg>", "<arg><comma><arg><comma><arg><comma><arg>"],
    "<kwarg>": [option("<name>=<arg2>", 0.7), "<name>=<string>", "<name>=<keyword_constant>"],
    "<string>": ['"<strtext>"', "'<strtext>'"],
    "<strtext>": [option("<piece>", 0.4), "<piece> <piece>", "<piece>_<piece>", "<letter>", ""],
    "<display>": ["[<arg><comma><arg>]", "[<arg>]", "[]", "<lp><atom><comma><atom><rp>"],
    # Calls inside call arguments, two levels deep (without a cycle, see the note above <start>).
    "<arg>": [option("<name>", 0.36), option("<number>", 0.12), option("<string>", 0.05), option("<name>.<name>", 0.16),
              option("<name><lp><arg2><rp>", 0.12), option("<name>.<name><lp><arg2><rp>", 0.06),
              option("<name><lp><arg2><rp><addop><name><lp><arg2><rp>", 0.04),
              "<name><lp><rp>", "<lp><name><comma><name><rp>", "-<atom>"],
    "<arg2>": [option("<name>", 0.5), option("<number>", 0.15), "<name>.<name>", "<name><lp><name><rp>",
               "<name><lp><rp>", "<name><comma><name>"],
    "<underscored>": ["<piece>_<piece>", "<piece>_<piece>_<piece>", "_<piece>", "_<piece>_<piece>", "__<piece>__",
                      "<piece>_<piece>_<piece>_<piece>"],
    "<piece>": PIECES,
    "<genfn>": ["sum", "math.prod", "min", "max", "any", "all"],
    "<index>": [option("<name>", 0.4), option("<number>", 0.3), "<atom><addop><atom>", "<name><comma><name>", "-<atom>"],
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
    # Constructs latexify reports as "not supported".
    "<unsupported>": [
        "<name>[<number>:<name>]",
        "<name>[::<number>]",
        "<name>[<name>:]",
        "lambda <letter>: <simple>",
        "<lp><letter> := <simple><rp>",
        "<name><lp><star><name><rp>",
        "{<name>: <simple>}",
        "<atom> <plus> <name>[<number>:]",
        "{<letter>: <simple> for <letter> in <name>}",
        "<lp>yield <name><rp>",
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
DIGIT.4: /(?<![\w.])[0-9](?![\w.])/
NUMBER.3: /(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?[jJ]?/
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
FIXED.5: / ?\\(?:mathrm\{(?:math|if|otherwise|None|True|False)\}|begin\{array\}\{ll\}|end\{array\}|log_\{10\}|log_2) ?/
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
    training=SHIPPED_TRAINING.replace(max_input_chars=120, max_epochs=30, max_minutes=15, model=NO_DROPOUT),
    exception_types={name: f"latexify.exceptions.{name}"
                     for name in ("LatexifyError", "LatexifyNotSupportedError", "LatexifySyntaxError")},
    samples=CorpusSamples(CORPORA / "stdlib_expressions.jsonl"),
    corpora={"stdlib-expressions": "stdlib_expressions.jsonl"},
    description="Python expression -> LaTeX (latexify-py, expression style)",
)
