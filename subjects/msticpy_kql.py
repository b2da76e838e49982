"""The bundled `msticpy-kql` subject: msticpy's SQL to KQL converter, `sql_to_kql` (msticpy 3.0.2).

The program is `msticpy.data.sql_to_kql.sql_to_kql(sql)`, an experimental converter of a subset
of ANSI SQL (parsed by mo-sql-parsing 11) into a Kusto (KQL) pipeline: the table, then
`| where`, `| join`, `| extend`, `| project`, `| summarize ... by`, `| order by`, `| distinct`,
`| limit`, `| union (...)`, one per line.

Deterministic: msticpy names an expression it cannot name after a column with a random suffix
(`add_7982 = a + 1`, from `random.randint`), so the same query would give another output on
every call. The program runs each conversion with a private `random.Random` seeded the same
way for every call (`_SEED`), put in place of the `random` module that msticpy's converter
module sees and restored afterwards: a query always gets the same names (the first generated
name of a query is always `add_7311` for `a + 1`, the second `..._7890`, and so on), and the
global `random` state of the calling process is never used or changed.

Failures are behaviour (failure kinds): mo-sql-parsing's `ParseException` (its message without
the position and the text it found), genuine crashes of the converter (`KeyError: 'on'` for
`CROSS JOIN` and `USING`, `AttributeError` for `SELECT DISTINCT` of one column, `TypeError` for
a number in the select list, `ValueError` for LIKE with a non-string pattern), and, raised by
this subject:

- `KqlUnmappedFunction: unmapped function NAME` where the converter writes a function it has no
  KQL for with `// WARNING unmapped function` (IS NULL becomes `missing`, IS NOT NULL `exists`,
  NOT LIKE `not_like`, CASE `case`, CAST `cast`, and functions outside its map);
- `KqlUnresolved: expression not resolved` where it writes `EXPRESSION ... not resolved.`, and
  `KqlUnresolved: expression left as a parse tree` where it writes part of mo-sql-parsing's tree
  instead of KQL (`{'literal': 'x'}` for a string argument of `split` or `instr`, `{'lower': 'a'}`
  for a nested call): not marked by the converter, but not KQL either;
- `KqlLimitation: HAVING` / `... EXISTS` / `... aggregate without GROUP BY`: the limitations its
  documentation names, on which it silently drops the clause or writes wrong KQL
  (`SELECT count(a) FROM t` becomes `| extend a = count(a)`).

Identifiers and numbers are content (`IDENT_n`, `NUMBER_n`); so is the text inside a string
literal (`TEXT_n`), while the quotes and LIKE's wildcards `%` and `_` around it are tokens: they
decide whether LIKE becomes `startswith`, `endswith`, `contains` or `matches regex`. The boolean
literals `TRUE` and `FALSE` (any case) are keywords, and the `True` and `False` that the converter
writes for them are vocabulary: as names they would be content the output holds and the input
does not (`FALSE` becomes `False`), which no model can write. Keywords,
function names, operators and the KQL the converter writes are vocabulary; keywords and
operators absorb the spaces around them, so a query is about one token per word.

Importing this module imports neither msticpy nor torch nor fuzzingbook.
"""
from __future__ import annotations

import random
import re
import threading

from pytest_modelizer import LarkTokenizer, package_version
from pytest_modelizer.grammar import ESCAPES, option, weighted, with_escape_rules
from pytest_modelizer.subjects.bundled import NO_DROPOUT, SHIPPED_TRAINING, bundled_subject

# What installs the program: msticpy itself without its ~80 declared dependencies (Azure SDKs,
# pandas, bokeh, panel, ...: none of them is imported by the converter, and pandas would be
# downgraded), and the extra with what `import msticpy.data.sql_to_kql` does import.
INSTALL = "pip install 'pytest-modelizer[kql]' && pip install --no-deps msticpy==3.0.2"
_SEED = 0
_LOCK = threading.Lock()  # The converter module's `random` is swapped for the duration of a call.
_MODULE = None
_AGGREGATES = frozenset({"count", "sum", "avg", "min", "max", "mean"})


class KqlUnmappedFunction(Exception):
    """The converter wrote a function it has no KQL for (`// WARNING unmapped function`)."""


class KqlUnresolved(Exception):
    """The converter wrote `EXPRESSION ... not resolved.`."""


class KqlLimitation(Exception):
    """A construct the converter's documentation lists as unsupported (HAVING, EXISTS, aggregates without GROUP BY)."""


def _converter():
    global _MODULE
    if _MODULE is None:
        try:
            from msticpy.data import sql_to_kql as module
        except ImportError as exc:
            raise ModuleNotFoundError(f"the msticpy-kql subject needs msticpy 3.0.2 ({exc}): {INSTALL}") from None
        _MODULE = module
    return _MODULE


def _selects(items) -> list:
    items = items if isinstance(items, list) else [items]
    return [item.get("value", item) if isinstance(item, dict) else item for item in items]


def _has_aggregate(expr) -> bool:
    """Whether an expression calls an aggregate function (not looking into subqueries)."""
    if isinstance(expr, list):
        return any(_has_aggregate(e) for e in expr)
    if not isinstance(expr, dict) or "select" in expr or "select_distinct" in expr:
        return False
    return any(key in _AGGREGATES or _has_aggregate(value) for key, value in expr.items())


def _check_limitations(tree) -> None:
    """Raise KqlLimitation on the constructs the converter's documentation lists as unsupported."""
    if isinstance(tree, list):
        for item in tree:
            _check_limitations(item)
        return
    if not isinstance(tree, dict):
        return
    if "having" in tree:
        raise KqlLimitation("HAVING")
    exists = tree.get("exists")
    if isinstance(exists, dict) and ("select" in exists or "select_distinct" in exists):
        raise KqlLimitation("EXISTS")  # `exists` of a column is IS NOT NULL: an unmapped function.
    for key in ("select", "select_distinct"):
        if key in tree and "groupby" not in tree and _has_aggregate(_selects(tree[key])):
            raise KqlLimitation("aggregate without GROUP BY")
    for value in tree.values():
        _check_limitations(value)


def _short_parse_message(exc: Exception) -> str:
    """mo-sql-parsing's message without the position and the text it found (which quote the query)."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    match = re.match(r"(Expecting [^,]+?)(?:, found|\s*\(at char| *$)", text)
    return match.group(1) if match else text.split(" (at char")[0][:80]


_SHORT_PARSE: dict = {}


def _short_parse_exception(exc: Exception) -> Exception:
    """mo-sql-parsing's ParseException (a subclass of it) with the short message alone."""
    cls = _SHORT_PARSE.get(type(exc))
    if cls is None:
        # Same name, so the failure kind stays "ParseException"; Exception's own init and str,
        # because ParseException's want the parser state and format the position and the query.
        cls = type(type(exc).__name__, (type(exc),), {
            "__init__": lambda self, message: Exception.__init__(self, message),
            "__str__": lambda self: str(self.args[0]),
            "__module__": __name__,
        })
        _SHORT_PARSE[type(exc)] = cls
    return cls(_short_parse_message(exc))


def to_kql(sql: str) -> str:
    """msticpy's KQL for a SQL query, deterministic; unmapped functions and known limitations raise."""
    module = _converter()
    parse = module.parse

    def checked_parse(text):
        tree = parse(text)
        _check_limitations(tree)
        return tree

    with _LOCK:
        module.random, module.parse = random.Random(_SEED), checked_parse
        try:
            output = module.sql_to_kql(sql)
        except ValueError as exc:
            if "isn't usable in LIKE expression" not in str(exc):
                raise
            raise ValueError("Right side operand isn't usable in LIKE expression") from None  # without the query
        except Exception as exc:
            if type(exc).__name__ != "ParseException":
                raise
            raise _short_parse_exception(exc) from None
        finally:
            module.random, module.parse = random, parse
    unmapped = re.search(r"(\w+)\([^\n]*// WARNING unmapped function", output)
    if unmapped:
        raise KqlUnmappedFunction(f"unmapped function {unmapped.group(1).lower()}")
    if "WARNING unmapped function" in output:
        raise KqlUnmappedFunction("unmapped function")
    if re.search(r"EXPRESSION .* not resolved\.", output, re.S):
        raise KqlUnresolved("expression not resolved")
    if re.search(r"\{'\w+': ", output):
        # A nested call or a string argument left as mo-sql-parsing's tree (`{'literal': 'x'}`,
        # `base64_decode_tostring({'lcase': 'b'})`): not KQL, though not marked as such.
        raise KqlUnresolved("expression left as a parse tree")
    return output


def failure_kind(behaviour) -> str:
    """A failure's kind: the default (type and first message clause); a user function's name as F."""
    from pytest_modelizer.aspect import numbered_failure_kind

    kind = numbered_failure_kind(behaviour)
    match = re.match(r"KqlUnmappedFunction: unmapped function (\w+)$", kind)
    if match and match.group(1) not in UNMAPPED_NAMES:
        return "KqlUnmappedFunction: unmapped function F"
    return kind


# --------------------------------------------------------------------------------------------
# Grammar (fuzzingbook format). Literal "(", ")", "*", "+", "<" and ">" go through their own
# symbols (pytest_modelizer.grammar) so that fuzzingbook's EBNF conversion never mistakes them
# for groups, repetition operators or nonterminals. Rare alternatives reach the failures.
#
# Table names and aliases never end like `$left` or `$right` (`t`, `ft`, `ht`): the converter
# rewrites `t.` inside an already written `$right.` (giving `$righ$left.`), a slip that depends on
# what a name is spelled like, which no placeholder can show.
# --------------------------------------------------------------------------------------------

TABLES = ["SecurityEvent", "Syslog", "apt29Host", "OtherTable", "events", "hosts", "logons", "procs", "A", "B"]
COLUMNS = ["EventID", "Account", "Computer", "Channel", "Message", "Image", "ParentImage", "ProcessName",
           "Level", "TimeGenerated", "a", "b", "c", "id", "name", "user_name", "host"]
ALIASES = ["x", "y", "n", "total", "cnt", "mssg", "Level2"]
TALIASES = ["a1", "b1", "x1", "q"]
NUMBERS = ["0", "1", "2", "3", "4", "5", "10", "42", "100", "1000", "4624", "4688", "3.5", "0.25"]
WORDS = ["Security", "cmd.exe", "explorer.exe", "admin", "error", "x", "4624", "Microsoft-Windows-Sysmon/Operational",
         "root", "powershell", "a b", "web01"]
# Functions the converter maps (its SQL_KQL_FUNC_MAP), by argument shape.
MAPPED_1 = ["lower", "upper", "trim", "ltrim", "rtrim", "length", "reverse", "base64", "unbase64", "lcase",
            "isnull", "isnotnull", "todatetime", "str"]
# Functions outside the map (and constructs the parser turns into them): unmapped-function failures.
UNMAPPED_1 = ["abs", "round", "coalesce", "date", "hex", "sqrt"]
UNMAPPED_NAMES = frozenset({*UNMAPPED_1, "missing", "exists", "not_like", "case", "cast", "left", "split"})

grammar: dict[str, list] = with_escape_rules({
    "<start>": [
        option("<query>", 0.86),
        option("<simple> UNION <simple>", 0.05),
        option("<simple> UNION ALL <simple>", 0.05),
        "<query_lc>",
    ],
    # ---- query shapes
    "<query>": [
        option("SELECT <cols> FROM <from><where><order><limit>", 0.65),
        option("SELECT <gcols> FROM <from><where> GROUP BY <gby><order><limit>", 0.2),
        option("SELECT DISTINCT <cols2> FROM <from><where><order><limit>", 0.08),
        option("SELECT DISTINCT <column> FROM <tbl>", 0.01),
        option("SELECT <gcols> FROM <tbl><where> GROUP BY <gby> HAVING <agg> <gt> <number>", 0.015),
        option("SELECT <agg> FROM <tbl><where>", 0.015),
        "SELECT <column>, <agg> FROM <tbl>",
    ],
    # Lowercase keywords, as people write them too.
    "<query_lc>": [
        option("select <column> from <tbl> where <column> = <value>", 0.5),
        "select <column>, <column> from <tbl> where <column> <cmp> <value> order by <column> desc",
        "select <column>, count<lp><star><rp> from <tbl> group by <column>",
        "select <star> from <tbl> where <column> like <likestr> limit <number>",
    ],
    "<simple>": [option("SELECT <column> FROM <tbl>", 0.5), "SELECT <column> FROM <tbl> WHERE <pred>",
                 "SELECT <column>, <column> FROM <tbl>"],
    "<subquery>": [
        option("SELECT <column> FROM <tbl>", 0.35),
        option("SELECT <column> FROM <tbl> WHERE <pred>", 0.35),
        option("SELECT <column>, <column> FROM <tbl>", 0.2),
        "SELECT <star> FROM <tbl> WHERE <pred>",
    ],
    "<cols>": [
        option("<col_item>", 0.42),
        option("<col_item>, <col_item>", 0.32),
        option("<star>", 0.12),
        option("<col_item>, <col_item>, <col_item>", 0.12),
        "<number>, <column>",
    ],
    "<cols2>": [option("<col_item>, <col_item>", 0.7), "<col_item>, <col_item>, <col_item>"],
    "<col_item>": [
        option("<column>", 0.5),
        option("<column> AS <alias>", 0.12),
        option("<func>", 0.14),
        option("<func> AS <alias>", 0.05),
        option("<arith>", 0.08),
        option("<arith> AS <alias>", 0.05),
        option("'<sword>'", 0.02),
        option("'<sword>' AS <alias>", 0.01),
        option("<bool> AS <alias>", 0.01),
        "<unmapped>",
    ],
    # With GROUP BY, plain columns become any(column) and aggregates are kept.
    "<gcols>": [option("<column>, <agg>", 0.45), option("<agg>", 0.1), option("<column>, <agg> AS <alias>", 0.15),
                option("<column>, <column>, <agg>", 0.1), option("<column>, <agg>, <agg>", 0.1), "<column>"],
    "<gby>": [option("<column>", 0.75), "<column>, <column>"],
    "<agg>": [
        option("<count><lp><star><rp>", 0.3),
        option("<count><lp><column><rp>", 0.15),
        option("<count><lp>DISTINCT <column><rp>", 0.1),
        *weighted(["<sum><lp><column><rp>", "<avg><lp><column><rp>", "<min><lp><column><rp>", "<max><lp><column><rp>"],
                  0.4),
        "mean<lp><column><rp>",
    ],
    "<count>": [option("count", 0.5), "COUNT"],
    "<sum>": [option("sum", 0.5), "SUM"],
    "<avg>": [option("avg", 0.5), "AVG"],
    "<min>": [option("min", 0.5), "MIN"],
    "<max>": [option("max", 0.5), "MAX"],
    # ---- FROM and joins
    "<from>": [
        option("<tbl>", 0.6),
        option("<tbl> <join> <tbl> ON <tbl>.<colname> = <tbl>.<colname>", 0.14),
        option("<tbl> <join> <tbl> ON <tbl>.<colname> = <tbl>.<colname> AND <tbl>.<colname> = <tbl>.<colname>", 0.03),
        option("<tbl> <talias> <join> <tbl> <talias> ON <talias>.<colname> = <talias>.<colname>", 0.04),
        option("<tbl> <join> <lp><subquery><rp> <talias> ON <tbl>.<colname> = <talias>.<colname>", 0.04),
        option("<lp><subquery><rp>", 0.05),
        option("<lp><subquery><rp> AS <talias>", 0.02),
        option("<tbl> AS <talias>", 0.02),
        option("<tbl>, <tbl>", 0.02),
        option("<tbl> CROSS JOIN <tbl>", 0.01),
        option("<tbl> JOIN <tbl> USING <lp><colname><rp>", 0.01),
        "<tbl> <join> <tbl> ON <tbl>.<colname> = <tbl>.<colname>",
    ],
    "<join>": [option("JOIN", 0.2), option("INNER JOIN", 0.25), option("LEFT JOIN", 0.2), "LEFT OUTER JOIN",
               "RIGHT JOIN", "RIGHT OUTER JOIN", "FULL JOIN", "FULL OUTER JOIN"],
    # ---- clauses
    "<where>": [option("", 0.35), option(" WHERE <cond>", 0.65)],
    "<order>": [option("", 0.65), option(" ORDER BY <order_item>", 0.27), " ORDER BY <order_item>, <order_item>"],
    "<order_item>": [option("<column>", 0.5), option("<column> DESC", 0.3), "<column> ASC"],
    "<limit>": [option("", 0.65), option(" LIMIT <number>", 0.3), " LIMIT <number> OFFSET <number>"],
    # ---- conditions
    "<cond>": [
        option("<pred>", 0.5),
        option("<pred> AND <pred>", 0.22),
        option("<pred> OR <pred>", 0.1),
        option("<pred> AND <pred> AND <pred>", 0.06),
        option("NOT <pred>", 0.03),
        option("NOT <lp><pred><rp>", 0.03),
        "<lp><pred> OR <pred><rp> AND <pred>",
    ],
    "<pred>": [
        option("<column> <cmp> <column>", 0.05),
        option("<func1> <cmp> <value>", 0.05),
        option("<column> LIKE <likestr>", 0.12),
        option("<func1> LIKE <likestr>", 0.04),
        option("<column> RLIKE <string>", 0.03),
        option("<column> NOT RLIKE <string>", 0.02),
        option("<column> IN <lp><values><rp>", 0.07),
        option("<column> NOT IN <lp><values><rp>", 0.04),
        option("<column> IN <lp><subquery><rp>", 0.03),
        option("<column> BETWEEN <number> AND <number>", 0.05),
        option("<column> NOT BETWEEN <number> AND <number>", 0.03),
        option("<lp><column> & <number><rp> = <number>", 0.02),
        option("<column> IS NULL", 0.006),
        option("<column> IS NOT NULL", 0.006),
        option("<column> NOT LIKE <likestr>", 0.01),
        option("EXISTS <lp><subquery><rp>", 0.01),
        option("<column> LIKE <number>", 0.005),
        option("<unmapped> <cmp> <value>", 0.015),
        "<column> <cmp> <value>",
    ],
    "<cmp>": [option("=", 0.4), "!=", "<lt><gt>", "<lt>", "<gt>", "<lt>=", "<gt>="],
    # A list of numbers or of strings; a single number, or numbers and strings mixed, crash the converter.
    "<values>": [option("<number>, <number>", 0.3), option("<number>, <number>, <number>", 0.12),
                 option("<string>", 0.12), option("<string>, <string>", 0.28), option("<string>, <string>, <string>", 0.12),
                 option("<number>", 0.03), "<value>, <value>"],
    "<value>": [option("<number>", 0.48), option("<string>", 0.43), option("<bool>", 0.05), "-<number>"],
    # The converter writes Python's True and False for them.
    "<bool>": [option("TRUE", 0.35), option("FALSE", 0.35), "true", "false"],
    # ---- expressions
    # A string argument or a nested call is left as a parse tree: rarer.
    "<func>": [
        option("<func1>", 0.5),
        option("<substr><lp><column>, <number>, <number><rp>", 0.1),
        option("<concat><lp><column>, <column><rp>", 0.08),
        option("iif<lp><column> <cmp> <number>, <number>, <number><rp>", 0.06),
        option("ifnull<lp><column>, <number><rp>", 0.06),
        option("ifnull<lp><column>, <column><rp>", 0.04),
        option("replace<lp><column>, <string>, <string><rp>", 0.02),
        option("instr<lp><column>, <string><rp>", 0.02),
        option("regexp_extract<lp><column>, <string><rp>", 0.02),
        option("<mapped1><lp><func1><rp>", 0.03),
        option("translate<lp><column>, <string>, <string><rp>", 0.01),
        option("concat<lp><column>, <string>, <column><rp>", 0.01),
        option("split<lp><column>, <string><rp>", 0.01),
        "locate<lp><string>, <column><rp>",
    ],
    "<func1>": [option("<mapped1><lp><column><rp>", 0.8), "<mapped1u><lp><column><rp>"],
    "<mapped1>": MAPPED_1,
    "<mapped1u>": [name.upper() for name in MAPPED_1[:7]],
    "<substr>": [option("substr", 0.5), "substring", "SUBSTRING"],
    "<concat>": [option("concat", 0.6), "CONCAT"],
    "<unmapped>": [
        option("<unmapped1><lp><column><rp>", 0.4),
        option("CASE WHEN <column> = <value> THEN <value> ELSE <value> END", 0.2),
        option("CAST<lp><column> AS INT<rp>", 0.15),
        "left<lp><column>, <number><rp>",
    ],
    "<unmapped1>": UNMAPPED_1,
    "<arith>": [
        option("<column> <op> <number>", 0.6),
        option("<column> <op> <column>", 0.3),
        "<column> || <column>",
    ],
    "<op>": ["<plus>", "-", "<star>", "/", "%"],
    # ---- names and literals (content)
    "<column>": [option("<colname>", 0.85), "<tbl>.<colname>"],
    "<colname>": COLUMNS,
    "<tbl>": TABLES,
    "<talias>": TALIASES,
    "<alias>": ALIASES,
    "<number>": NUMBERS,
    "<string>": [option("'<word>'", 0.85), option('"<word>"', 0.1), "''"],
    "<word>": WORDS,
    # A string in the select list names its column after itself: one word.
    "<sword>": ["Security", "admin", "error", "x", "root"],
    # LIKE patterns: the wildcards' places decide the KQL operator.
    "<likestr>": [
        option("'<word>%'", 0.25), option("'%<word>'", 0.25), option("'%<word>%'", 0.25),
        option('"%<word>"', 0.05), option("'<word>'", 0.06), option("'<word>_'", 0.04),
        option("'%<word>%<word>%'", 0.04), "'<word>%<word>'",
    ],
}, {**ESCAPES, "*": "<star>"})


# --------------------------------------------------------------------------------------------
# Tokenizers. lark's basic lexer tries terminals by priority, then by length. TEXT (the inside
# of a string literal) only starts right after an opening quote or a LIKE wildcard and ends
# right before one: outside literals a quote is always followed by a space, a comma or a
# parenthesis. ANY (-1) makes every string tokenize.
# --------------------------------------------------------------------------------------------

_KEYWORDS = [
    # Several words in a row first, so that "ORDER BY" is one token.
    "LEFT OUTER JOIN", "RIGHT OUTER JOIN", "FULL OUTER JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN",
    "INNER JOIN", "CROSS JOIN", "IS NOT NULL", "IS NULL", "NOT LIKE", "NOT RLIKE", "NOT IN", "NOT BETWEEN",
    "UNION ALL", "ORDER BY", "GROUP BY", "SELECT DISTINCT",
    "SELECT", "DISTINCT", "ALL", "FROM", "WHERE", "AND", "OR", "NOT", "AS", "ON", "USING", "JOIN",
    "LIKE", "RLIKE", "IN", "BETWEEN", "IS", "NULL", "EXISTS", "HAVING", "LIMIT", "OFFSET", "ASC", "DESC",
    "UNION", "INTERSECT", "EXCEPT", "WITH", "CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "INT", "TOP",
    "TRUE", "FALSE",
]
_KQL_WORDS = [
    "| where", "| project", "| extend", "| summarize", "| order by", "| distinct", "| limit", "| union",
    "| join kind=inner", "| join kind=left", "| join kind=right", "| join kind=outer", "| join kind=CROSS_JOIN_TODO",
    "matches regex", "not matches regex", "startswith", "endswith", "contains", "between", "!between", "!in",
    "binary_and", "binary_or", "binary_xor", "concat", "by", "on", "and", "or", "not", "in", "asc", "desc",
    "True", "False",
]


def _alternatives(words: list[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


def _terminals(keywords: list[str]) -> str:
    return rf"""
FUNC.5: /(?<![\w$.])[A-Za-z_][A-Za-z0-9_]*\(/
KEYWORD.4: /(?: |(?<![\w$.!]))(?i:{_alternatives(keywords)})(?![\w$=]) ?/
GENERATED.5: /(?<![\w$])[a-z_]+_[0-9]{{4}}(?![\w$])/
SIDE.5: /\$(?:left|right)\./
TEXT.6: /(?<=['"%_*])[A-Za-z0-9](?:[A-Za-z0-9 .\/:\\-]*[A-Za-z0-9])?(?=['"%_]|\.\*)/
WILDCARD.5: "%" | "_" | ".*"
NUMBER.3: /(?<![\w$])(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/
IDENT.3: /[A-Za-z_][A-Za-z0-9_]*/
OP.4: / ?(?:\.\.|\|\||<>|<=|>=|!=|==|[=<>+\/%&|*-]) ?/
COMMA.4: /, ?/
QUOTE.4: "'" | "\""
PUNCT.4: /[().;\[\]`?:@{{}}]/
SPACES.2: /[ \t]+/
NL.2: /\r?\n/
ANY.-1: /[\s\S]/
"""


CONTENT = ("IDENT", "NUMBER", "TEXT")

# SQL reads its keywords in any case (msticpy's parser too: `select a from t where x = 1 and y = 2`
# converts as the upper-case query does), so on the SQL side they are case-insensitive tokens: a
# query written in lower case reads as the grammar's upper-case ones. None of them is a name that
# the converter copies into its output. The KQL side keeps every word as written.
input_tokenizer = LarkTokenizer(terminals=_terminals(_KEYWORDS + ["BY"]), content=CONTENT,
                                case_insensitive=("KEYWORD",))
output_tokenizer = LarkTokenizer(terminals=_terminals(_KEYWORDS + _KQL_WORDS), content=CONTENT)

subject = bundled_subject(
    "msticpy-kql",
    program=to_kql,
    program_version="msticpy==3.0.2",
    installed_version=package_version("msticpy"),
    grammar=grammar,
    input_tokenizer=input_tokenizer,
    output_tokenizer=output_tokenizer,
    # 30,000 pairs: on 20,000 both models learned their training pairs (loss 0.002) and stopped on
    # patience well inside the time limit, wrong on rarer constructs of held-out queries.
    training=SHIPPED_TRAINING.replace(pairs=30000, max_nonterminals=14, max_input_chars=200, max_epochs=40,
                                      max_minutes=20, model=NO_DROPOUT),
    failure_kind=failure_kind,
    exception_types={
        "ParseException": "mo_parsing.exceptions.ParseException",
        **{cls: f"pytest_modelizer.subjects.msticpy_kql.{cls}"
           for cls in ("KqlUnmappedFunction", "KqlUnresolved", "KqlLimitation")},
    },
    # msticpy's own SQL (its tests and documentation), and sqlglot's test fixtures: real SQL written
    # for another program. No samples: all of both is unseen. With the sample parts of both as
    # samples the models got worse on msticpy's own queries (README, "What the shipped models
    # achieve"): few of them parse with the grammar, and inputs recombined from those few crowd
    # out the grammar's.
    corpora={"msticpy-docs-tests": "msticpy-sql.jsonl", "sqlglot-fixtures": "sqlglot.jsonl"},
    description="SQL query -> KQL (msticpy's sql_to_kql; unmapped functions and known limitations raise)",
)
