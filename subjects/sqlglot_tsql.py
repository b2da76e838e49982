"""The bundled `sqlglot-tsql` subject: sqlglot transpiling SQLite SELECT queries to T-SQL.

Stands in for the paper's SQL -> KQL subject. The program is
`sqlglot.transpile(sql, read="sqlite", write="tsql", unsupported_level=ErrorLevel.RAISE)`,
statements joined by newlines. Its failures are behaviour: `UnsupportedError` where T-SQL has no
counterpart (`group_concat(DISTINCT ...)`, `INTERSECT ALL`, JSON path wildcards and slices, window
frames with `EXCLUDE`, `LATERAL`), `ParseError` on SQLite syntax sqlglot does not read (numbered
parameters `?1`), and genuine crashes (`ValueError` on recursive `$..` and filter JSON paths).
Their messages are shortened so they never carry the query itself.

Identifiers, string literals, numbers and simple JSON paths are content (`IDENT_n`, `STRING_n`,
`NUMBER_n`, `PATH_n` placeholders), spelled the same in SQLite and in T-SQL; so are the calls of
functions sqlglot does not know, an application's own (`CALL_n`: sqlglot copies the name of
`my_udf(` upper-cased) and the text of comments (`-- note` becomes `/* note */`). Keywords, the names of
functions sqlglot knows, operators, the digits 0-9 and 10, strftime formats and the T-SQL formats
they become are vocabulary. Keywords and operators absorb the spaces around them (`" FROM "`,
`" = "`, `", "`), so a query is about one token per word. Reserved keywords and known functions
read alike in any case (`select` is `SELECT`, `Count(` is `COUNT(`); sqlglot's keywords that
the grammar never writes are tokens of their own, never names, so a query holding one is left to
sqlglot unless the samples taught it. The sample part of sqlglot's test fixtures steers training
(`samples`).

Importing this module imports neither sqlglot nor torch nor fuzzingbook.
"""
from __future__ import annotations


from pytest_modelizer import CorpusSamples, LarkTokenizer, package_version
from pytest_modelizer.grammar import ESCAPES, option, with_escape_rules
from pytest_modelizer.subjects.bundled import CORPORA, SHIPPED_TRAINING, bundled_subject, with_rotary

_SQLGLOT = None


def _short_message(exc: Exception) -> str:
    """The first line of a sqlglot error, without the query it quotes; duplicates dropped."""
    text = str(exc)
    if text.startswith("Error tokenizing"):
        return "Error tokenizing"
    lines: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line and line not in lines:
            lines.append(line)
    if type(exc).__name__ == "ParseError":
        lines = lines[:1]  # The second line quotes the query around the error.
    return "; ".join(lines)


def transpile(sql: str) -> str:
    """T-SQL for a SQLite query, as sqlglot transpiles it (raising where T-SQL lacks a feature)."""
    global _SQLGLOT
    if _SQLGLOT is None:
        import logging

        import sqlglot

        # sqlglot logs warnings (e.g. on odd JSON paths) to stderr when nobody configured logging.
        logging.getLogger("sqlglot").addHandler(logging.NullHandler())
        _SQLGLOT = sqlglot
    from sqlglot.errors import ErrorLevel, ParseError, TokenError, UnsupportedError

    try:
        statements = _SQLGLOT.transpile(sql, read="sqlite", write="tsql", unsupported_level=ErrorLevel.RAISE)
    except (ParseError, TokenError, UnsupportedError) as exc:
        raise type(exc)(_short_message(exc)) from None
    return "\n".join(statements)


def failure_kind(behaviour) -> str:
    """A failure's kind: the default (type and first message clause), without the function it names."""
    import re

    from pytest_modelizer.aspect import numbered_failure_kind

    return re.sub(r"(in window function) \w+", r"\1 F", numbered_failure_kind(behaviour))


# --------------------------------------------------------------------------------------------
# Grammar (fuzzingbook format). Literal "(", ")", "*", "+", "<" and ">" go through their own
# symbols (pytest_modelizer.grammar; `*` is `<star>`, as in the grammar the shipped models were
# trained on), so that fuzzingbook's EBNF conversion never mistakes them for groups, repetition
# operators or nonterminals. Rare alternatives reach the places where the program fails.
# Queries nest as real ones do (subqueries as tables, columns, IN and EXISTS operands; joins of
# aliased, schema-qualified tables; expressions and conditions of any depth), and run as long as
# applications write them (any number of joins, CTEs, ORDER BY and GROUP BY items; comparisons as
# values; quoted names; casts to the usual types): the samples steer training only through the
# queries that parse (docs/model-history.md counts them); the others mostly use other dialects'
# syntax (PIVOT, GROUPING SETS, QUALIFY, LATERAL VIEW) or functions SQLite lacks.
# --------------------------------------------------------------------------------------------

TABLES = ["t", "u", "orders", "users", "items", "t1", "t2"]
COLUMNS = ["a", "b", "c", "id", "name", "price", "qty", "city", "score", "status"]
ALIASES = ["x", "y", "n", "total", "cnt", "v"]
STRINGS = ["'abc'", "'x%'", "'%foo%'", "'a_c'", "'N/A'", "'red'", "'bob'", "''", "'2024-01-01'", "'+1 day'"]
# Every digit: each is a token of its own.
NUMBERS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "12", "25", "42", "100", "1000", "3.5", "0.25",
           "99.9"]
FORMATS = ["'%Y'", "'%m'", "'%d'", "'%H'", "'%M'", "'%Y-%m-%d'", "'%H:%M'", "'%Y-%m'", "'%j'", "'%W'", "'%w'", "'%s'"]
# Simple JSON paths are copied unchanged; wildcards and slices are unsupported, `..` and filters crash.
PATHS = ["'$.a'", "'$.b'", "'$.tags[0]'", "'$.a.b'", "'$[1]'"]
BAD_PATHS = ["'$.a[*]'", "'$.*'", "'$.a[1:2]'", "'$..a'", "'$.a[?(@.b > 1)]'"]


def _either_case(names: list[str]) -> list[str]:
    """The names as written, then upper-cased."""
    return [*names, *(name.upper() for name in names if name.upper() not in names)]


# An application's own functions (sqlglot knows none of them, so it copies each call upper-cased)
# and the names applications give their query parameters; what the comments say.
# SQLite's own functions that sqlglot does not know are such calls to it too (`total(`, `printf(`):
# they are udfs as well, so that parsing the samples takes any of these names (the one that stands
# for every call, ContentMarks.stand_ins) wherever a call may be.
UDFS = ["my_udf", "fn_score", "to_cents", "calcTotal", "Slugify", "haversine", "f", "UDF1", "total", "printf",
        "julianday", "unixepoch", "quote"]
NOTES = ["the rows", "TODO: index this", "active users only", "see issue #12", "why? it's slow", "x", "keep in sync"]


grammar: dict[str, list] = with_escape_rules({
    # Applications comment their queries: sqlglot writes a `-- note` as `/* note */`.
    "<start>": [
        option("<query>", 0.91),
        option("<query> -- <note>", 0.04),
        option("<query> --<note>", 0.01),
        option("<query> /<star> <note> <star>/", 0.02),
        "/<star> <note> <star>/ <query>",
    ],
    "<note>": NOTES,
    "<query>": [
        option("<select>", 0.74),
        option("<with> <select>", 0.08),
        option("<compound>", 0.07),
        option("<with> <compound>", 0.01),
        option("<recursive_cte>", 0.01),
        "<select_window>",
    ],
    # ---- query shapes. Queries nest as real ones do: a table may be a subquery, a column an
    # expression of expressions, a condition a combination of conditions; the synthesis's
    # nonterminal limit keeps the nesting to what fits the input length.
    "<select>": [
        option("SELECT <distinct><cols> FROM <from><where><group><order><limit>", 0.9),
        option("SELECT <distinct><cols>", 0.07),
        # SQLite takes a WHERE without a FROM (`SELECT x WHERE TRUE`).
        "SELECT <cols> WHERE <cond>",
    ],
    "<distinct>": [option("", 0.85), option("DISTINCT ", 0.13), "ALL "],
    "<cols>": [
        option("<col_item>", 0.45),
        option("<col_item>, <cols>", 0.38),
        option("<star>", 0.1),
        "<star>, <col_item>",
    ],
    "<col_item>": [
        option("<expr>", 0.47),
        option("<expr> AS <alias>", 0.22),
        option("<agg>", 0.1),
        option("<agg> AS <alias>", 0.08),
        option("<agg> <arith> <term>", 0.02),
        option("<window_call>", 0.02),
        option("<window_call> AS <alias>", 0.02),
        # Comparisons are values too (`SELECT 1 <= 2`, `SELECT a > 1 AND b < 2 AS r`, `SELECT (1 > 2) AS x`).
        option("<expr> <cmp> <expr>", 0.01),
        option("<expr> <cmp> <expr> AS <alias>", 0.01),
        option("<expr> <cmp> <expr> AND <pred> AS <alias>", 0.003),
        option("<lp><cond><rp> AS <alias>", 0.005),
        "<qual>.<star>",
    ],
    "<select_window>": [
        option("SELECT <column>, <window_call> FROM <tbl>", 0.7),
        "SELECT <window_call> AS <alias> FROM <tbl><where>",
        "SELECT <window_agg> OVER w FROM <tbl> WINDOW w AS <lp><window_spec><rp>",
    ],
    "<with>": [option("WITH <cte_defs>", 0.95), "WITH RECURSIVE <cte_defs>"],
    "<cte_defs>": [option("<cte_def>", 0.75), "<cte_def>, <cte_defs>"],
    "<cte_def>": [option("<ctename> AS <lp><subquery><rp>", 0.83), option('"<ctename>" AS <lp><subquery><rp>', 0.02),
                  "<ctename><lp><colnames><rp> AS <lp><subquery><rp>"],
    "<ctename>": ["s", "r", "cte"],
    "<recursive_cte>": [
        "WITH RECURSIVE s<lp><colname><rp> AS <lp>SELECT 1 UNION ALL SELECT <colname> <plus> 1 FROM s WHERE <colname> <lt> <number><rp> SELECT <colname> FROM s",
    ],
    "<compound>": [
        option("<simple> <setop> <simple>", 0.55),
        option("<simple> <setop> <simple> ORDER BY <order_item>", 0.12),
        option("<simple> <setop> <simple> LIMIT <number>", 0.12),
        option("<lp><simple><rp> <setop> <lp><simple><rp>", 0.06),
        "<simple> <setop> <simple> <setop> <simple>",
    ],
    "<setop>": [option("UNION", 0.35), option("UNION ALL", 0.3), option("INTERSECT", 0.12), option("EXCEPT", 0.12),
                "INTERSECT ALL", "EXCEPT ALL"],
    "<simple>": [option("SELECT <cols> FROM <table_ref>", 0.5), "SELECT <cols> FROM <table_ref> WHERE <cond>",
                 "SELECT <cols>"],
    # A subquery: a select of its own, or a compound. (Alternatives that describe the same text
    # make parsing the samples explode: one alternative per shape.)
    "<subquery>": [
        option("<select>", 0.88),
        option("<simple> <setop> <simple>", 0.08),
        option("<lp><simple><rp> <setop> <lp><simple><rp>", 0.02),
        "<with> <select>",
    ],
    # ---- FROM and joins
    "<from>": [option("<table_ref>", 0.62), option("<table_ref> <joined>", 0.3), option("<table_ref>, <from>", 0.06),
               "<tbl>, LATERAL <lp><simple><rp> AS s"],
    # One join after another, each of any kind.
    "<joined>": [option("<join_step>", 0.82), option("<join_step> <joined>", 0.16), ", <table_ref> <joined>"],
    "<join_step>": [
        option("<join> <table_ref> ON <on_cond>", 0.77),
        option("<join> <table_ref> USING <lp><colnames><rp>", 0.05),
        option("<join> <table_ref> USING<lp><colnames><rp>", 0.01),
        option("<join> <table_ref>", 0.01),  # no condition: sqlglot writes ON (1 = 1)
        option("NATURAL JOIN <table_ref>", 0.04),
        "CROSS JOIN <table_ref>",
    ],
    "<join>": [
        option("JOIN", 0.3), option("INNER JOIN", 0.2), option("LEFT JOIN", 0.25), "LEFT OUTER JOIN", "RIGHT JOIN",
        "FULL OUTER JOIN", "FULL JOIN", "NATURAL LEFT JOIN",
    ],
    "<on_cond>": [option("<qual>.<colname> = <qual>.<colname>", 0.7),
                  option("<qual>.<colname> = <qual>.<colname> AND <pred>", 0.15), "<cond>"],
    "<table_ref>": [
        option("<tname>", 0.55),
        option("<tname> AS <talias>", 0.19),
        option('<tname> AS "<talias>"', 0.01),
        option("<tname> <talias>", 0.04),
        option("<lp><subquery><rp> AS <talias>", 0.13),
        option("<lp><subquery><rp>", 0.03),
        option("<lp><subquery><rp> <talias>", 0.01),
        # Names for the columns too (`AS t(a, b)`).
        option("<tname> AS <talias><lp><colnames><rp>", 0.01),
        option("<lp><subquery><rp> AS <talias><lp><colnames><rp>", 0.005),
        option("<lp><table_ref> <joined><rp>", 0.01),
        option("<lp><tname><rp>", 0.005),
        "<lp>VALUES <rows><rp> AS <talias><lp><colnames><rp>",
    ],
    "<rows>": [option("<lp><value>, <value><rp>, <lp><value>, <value><rp>", 0.7), "<lp><value><rp>, <rows>"],
    "<tname>": [option("<tbl>", 0.84), option("<schema>.<tbl>", 0.07), option("<schema>.<schema>.<tbl>", 0.04),
                option("<udf><lp><value><rp>", 0.01), option('"<tbl>"', 0.02), '"<schema>"."<tbl>"',
                '"<schema>"."<schema>"."<tbl>"'],
    "<schema>": ["db", "main", "c"],
    "<talias>": ["s", "p", "q", "x", "y", "z"],
    "<qual>": [option("<tbl>", 0.6), "<talias>"],
    "<colnames>": [option("<colname>", 0.6), "<colname>, <colnames>"],
    # ---- clauses
    "<where>": [option("", 0.45), option(" WHERE <cond>", 0.55)],
    "<group>": [
        option("", 0.78),
        option(" GROUP BY <group_items>", 0.14),
        option(" GROUP BY <group_items> HAVING <agg> <cmp> <number>", 0.04),
        option(" GROUP BY <group_items> HAVING <agg> <cmp> <number> AND <pred>", 0.01),
        option(" GROUP BY <group_items> HAVING <cond>", 0.01),
        option(" GROUP BY ALL", 0.01),
        " HAVING <agg> <cmp> <value>",  # a HAVING without GROUP BY: the whole table is the group
    ],
    "<group_items>": [option("<group_item>", 0.8), "<group_item>, <group_items>"],
    "<group_item>": [option("<column>", 0.75), option("<digit>", 0.15), option("<func>", 0.05),
                     option("<expr> <arith> <term>", 0.03), "<lp><colnames><rp>"],
    "<digit>": ["1", "2", "3", "4"],
    "<order>": [option("", 0.62), option(" ORDER BY <order_items>", 0.38)],
    "<order_items>": [option("<order_item>", 0.8), "<order_item>, <order_items>"],
    "<order_item>": [
        option("<column>", 0.4), option("<column> DESC", 0.25), "<column> ASC", "<digit>", "<digit> DESC",
        "<column> NULLS FIRST", "<column> DESC NULLS LAST", "<column> COLLATE NOCASE", "<agg> DESC", "<agg>",
        "random<lp><rp>",
        "<expr>",
    ],
    "<limit>": [option("", 0.6), option(" LIMIT <number>", 0.25), option(" LIMIT <number> OFFSET <number>", 0.09),
                option(" LIMIT <number>, <number>", 0.04), " FETCH FIRST <number> ROWS ONLY",
                " OFFSET <number> ROWS FETCH NEXT <number> ROWS ONLY"],
    # ---- conditions
    "<cond>": [
        option("<pred>", 0.6),
        option("<cond> AND <pred>", 0.22),
        option("<cond> OR <pred>", 0.12),
        "NOT <pred>",
    ],
    "<pred>": [
        option("<column> <cmp> <value>", 0.19),
        option("<expr> <cmp> <expr>", 0.1),
        option("<column> LIKE <string>", 0.05),
        option("<column> NOT LIKE <string>", 0.03),
        option("<column> GLOB <string>", 0.04),
        option("<column> REGEXP <string>", 0.02),
        option("<column> IN <lp><values><rp>", 0.06),
        option("<column> NOT IN <lp><values><rp>", 0.03),
        option("<column> IN <lp><subquery><rp>", 0.05),
        option("<column> NOT IN <lp><subquery><rp>", 0.01),
        option("<column> BETWEEN <value> AND <value>", 0.04),
        option("<column> NOT BETWEEN <number> AND <number>", 0.02),
        option("<expr> IS NULL", 0.04),
        option("<expr> IS NOT NULL", 0.04),
        option("<column> NOTNULL", 0.01),
        option("<column> IS NOT <column>", 0.01),
        option("EXISTS <lp><subquery><rp>", 0.03),
        option("NOT EXISTS <lp><subquery><rp>", 0.01),
        option("EXISTS<lp><subquery><rp>", 0.01),
        option("<column> <cmp> <lp><subquery><rp>", 0.02),
        option("<column> <cmp> ANY <lp><subquery><rp>", 0.004),
        option("<lp><cond><rp>", 0.03),  # `(a OR b) AND c`, `NOT (...)`
        option("<column>", 0.02),
        option("<column> <cmp> TRUE", 0.01),
        option("TRUE", 0.005),
        option("<func> <cmp> <value>", 0.05),
        option("<column> LIKE <string> ESCAPE '!'", 0.01),
        option("<column> = ?", 0.005),
        option("<column> = ?1", 0.005),
        "<column> = <value> COLLATE NOCASE",
    ],
    "<cmp>": [option("=", 0.3), "<lt>", "<gt>", "<lt>=", "<gt>=", "<lt><gt>", "!=", "=="],
    "<values>": [option("<value>", 0.2), option("<value>, <value>", 0.5), "<value>, <value>, <value>"],
    # `?`: the parameters of applications' SQLite queries (Python's sqlite3 writes them so).
    # Named parameters too (`:name`, `@name`, `$name`), copied as written.
    "<value>": [option("<number>", 0.4), option("<string>", 0.3), option("?", 0.17), option(":<colname>", 0.05),
                option("@<colname>", 0.02), option("$<colname>", 0.01), "-<number>", "NULL"],
    # ---- expressions
    "<expr>": [
        option("<column>", 0.56),
        option("<func>", 0.16),
        option("<number>", 0.04),
        option("<string>", 0.02),
        option("<expr> <arith> <term>", 0.07),
        option("<column> || <value>", 0.03),
        option("<column> || ' ' || <column>", 0.01),
        option("<case>", 0.03),
        option("<lp><subquery><rp>", 0.02),
        option("CAST<lp><expr> AS <type><rp>", 0.02),
        option("CAST<lp><pred> AS <type><rp>", 0.002),
        option("-<column>", 0.01),
        option("NULL", 0.003),
        option("TRUE", 0.002),
        option("FALSE", 0.002),
        "<lp><expr> <arith> <term><rp>",
    ],
    "<term>": [option("<column>", 0.45), option("<value>", 0.33), option("<func>", 0.1), option("<agg>", 0.03),
               option("<lp><subquery><rp>", 0.01), "<lp><expr> <arith> <term><rp>"],
    "<arith>": ["<plus>", "-", "<star>", "/", "%"],
    "<case>": [
        option("CASE WHEN <pred> THEN <value> ELSE <value> END", 0.55),
        option("CASE WHEN <pred> THEN <expr> END", 0.1),
        option("CASE WHEN <pred> THEN <expr> ELSE <expr> END", 0.05),
        "CASE <column> WHEN <value> THEN <value> END",
        "CASE WHEN <column> THEN 1 ELSE 0 END",
        "CASE WHEN <pred> THEN <value> WHEN <pred> THEN <value> ELSE <value> END",
    ],
    # sqlglot renames most (INT is INTEGER, DOUBLE and REAL are FLOAT, TEXT is VARCHAR(MAX),
    # TIMESTAMP is DATETIME2, BOOLEAN is BIT, DECIMAL is NUMERIC).
    "<type>": ["INTEGER", "INT", "BIGINT", "SMALLINT", "REAL", "DOUBLE", "FLOAT", "TEXT", "NUMERIC", "BLOB", "VARCHAR",
               "VARCHAR<lp><number><rp>", "CHAR<lp><number><rp>", "DECIMAL<lp><number>, <number><rp>", "BOOLEAN",
               "DATE", "DATETIME", "TIMESTAMP"],
    "<agg>": [
        option("<count><lp><star><rp>", 0.25),
        option("<count><lp><expr><rp>", 0.1),
        option("<count><lp>DISTINCT <column><rp>", 0.06),
        option("<sum><lp><expr><rp>", 0.12),
        option("<avg><lp><expr><rp>", 0.08),
        option("<min><lp><expr><rp>", 0.06),
        option("<max><lp><expr><rp>", 0.08),
        option("total<lp><column><rp>", 0.03),
        option("group_concat<lp><column><rp>", 0.04),
        option("group_concat<lp><column>, ';'<rp>", 0.03),
        option("json_group_array<lp><column><rp>", 0.02),
        option("<count><lp><star><rp> FILTER <lp>WHERE <pred><rp>", 0.03),
        option("<sum><lp><column><rp> FILTER <lp>WHERE <pred><rp>", 0.02),
        option("group_concat<lp>DISTINCT <column><rp>", 0.015),
        "<sum><lp>DISTINCT <column><rp>",
    ],
    "<func>": [
        option("iif<lp><pred>, <value>, <value><rp>", 0.05),
        option("ifnull<lp><expr>, <value><rp>", 0.05),
        option("<coalesce><lp><expr>, <expr><rp>", 0.03),
        option("<coalesce><lp><expr>, <expr>, <term><rp>", 0.02),
        option("<coalesce><lp><expr><rp>", 0.005),
        option("<variadic><lp><expr>, <expr>, <expr><rp>", 0.01),
        option("nullif<lp><column>, <value><rp>", 0.03),
        option("substr<lp><expr>, <number>, <number><rp>", 0.04),
        option("substr<lp><column>, <number><rp>", 0.02),
        option("instr<lp><column>, <string><rp>", 0.04),
        option("length<lp><expr><rp>", 0.03),
        option("<strfunc><lp><expr><rp>", 0.05),
        option("replace<lp><column>, <string>, <string><rp>", 0.03),
        option("round<lp><expr>, <number><rp>", 0.04),
        option("<mathfunc><lp><expr><rp>", 0.05),
        option("<math2func><lp><column>, <number><rp>", 0.02),
        option("<datefunc><lp><column><rp>", 0.04),
        option("<datefunc><lp>'now'<rp>", 0.03),
        option("<datefunc><lp><column>, <string><rp>", 0.03),
        option("strftime<lp><fmt>, <column><rp>", 0.05),
        option("julianday<lp><column><rp> - julianday<lp>'now'<rp>", 0.02),
        option("json_extract<lp><column>, <path><rp>", 0.04),
        option("<column> -<gt> <path>", 0.03),
        option("<column> -<gt><gt> <path>", 0.03),
        option("json_array_length<lp><column><rp>", 0.02),
        option("json_array<lp><value>, <value><rp>", 0.02),
        option("json_object<lp><string>, <column><rp>", 0.02),
        option("typeof<lp><column><rp>", 0.02),
        option("<max><lp><column>, <column><rp>", 0.02),
        option("<min><lp><column>, <value><rp>", 0.02),
        option("random<lp><rp>", 0.01),
        option("json_extract<lp><column>, <bad_path><rp>", 0.02),
        option("<udf><lp><column><rp>", 0.03),
        option("<udf><lp><column>, <value><rp>", 0.015),
        option("<udf><lp><rp>", 0.005),
        "printf<lp>'%d', <column><rp>",
    ],
    "<udf>": UDFS,
    "<count>": [option("count", 0.7), "COUNT"],
    "<sum>": [option("sum", 0.7), "SUM"],
    "<avg>": [option("avg", 0.7), "AVG"],
    "<min>": [option("min", 0.7), "MIN"],
    "<max>": [option("max", 0.7), "MAX"],
    "<coalesce>": [option("coalesce", 0.7), "COALESCE"],
    # Either case (one token to the model): samples that write `ROUND(` parse too.
    "<strfunc>": _either_case(["lower", "upper", "trim", "ltrim", "rtrim", "hex", "unicode", "quote"]),
    "<mathfunc>": _either_case(["abs", "sqrt", "ceil", "floor", "ln", "log", "log10", "log2", "exp", "sign", "trunc",
                                "radians", "degrees", "sin", "cos", "tan", "asin", "acos", "atan"]),
    "<math2func>": _either_case(["pow", "power", "mod", "log", "round", "atan2"]),
    "<variadic>": ["max", "min", "<udf>"],
    "<datefunc>": _either_case(["date", "time", "datetime", "julianday", "unixepoch"]),
    "<fmt>": FORMATS,
    "<path>": PATHS,
    "<bad_path>": BAD_PATHS,
    # ---- window functions
    "<window_call>": [
        option("<rank_fn> OVER <lp><window_spec><rp>", 0.42),
        option("<window_agg> OVER <lp><window_spec><rp>", 0.3),
        option("<window_agg> OVER <lp><rp>", 0.05),
        option("<window_agg> OVER <lp><window_spec> <frame><rp>", 0.15),
        "<window_agg> OVER <lp>ORDER BY <column> <frame> EXCLUDE <exclude><rp>",
    ],
    "<rank_fn>": [
        "row_number<lp><rp>", "rank<lp><rp>", "dense_rank<lp><rp>", "ntile<lp>4<rp>", "lag<lp><column><rp>",
        "lead<lp><column>, 1<rp>", "first_value<lp><column><rp>", "percent_rank<lp><rp>", "ROW_NUMBER<lp><rp>", "RANK<lp><rp>",
        "DENSE_RANK<lp><rp>", "NTILE<lp>4<rp>", "LAG<lp><column><rp>", "LEAD<lp><column>, 1<rp>",
    ],
    "<window_agg>": ["<sum><lp><column><rp>", "<avg><lp><column><rp>", "<count><lp><star><rp>", "<max><lp><column><rp>"],
    "<window_spec>": [
        option("ORDER BY <column>", 0.35),
        option("PARTITION BY <column>", 0.15),
        option("PARTITION BY <column> ORDER BY <column>", 0.3),
        "PARTITION BY <column> ORDER BY <column> DESC",
        "ORDER BY <column> NULLS LAST",
    ],
    "<frame>": [
        option("ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW", 0.4),
        "ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING",
        "RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW",
        "ROWS 2 PRECEDING",
        "GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW",
    ],
    "<exclude>": ["CURRENT ROW", "TIES", "GROUP", "NO OTHERS"],
    # ---- names and literals (content)
    "<column>": [option("<colname>", 0.58), option("<qual>.<colname>", 0.34), '"<colname>"', '"<qual>"."<colname>"',
                 '<qual>."<colname>"'],
    "<colname>": COLUMNS,
    "<tbl>": TABLES,
    "<alias>": [*ALIASES, '"<colname>"'],
    "<number>": NUMBERS,
    "<string>": STRINGS,
}, {**ESCAPES, "*": "<star>"})


# --------------------------------------------------------------------------------------------
# Tokenizers. lark's basic lexer tries terminals by priority, then by length, so a keyword
# (priority 4) wins over IDENT (3) where both match, and ANY (-1) makes every string tokenize.
# SQL reads keywords in any case. The reserved ones (KEYWORD) are case-insensitive tokens, so a
# query written in lower case reads as the grammar's upper-case ones do; the others
# (SOFT_KEYWORD) may also be names, which sqlglot copies as written (`SELECT date` stays `date`),
# so their case is kept.
# --------------------------------------------------------------------------------------------

_KEYWORDS = [
    # Several words in a row first, so that "ORDER BY" is one token.
    "LEFT OUTER JOIN", "RIGHT OUTER JOIN", "FULL OUTER JOIN", "NATURAL LEFT JOIN", "NATURAL JOIN",
    "LEFT JOIN", "RIGHT JOIN", "FULL JOIN", "INNER JOIN", "CROSS JOIN", "IS NOT DISTINCT FROM",
    "IS DISTINCT FROM", "IS NOT NULL", "IS NULL", "NOT LIKE", "NOT IN", "NOT BETWEEN", "NOT GLOB",
    "UNION ALL", "INTERSECT ALL", "EXCEPT ALL", "ORDER BY", "GROUP BY", "PARTITION BY",
    "ROWS BETWEEN", "RANGE BETWEEN", "GROUPS BETWEEN", "UNBOUNDED PRECEDING", "UNBOUNDED FOLLOWING",
    "CURRENT ROW", "NULLS FIRST", "NULLS LAST", "NO OTHERS", "ROWS FETCH FIRST", "ROWS ONLY",
    "WITHIN GROUP", "WITH RECURSIVE",
    "SELECT", "DISTINCT", "ALL", "FROM", "WHERE", "AND", "OR", "NOT", "AS", "ON", "USING", "JOIN",
    "LIKE", "GLOB", "REGEXP", "ESCAPE", "IN", "BETWEEN", "IS", "NULL", "EXISTS", "HAVING",
    "LIMIT", "OFFSET", "ASC", "DESC", "UNION", "INTERSECT", "EXCEPT", "WITH", "CASE", "WHEN", "THEN",
    "ELSE", "OVER", "COLLATE", "TRUE", "FALSE", "NOTNULL", "ISNULL", "CAST",
]
_SOFT_KEYWORDS = [
    "END", "FILTER", "WINDOW", "ROWS", "RANGE", "GROUPS", "PRECEDING", "FOLLOWING", "MATCH",
    "EXCLUDE", "TIES", "GROUP", "TOP", "FETCH", "FIRST", "NEXT", "ONLY", "ROW", "NOCASE",
    "LATERAL", "INTEGER", "REAL", "TEXT", "NUMERIC",
    "BLOB", "VARCHAR", "DECIMAL", "BOOLEAN", "FLOAT", "BIT", "VARBINARY", "DATETIME2", "DATE", "MAX",
    "INT", "BIGINT", "SMALLINT", "DOUBLE", "CHAR", "DATETIME", "TIMESTAMP",
    "ANY", "SOME", "VALUES",
]
# Words sqlglot reads as keywords where the grammar writes names, so that in some query a name
# spelled so is not a name (`FROM t SEMI JOIN u` is a semi join, not `t` aliased `SEMI`): found by
# putting each keyword of sqlglot's SQLite tokenizer, in either case, where the grammar puts names
# (column, table, alias, qualified column, function argument, WHERE, GROUP BY, ORDER BY; the
# test of this subject does it again) and keeping those not copied as written; the parts of the
# joins above are among them. The grammar never writes them alone, so
# they are a token of their own (UNMODELLED) that no vocabulary holds unless the samples use it: a
# query with one is not covered, where as a name placeholder it was answered as if it were a name.
_UNMODELLED = [
    "ALTER", "ANTI", "ASOF", "CREATE", "CROSS", "CUBE", "CURRENT_DATE", "CURRENT_TIME",
    "CURRENT_TIMESTAMP", "CURRENT_USER", "DESCRIBE", "DROP", "FOR", "FULL", "GRANT", "ILIKE", "INNER",
    "INSERT", "INTO", "LEFT", "LOCK", "NATURAL", "OUTER", "OVERLAPS", "PARTITIONED_BY", "QUALIFY",
    "RETURNING", "REVOKE", "RIGHT", "RLIKE", "ROLLBACK", "ROLLUP", "SEMI", "STRAIGHT_JOIN", "TABLESAMPLE",
    "UNCACHE", "XOR",
]


# The names of functions sqlglot knows (those its SQLite or T-SQL reader does not take for an
# unknown function, sqlglot 30.30.0; the subject's test derives them again from the installed
# sqlglot). A call of one of them is vocabulary: sqlglot may rename it or change its arguments
# (`ceil(a)` is `CEILING(a)`). A call of any other name is an application's own function, which
# sqlglot copies upper-cased (`my_udf(a)` is `MY_UDF(a)`): content, a `CALL_n` placeholder the
# model copies, so that calls of functions no grammar names are still answered.
KNOWN_FUNCTIONS = """
    ABS ACOS ACOSH ADD_MONTHS AGG AI_AGG AI_CLASSIFY AI_EMBED AI_GENERATE AI_SIMILARITY AI_SUMMARIZE_AGG ALL
    ALTER ANALYZE AND ANONYMOUS_AGG_FUNC ANTI ANY ANY_VALUE APPLY APPROXIMATE_JACCARD_INDEX
    APPROXIMATE_SIMILARITY APPROX_COUNT_DISTINCT APPROX_DISTINCT APPROX_PERCENTILE_ACCUMULATE
    APPROX_PERCENTILE_COMBINE APPROX_PERCENTILE_ESTIMATE APPROX_QUANTILE APPROX_QUANTILES APPROX_TOP_K
    APPROX_TOP_K_ACCUMULATE APPROX_TOP_K_COMBINE APPROX_TOP_K_ESTIMATE APPROX_TOP_SUM ARGMAX ARGMIN ARG_MAX
    ARG_MIN ARRAY ARRAYAGG ARRAYS_ZIP ARRAY_AGG ARRAY_ALL ARRAY_ANY ARRAY_APPEND ARRAY_CAT ARRAY_COMPACT
    ARRAY_CONCAT ARRAY_CONCAT_AGG ARRAY_CONSTRUCT_COMPACT ARRAY_CONTAINED_BY ARRAY_CONTAINS
    ARRAY_CONTAINS_ALL ARRAY_DISTINCT ARRAY_EXCEPT ARRAY_FILTER ARRAY_FIRST ARRAY_HAS ARRAY_HAS_ALL
    ARRAY_INSERT ARRAY_INTERSECT ARRAY_INTERSECTION ARRAY_JOIN ARRAY_LAST ARRAY_LENGTH ARRAY_MAX ARRAY_MIN
    ARRAY_OVERLAPS ARRAY_POSITION ARRAY_PREPEND ARRAY_REMOVE ARRAY_REMOVE_AT ARRAY_REVERSE ARRAY_SIZE
    ARRAY_SLICE ARRAY_SORT ARRAY_SUM ARRAY_TO_STRING ARRAY_UNION_AGG ARRAY_UNIQUE_AGG AS ASC ASCII ASIN
    ASINH ASOF ATAN ATAN2 ATANH ATN2 ATTACH AUTOINCREMENT AUTO_INCREMENT AVG A_I_FORECAST
    BASE64_DECODE_BINARY BASE64_DECODE_STRING BASE64_ENCODE BEGIN BETWEEN BITMAP_BIT_POSITION
    BITMAP_BUCKET_NUMBER BITMAP_CONSTRUCT_AGG BITMAP_COUNT BITMAP_OR_AGG BITWISE_AND_AGG BITWISE_COUNT
    BITWISE_OR_AGG BITWISE_XOR_AGG BIT_LENGTH BOOLAND BOOLAND_AGG BOOLNOT BOOLOR BOOLOR_AGG BOOLXOR_AGG
    BOOL_AND BOOL_OR BYTE_LENGTH CACHE CASE CAST CAST_TO_STR_TYPE CBRT CEIL CEILING CHAR CHARACTER_LENGTH
    CHARINDEX CHAR_LENGTH CHECK_JSON CHECK_XML CHR CITY_HASH64 COALESCE CODE_POINTS_TO_BYTES
    CODE_POINTS_TO_STRING COLLATE COLLATION COLUMN COLUMNS COMBINED_AGG_FUNC COMBINED_PARAMETERIZED_AGG
    COMMENT COMMIT COMPRESS CONCAT CONCAT_WS CONNECT_BY_ROOT CONSTRAINT CONTAINS CONVERT CONVERT_TIMEZONE
    CONVERT_TO_CHARSET COPY CORR COS COSH COSINE_DISTANCE COT COTH COUNT COUNTIF COUNT_BIG COUNT_IF
    COVAR_POP COVAR_SAMP CREATE CROSS CSC CSCH CUBE CUME_DIST CURRENT_ACCOUNT CURRENT_ACCOUNT_NAME
    CURRENT_AVAILABLE_ROLES CURRENT_CATALOG CURRENT_CLIENT CURRENT_DATABASE CURRENT_DATE CURRENT_DATETIME
    CURRENT_IP_ADDRESS CURRENT_ORGANIZATION_NAME CURRENT_ORGANIZATION_USER CURRENT_REGION CURRENT_ROLE
    CURRENT_ROLE_TYPE CURRENT_SCHEMA CURRENT_SCHEMAS CURRENT_SECONDARY_ROLES CURRENT_SESSION
    CURRENT_STATEMENT CURRENT_TIME CURRENT_TIMESTAMP CURRENT_TIMESTAMP_L_T_Z CURRENT_TIMEZONE
    CURRENT_TRANSACTION CURRENT_USER CURRENT_USER_ID CURRENT_VERSION CURRENT_WAREHOUSE DATABASE DATE DATEADD
    DATEDIFF DATEDIFF_BIG DATEFROMPARTS DATENAME DATEPART DATETIME DATETIMEFROMPARTS DATETIME_ADD
    DATETIME_DIFF DATETIME_SUB DATETIME_TRUNC DATETRUNC DATE_ADD DATE_BIN DATE_DIFF DATE_FROM_PARTS
    DATE_FROM_UNIX_DATE DATE_STR_TO_DATE DATE_SUB DATE_TO_DATE_STR DATE_TO_DI DATE_TRUNC DAY DAYNAME
    DAYOFMONTH DAYOFWEEK DAYOFWEEK_ISO DAYOFYEAR DAY_OF_MONTH DAY_OF_WEEK DAY_OF_YEAR DECODE DECODE_CASE
    DECOMPRESS_BINARY DECOMPRESS_STRING DECRYPT DECRYPT_RAW DEFAULT DEGREES DELETE DENSE_RANK DESC DESCRIBE
    DETACH DISTINCT DIV DI_TO_DATE DOT_PRODUCT DROP DYNAMIC_IDENTIFIER EDITDIST3 ELSE ELT ENCODE ENCRYPT
    ENCRYPT_RAW END ENDSWITH ENDS_WITH EOMONTH EQUAL_NULL ESCAPE EUCLIDEAN_DISTANCE EXCEPT EXEC EXECUTE
    EXISTS EXP EXPLODE EXPLODE_OUTER EXPLODING_GENERATE_SERIES EXTRACT FACTORIAL FALSE FARMFINGERPRINT64
    FARM_FINGERPRINT FEATURES_AT_TIME FETCH FILE FILTER FIRST FIRST_VALUE FLATTEN FLOAT64 FLOOR FOR FORMAT
    FROM FROM_BASE FROM_BASE32 FROM_BASE64 FROM_ISO8601_DATE FROM_ISO8601_TIMESTAMP
    FROM_ISO8601_TIMESTAMP_NANOS FROM_JSON FULL FUNCTION GAP_FILL GENERATE_BOOL GENERATE_DATE_ARRAY
    GENERATE_DOUBLE GENERATE_EMBEDDING GENERATE_INT GENERATE_SERIES GENERATE_TABLE GENERATE_TEXT
    GENERATE_TIMESTAMP_ARRAY GENERATE_UUID GENERATOR GEN_RANDOM_UUID GETBIT GETDATE GET_BIT GET_EXTRACT
    GET_IGNORE_CASE GLOB GRANT GREATEST GROUPING GROUPING_ID GROUP_CONCAT HASHBYTES HASH_AGG HAVING HEX
    HEX_DECODE_STRING HLL HOST HOUR IF IFNULL IIF IN INITCAP INLINE INNER INSERT INSTR INT64 INTERSECT
    INTERVAL INTO IS ISINF ISNAN ISNULL ISODOW IS_ARRAY IS_ASCII IS_INF IS_NAN IS_NULL_VALUE
    JAROWINKLER_SIMILARITY JOIN JSONB_CONTAINS JSONB_EXISTS JSONB_EXTRACT JSONB_EXTRACT_SCALAR JSON_ARRAYAGG
    JSON_ARRAY_APPEND JSON_ARRAY_CONTAINS JSON_ARRAY_INSERT JSON_EXTRACT JSON_EXTRACT_ARRAY
    JSON_EXTRACT_PATH_TEXT JSON_EXTRACT_SCALAR JSON_FORMAT JSON_GROUP_ARRAY JSON_GROUP_OBJECT JSON_KEYS
    JSON_OBJECT JSON_OBJECTAGG JSON_PARSE JSON_QUERY JSON_REMOVE JSON_SET JSON_STRIP_NULLS JSON_TABLE
    JSON_TYPE JSON_VALUE JUSTIFY_DAYS JUSTIFY_HOURS JUSTIFY_INTERVAL J_S_O_N_ARRAY J_S_O_N_ARRAY_AGG
    J_S_O_N_BOOL J_S_O_N_B_CONTAINS_ALL_TOP_KEYS J_S_O_N_B_CONTAINS_ANY_TOP_KEYS J_S_O_N_B_CONTAINS_TOP_KEY
    J_S_O_N_B_DELETE_AT_PATH J_S_O_N_B_OBJECT_AGG J_S_O_N_B_PATH_EXISTS J_S_O_N_CAST J_S_O_N_EXISTS
    J_S_O_N_KEYS_AT_DEPTH J_S_O_N_OBJECT J_S_O_N_OBJECT_AGG J_S_O_N_TABLE J_S_O_N_VALUE_ARRAY KEEP KILL
    KURTOSIS LAG LAST LAST_DAY LAST_DAY_OF_MONTH LAST_VALUE LATERAL LAX_BOOL LAX_FLOAT64 LAX_INT64
    LAX_STRING LCASE LEAD LEAST LEFT LEFTPAD LEN LENGTH LEVENSHTEIN LIKE LIMIT LIST LN LOAD LOCALTIME
    LOCALTIMESTAMP LOCATE LOCK LOG LOG10 LOG2 LOGICAL_AND LOGICAL_OR LOWER LOWER_HEX LPAD LTRIM
    MAKE_INTERVAL MANHATTAN_DISTANCE MAP MAP_CAT MAP_CONTAINS_KEY MAP_DELETE MAP_FROM_ENTRIES MAP_INSERT
    MAP_KEYS MAP_PICK MAP_SIZE MATCH MATCH_AGAINST MAX MAX_BY MD5 MD5_DIGEST MEDIAN MIN MINHASH
    MINHASH_COMBINE MINUTE MIN_BY MOD MODE MONTH MONTHNAME MONTHS_BETWEEN M_D5_NUMBER_LOWER64
    M_D5_NUMBER_UPPER64 M_L_FORECAST M_L_TRANSLATE NAMESPACE NANVL NATURAL NEGATIVE NET_FUNC NEWID NEXT
    NEXT_DAY NEXT_VALUE_FOR NORMAL NORMALIZE NOT NOTNULL NTH_VALUE NTILE NULL NULLIF NUMBER_TO_STR NVL NVL2
    OBJECT_AGG OBJECT_ID OBJECT_INSERT OBJECT_TRANSFORM ON OPENJSON OPEN_J_S_O_N OPERATOR OPTION OR
    ORDINALITY OUT OUTER OUTPUT OVER OVERLAPS OVERLAY OVERWRITE PAD PARAMETERIZED_AGG PARSE_BIGNUMERIC
    PARSE_DATETIME PARSE_IP PARSE_JSON PARSE_NUMERIC PARSE_TIME PARSE_URL PARTITION PARTITIONED_BY PERCENT
    PERCENTILE_CONT PERCENTILE_DISC PERCENT_RANK PI PIVOT POSEXPLODE POSEXPLODE_OUTER POSITION POW POWER
    PRAGMA PREDICT PREVIOUS_DAY PROC PROCEDURE QUALIFY QUANTILE QUARTER RADIANS RAND RANDN RANDOM RANDSTR
    RANGE_BUCKET RANGE_N RANK READ_CSV READ_PARQUET RECURSIVE REDUCE REFERENCES REGEXP_COUNT REGEXP_EXTRACT
    REGEXP_EXTRACT_ALL REGEXP_FULL_MATCH REGEXP_INSTR REGEXP_I_LIKE REGEXP_LIKE REGEXP_REPLACE REGEXP_SPLIT
    REGEXP_SUBSTR REGR_AVGX REGR_AVGY REGR_COUNT REGR_INTERCEPT REGR_R2 REGR_SLOPE REGR_SXX REGR_SXY
    REGR_SYY REGR_VALX REGR_VALY REG_DOMAIN RENAME REPEAT REPLACE REPLICATE RETURNING REVERSE REVOKE RIGHT
    RIGHTPAD RINT ROLLBACK ROLLUP ROUND ROWS ROW_NUMBER RPAD RTRIM RTRIMMED_LENGTH SAFE_ADD SAFE_CAST
    SAFE_CONVERT_BYTES_TO_STRING SAFE_DIVIDE SAFE_FUNC SAFE_MULTIPLY SAFE_NEGATE SAFE_SUBTRACT SCHEMA
    SCHEMA_NAME SCOPE_RESOLUTION SEARCH SEARCH_IP SEC SECH SECOND SECRET SELECT SEMI SEQ1 SEQ2 SEQ4 SEQ8
    SESSION SESSION_USER SET SETTINGS SHA SHA1 SHA2 SHOW SHUFFLE SIGN SIGNUM SIN SINH SKEWNESS SORT_ARRAY
    SOUNDEX SOUNDEX_P123 SPACE SPLIT SPLIT_BY_STRING SPLIT_PART SPLIT_TO_TABLE SQLITE_VERSION SQRT SQUARE
    STACK STANDARD_HASH STARTSWITH STARTS_WITH STAR_MAP STDDEV STDDEV_POP STDDEV_SAMP STDEV STRAIGHT_JOIN
    STRFTIME STRING STRING_AGG STRING_TO_ARRAY STRIP_NULL_VALUE STRPOS STRTOK STRTOK_SPLIT_TO_TABLE
    STRTOK_TO_ARRAY STRUCT STRUCT_EXTRACT STR_POSITION STR_TO_DATE STR_TO_MAP STR_TO_TIME STR_TO_UNIX STUFF
    ST_DISTANCE ST_MAKEPOINT ST_POINT SUBSTR SUBSTRING SUBSTRING_INDEX SUM SUSER_NAME SUSER_SNAME
    SYSDATETIME SYSDATETIMEOFFSET SYSTEM_USER SYSTIMESTAMP S_H_A1_DIGEST S_H_A2_DIGEST TABLESAMPLE TAN TANH
    TEMP TEMPORARY THEN TIME TIMEFROMPARTS TIMESTAMP TIMESTAMPDIFF TIMESTAMPFROMPARTS TIMESTAMPLTZFROMPARTS
    TIMESTAMPTZFROMPARTS TIMESTAMP_ADD TIMESTAMP_DIFF TIMESTAMP_FROM_PARTS TIMESTAMP_LTZ_FROM_PARTS
    TIMESTAMP_SUB TIMESTAMP_TRUNC TIMESTAMP_TZ_FROM_PARTS TIME_ADD TIME_DIFF TIME_FROM_PARTS TIME_SLICE
    TIME_STR_TO_DATE TIME_STR_TO_TIME TIME_STR_TO_UNIX TIME_SUB TIME_TO_STR TIME_TO_TIME_STR TIME_TO_UNIX
    TIME_TRUNC TOP TO_ARRAY TO_BASE32 TO_BASE64 TO_BINARY TO_BOOLEAN TO_CHAR TO_CODE_POINTS TO_DAYS
    TO_DECFLOAT TO_DOUBLE TO_FILE TO_HEX TO_MAP TO_NUMBER TO_VARIANT TRANSFORM TRANSLATE TRIGGER TRIM TRUE
    TRUNC TRUNCATE TRY TRY_BASE64_DECODE_BINARY TRY_BASE64_DECODE_STRING TRY_CAST TRY_CONVERT
    TRY_HEX_DECODE_BINARY TRY_HEX_DECODE_STRING TRY_TO_DECFLOAT TS_OR_DI_TO_DI TS_OR_DS_ADD TS_OR_DS_DIFF
    TS_OR_DS_TO_DATE TS_OR_DS_TO_DATETIME TS_OR_DS_TO_DATE_STR TS_OR_DS_TO_TIME TS_OR_DS_TO_TIMESTAMP TYPEOF
    UCASE UNCACHE UNHEX UNICODE UNIFORM UNIQUE UNIX_DATE UNIX_MICROS UNIX_MILLIS UNIX_SECONDS UNIX_TO_STR
    UNIX_TO_TIME UNIX_TO_TIME_STR UNNEST UNPIVOT UPDATE UPPER USE USING UTC_DATE UTC_TIME UTC_TIMESTAMP UUID
    UUID_STRING VALUES VARIANCE VARIANCE_POP VARIANCE_SAMP VAR_MAP VAR_POP VAR_SAMP VECTOR_SEARCH VIEW
    VOLATILE WEEK WEEKOFYEAR WEEK_OF_YEAR WEEK_START WEIGHT_STRING WHEN WHERE WIDTH_BUCKET WITH XMLELEMENT
    XMLGET XMLTABLE XOR X_M_L_TABLE YEAR YEAROFWEEK YEAROFWEEKISO YEAR_OF_WEEK YEAR_OF_WEEK_ISO ZIPF
""".split()


def _alternatives(words: list[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


# The words that are vocabulary where a call would be read (`EXISTS(`, `CAST(`, `VARCHAR(`), as
# alternatives of a regular expression (sorted first, so that the terminals, and keys, are stable).
_NOT_CALLS = _alternatives(sorted({*KNOWN_FUNCTIONS,
                                   *(w for w in _KEYWORDS + _SOFT_KEYWORDS + _UNMODELLED if " " not in w)}))


# A call is not a list of column names (`AS t(a, b)`, `WITH t(a, b) AS (`), which sqlglot copies as
# written: there the name is a name (IDENT, content: any alias reads alike), and its parenthesis a
# token of its own that nests, as the answers' checks expect (calibration.nesting). A comment's
# text is what follows its opening and its spaces, up to the end of the line or the closing (a `--`
# comment is written `/* ... */`, the text kept).
_COMMON = rf"""
CALL.6: /(?<![\w$.])(?<![Aa][Ss] )(?!(?i:{_NOT_CALLS})\()[A-Za-z_][A-Za-z0-9_]*(?=\((?![\w\s,"]*\)\s*(?i:AS)\s*\())/
FUNC.6: /(?<![\w$.])(?i:{_NOT_CALLS})\(/
COMMENT_OPEN.6: / ?(?:--|\/\*)[ \t]*/
COMMENT_CLOSE.6: /[ \t]*\*\//
LINE_COMMENT.7: /(?:(?<=--)|(?<=-- )|(?<=--  ))[^\n]*[^\s]/
BLOCK_COMMENT.7: /(?:(?<=\/\*)|(?<=\/\* )|(?<=\/\*  ))(?:(?!\*\/)[^\n])*[^\s*](?=[ \t]*\*\/)/
KEYWORD.4: /(?: |(?<![\w$.]))(?i:{_alternatives(_KEYWORDS)})(?![\w$]) ?/
SOFT_KEYWORD.4: /(?: |(?<![\w$.]))(?i:{_alternatives(_SOFT_KEYWORDS)})(?![\w$]) ?/
UNMODELLED.4: /(?: |(?<![\w$.]))(?i:{_alternatives(_UNMODELLED)})(?![\w$]) ?/
DIGIT.4: /(?<![\w$.])(?:10|[0-9])(?![\w$.])/
GENERATED.4: /(?<![\w$])_(?:l|q|u|col)_[0-9]+(?![\w$])/
PATH.5: /'\$(?:\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])*'/
ODD_PATH.4: /'\$[^']*'/
SEPARATOR.4: "','" | "';'" | "' '" | "'%d'" | "'now'" | "''"
NUMBER.3: /(?<![\w$])(?:0[xX][0-9A-Fa-f]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)/
STRING.3: /'(?:[^']|'')*'/
IDENT.3: /[A-Za-z_][A-Za-z0-9_$]*/
OP.4: / ?(?:->>|->|\|\||<>|<=|>=|!=|==|<<|>>|[=<>+\/%&|~-]) ?/
STAR.4: / \* (?=[\w(])|\*/
COMMA.4: /, ?/
PUNCT.4: /[().;\[\]"`?:@]/
SPACES.2: /[ \t]+/
NL.2: /\r?\n/
ANY.-1: /[\s\S]/
"""

INPUT_TERMINALS = _COMMON + "\nSTRFTIME.4: " + " | ".join(f'"{f}"' for f in FORMATS) + "\n"

# The T-SQL FORMAT strings that sqlglot writes for the strftime formats of the grammar.
_TSQL_FORMATS = [
    "'yyyy-MM-dd HH:mm:ss'", "'yyyy-MM-dd'", "'yyyy-MM'", "'yyyy'", "'MM'", "'dd'", "'HH:mm'", "'HH'",
    "'mm'", "'ss'", "'dayofyear'", "'dw'", "'wk'", "'ffffff'", "'%s'",
]
OUTPUT_TERMINALS = _COMMON + "\nTSQL_FORMAT.4: " + " | ".join(f'"{f}"' for f in _TSQL_FORMATS) + "\n"

CONTENT = ("IDENT", "NUMBER", "STRING", "PATH", "CALL", "LINE_COMMENT", "BLOCK_COMMENT")

input_tokenizer = LarkTokenizer(terminals=INPUT_TERMINALS, content=CONTENT,
                                case_insensitive=("KEYWORD", "UNMODELLED", "FUNC", "CALL"))
output_tokenizer = LarkTokenizer(terminals=OUTPUT_TERMINALS, content=CONTENT, case_insensitive=("CALL",))

subject = bundled_subject(
    "sqlglot-tsql",
    program=transpile,
    program_version="sqlglot==30.30.0",
    installed_version=package_version("sqlglot"),
    grammar=grammar,
    input_tokenizer=input_tokenizer,
    output_tokenizer=output_tokenizer,
    # Rotary positions: the fixtures' queries are longer than synthetic ones (BENCHMARKS.md, by length).
    # Patience 20 evaluations (about 8 epochs): the held-out exact match moves by 2-3 points between
    # evaluations, so 8 (3 epochs) ended both directions' training while it still gained.
    # Dropout as the shipped default: without it the forward model memorized its pairs within the
    # 20 minutes and was less exact on the queries applications write (docs/model-history.md).
    training=with_rotary(SHIPPED_TRAINING.replace(max_nonterminals=20, max_input_chars=200, max_epochs=40,
                                                  max_minutes=20, patience=20)),
    failure_kind=failure_kind,
    exception_types={name: f"sqlglot.errors.{name}" for name in ("ParseError", "TokenError", "UnsupportedError")},
    corpora={"sqlglot-fixtures": "sqlglot.jsonl"},
    samples=CorpusSamples(CORPORA / "sqlglot.jsonl"),
    description="SQLite SELECT query -> T-SQL (sqlglot, unsupported features raise)",
)
