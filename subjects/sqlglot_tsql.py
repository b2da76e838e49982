"""The bundled `sqlglot-tsql` subject: sqlglot transpiling SQLite SELECT queries to T-SQL.

Stands in for the paper's SQL -> KQL subject. The program is
`sqlglot.transpile(sql, read="sqlite", write="tsql", unsupported_level=ErrorLevel.RAISE)`,
statements joined by newlines. Its failures are behaviour: `UnsupportedError` where T-SQL has no
counterpart (`group_concat(DISTINCT ...)`, `INTERSECT ALL`, JSON path wildcards and slices, window
frames with `EXCLUDE`, `LATERAL`), `ParseError` on SQLite syntax sqlglot does not read (numbered
parameters `?1`), and genuine crashes (`ValueError` on recursive `$..` and filter JSON paths).
Their messages are shortened so they never carry the query itself.

Identifiers, string literals, numbers and simple JSON paths are content (`IDENT_n`, `STRING_n`,
`NUMBER_n`, `PATH_n` placeholders), spelled the same in SQLite and in T-SQL; keywords, function
names, operators, the digits 0-9 and 10, strftime formats and the T-SQL formats they become are
vocabulary. Keywords and operators absorb the spaces around them (`" FROM "`, `" = "`, `", "`),
so a query is about one token per word. Reserved keywords read alike in any case (`select`
is `SELECT`); sqlglot's keywords that the grammar never writes are tokens of their own, never
names, so a query holding one is left to sqlglot unless the samples taught it. The sample part
of sqlglot's test fixtures steers training (`samples`).

Importing this module imports neither sqlglot nor torch nor fuzzingbook.
"""
from __future__ import annotations


from pytest_modelizer import CorpusSamples, LarkTokenizer, package_version
from pytest_modelizer.grammar import ESCAPES, option, with_escape_rules
from pytest_modelizer.subjects.bundled import CORPORA, NO_DROPOUT, SHIPPED_TRAINING, bundled_subject, with_rotary

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
# aliased, schema-qualified tables; expressions and conditions of any depth): with the flat
# grammar before, 37 of the fixtures' 517 sample queries parsed, and the recombined inputs that
# steer training came from those 37; now 201 do (the rest use other dialects' syntax: PIVOT,
# GROUPING SETS, QUALIFY, LATERAL VIEW, or functions SQLite lacks).
# --------------------------------------------------------------------------------------------

TABLES = ["t", "u", "orders", "users", "items", "t1", "t2"]
COLUMNS = ["a", "b", "c", "id", "name", "price", "qty", "city", "score", "status"]
ALIASES = ["x", "y", "n", "total", "cnt", "v"]
STRINGS = ["'abc'", "'x%'", "'%foo%'", "'a_c'", "'N/A'", "'red'", "'bob'", "''", "'2024-01-01'", "'+1 day'"]
NUMBERS = ["0", "1", "2", "3", "5", "10", "12", "25", "42", "100", "1000", "3.5", "0.25", "99.9"]
FORMATS = ["'%Y'", "'%m'", "'%d'", "'%H'", "'%M'", "'%Y-%m-%d'", "'%H:%M'", "'%Y-%m'", "'%j'", "'%W'", "'%w'", "'%s'"]
# Simple JSON paths are copied unchanged; wildcards and slices are unsupported, `..` and filters crash.
PATHS = ["'$.a'", "'$.b'", "'$.tags[0]'", "'$.a.b'", "'$[1]'"]
BAD_PATHS = ["'$.a[*]'", "'$.*'", "'$.a[1:2]'", "'$..a'", "'$.a[?(@.b > 1)]'"]


grammar: dict[str, list] = with_escape_rules({
    "<start>": [
        option("<select>", 0.74),
        option("<with> <select>", 0.08),
        option("<compound>", 0.08),
        option("<recursive_cte>", 0.01),
        "<select_window>",
    ],
    # ---- query shapes. Queries nest as real ones do: a table may be a subquery, a column an
    # expression of expressions, a condition a combination of conditions; the synthesis's
    # nonterminal limit keeps the nesting to what fits the input length.
    "<select>": [
        option("SELECT <distinct><cols> FROM <from><where><group><order><limit>", 0.92),
        "SELECT <cols>",
    ],
    "<distinct>": [option("", 0.85), option("DISTINCT ", 0.13), "ALL "],
    "<cols>": [
        option("<col_item>", 0.45),
        option("<col_item>, <cols>", 0.38),
        option("<star>", 0.1),
        option("<qual>.<star>", 0.03),
        "<star>, <col_item>",
    ],
    "<col_item>": [
        option("<expr>", 0.5),
        option("<expr> AS <alias>", 0.22),
        option("<agg>", 0.1),
        option("<agg> AS <alias>", 0.08),
        option("<agg> <arith> <term>", 0.02),
        option("<window_call>", 0.02),
        "<window_call> AS <alias>",
    ],
    "<select_window>": [
        option("SELECT <column>, <window_call> FROM <tbl>", 0.7),
        "SELECT <window_call> AS <alias> FROM <tbl><where>",
        "SELECT <window_agg> OVER w FROM <tbl> WINDOW w AS <lp><window_spec><rp>",
    ],
    "<with>": [option("WITH <cte_def>", 0.75), "WITH <cte_def>, <cte_def>"],
    "<cte_def>": [option("<ctename> AS <lp><subquery><rp>", 0.85), "<ctename><lp><colname><rp> AS <lp><subquery><rp>"],
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
    # A subquery: a select of its own, less often ordered or limited.
    "<subquery>": [
        option("SELECT <distinct><cols> FROM <from><where>", 0.6),
        option("SELECT <cols> FROM <from><where><group>", 0.2),
        option("SELECT <cols> FROM <from><where> ORDER BY <order_item> LIMIT <number>", 0.05),
        option("SELECT <cols>", 0.06),
        "<simple> <setop> <simple>",
    ],
    # ---- FROM and joins
    "<from>": [option("<table_ref>", 0.62), option("<table_ref> <joined>", 0.3), option("<table_ref>, <table_ref>", 0.06),
               option("<tbl>, LATERAL <lp><simple><rp> AS s", 0.004), "<lp><table_ref> <joined><rp>"],
    "<joined>": [
        option("<join> <table_ref> ON <on_cond>", 0.6),
        option("<join> <table_ref> ON <on_cond> <joined>", 0.12),
        option("<join> <table_ref> USING <lp><colnames><rp>", 0.06),
        option("NATURAL JOIN <table_ref>", 0.04),
        option("CROSS JOIN <table_ref>", 0.08),
        option("CROSS JOIN <table_ref> <joined>", 0.03),
        ", <table_ref> <joined>",
    ],
    "<join>": [
        option("JOIN", 0.3), option("INNER JOIN", 0.2), option("LEFT JOIN", 0.25), "LEFT OUTER JOIN", "RIGHT JOIN",
        "FULL OUTER JOIN", "FULL JOIN", "NATURAL LEFT JOIN",
    ],
    "<on_cond>": [option("<qual>.<colname> = <qual>.<colname>", 0.7),
                  option("<qual>.<colname> = <qual>.<colname> AND <pred>", 0.15), "<cond>"],
    "<table_ref>": [
        option("<tname>", 0.55),
        option("<tname> AS <talias>", 0.2),
        option("<tname> <talias>", 0.04),
        option("<lp><subquery><rp> AS <talias>", 0.13),
        option("<lp><subquery><rp>", 0.03),
        "<lp>VALUES <lp><value>, <value><rp>, <lp><value>, <value><rp><rp> AS <talias><lp><colname>, <colname><rp>",
    ],
    "<tname>": [option("<tbl>", 0.85), option("<schema>.<tbl>", 0.07), option("<schema>.<schema>.<tbl>", 0.05), '"<tbl>"'],
    "<schema>": ["db", "main", "c"],
    "<talias>": ["s", "p", "q", "x", "y", "z"],
    "<qual>": [option("<tbl>", 0.6), "<talias>"],
    "<colnames>": [option("<colname>", 0.7), "<colname>, <colname>"],
    # ---- clauses
    "<where>": [option("", 0.45), option(" WHERE <cond>", 0.55)],
    "<group>": [
        option("", 0.78),
        option(" GROUP BY <group_items>", 0.14),
        " GROUP BY <group_items> HAVING <agg> <cmp> <number>",
        " GROUP BY <group_items> HAVING <agg> <cmp> <number> AND <pred>",
    ],
    "<group_items>": [option("<column>", 0.6), option("<column>, <column>", 0.15), option("<digit>", 0.1),
                      option("<digit>, <digit>", 0.05), "<expr>"],
    "<digit>": ["1", "2", "3"],
    "<order>": [option("", 0.62), option(" ORDER BY <order_item>", 0.3), " ORDER BY <order_item>, <order_item>"],
    "<order_item>": [
        option("<column>", 0.4), option("<column> DESC", 0.25), "<column> ASC", "<digit>", "<digit> DESC",
        "<column> NULLS FIRST", "<column> DESC NULLS LAST", "<column> COLLATE NOCASE", "<agg> DESC", "random<lp><rp>",
        "<expr>",
    ],
    "<limit>": [option("", 0.6), option(" LIMIT <number>", 0.25), option(" LIMIT <number> OFFSET <number>", 0.1),
                " LIMIT <number>, <number>"],
    # ---- conditions
    "<cond>": [
        option("<pred>", 0.55),
        option("<cond> AND <pred>", 0.2),
        option("<cond> OR <pred>", 0.1),
        option("NOT <pred>", 0.04),
        option("<lp><cond> OR <pred><rp> AND <pred>", 0.04),
        option("NOT <lp><cond><rp>", 0.02),
        "<lp><cond><rp>",
    ],
    "<pred>": [
        option("<column> <cmp> <value>", 0.24),
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
    "<value>": [option("<number>", 0.4), option("<string>", 0.32), option("?", 0.2), "-<number>", "NULL"],
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
        option("-<column>", 0.01),
        "<lp><expr> <arith> <term><rp>",
    ],
    "<term>": [option("<column>", 0.45), option("<value>", 0.35), "<func>", "<lp><expr> <arith> <term><rp>"],
    "<arith>": ["<plus>", "-", "<star>", "/", "%"],
    "<case>": [
        option("CASE WHEN <pred> THEN <value> ELSE <value> END", 0.55),
        option("CASE WHEN <pred> THEN <expr> END", 0.1),
        "CASE <column> WHEN <value> THEN <value> END",
        "CASE WHEN <column> THEN 1 ELSE 0 END",
        "CASE WHEN <pred> THEN <value> WHEN <pred> THEN <value> ELSE <value> END",
    ],
    "<type>": ["INTEGER", "REAL", "TEXT", "NUMERIC", "BLOB", "VARCHAR<lp>10<rp>", "DECIMAL<lp>10, 2<rp>", "BOOLEAN", "DATE"],
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
        option("iif<lp><pred>, <value>, <value><rp>", 0.06),
        option("ifnull<lp><expr>, <value><rp>", 0.05),
        option("<coalesce><lp><expr>, <expr><rp>", 0.03),
        option("<coalesce><lp><column>, <column>, <value><rp>", 0.02),
        option("nullif<lp><column>, <value><rp>", 0.03),
        option("substr<lp><expr>, <number>, <number><rp>", 0.04),
        option("substr<lp><column>, <number><rp>", 0.02),
        option("instr<lp><column>, <string><rp>", 0.04),
        option("length<lp><expr><rp>", 0.03),
        option("<strfunc><lp><expr><rp>", 0.06),
        option("replace<lp><column>, <string>, <string><rp>", 0.03),
        option("round<lp><expr>, <number><rp>", 0.04),
        option("<mathfunc><lp><expr><rp>", 0.06),
        option("<math2func><lp><column>, <number><rp>", 0.02),
        option("<datefunc><lp><column><rp>", 0.05),
        option("<datefunc><lp>'now'<rp>", 0.03),
        option("<datefunc><lp><column>, <string><rp>", 0.03),
        option("strftime<lp><fmt>, <column><rp>", 0.06),
        option("julianday<lp><column><rp> - julianday<lp>'now'<rp>", 0.02),
        option("json_extract<lp><column>, <path><rp>", 0.05),
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
        "printf<lp>'%d', <column><rp>",
    ],
    "<count>": [option("count", 0.7), "COUNT"],
    "<sum>": [option("sum", 0.7), "SUM"],
    "<avg>": [option("avg", 0.7), "AVG"],
    "<min>": [option("min", 0.7), "MIN"],
    "<max>": [option("max", 0.7), "MAX"],
    "<coalesce>": [option("coalesce", 0.7), "COALESCE"],
    "<strfunc>": ["lower", "upper", "trim", "ltrim", "rtrim", "hex", "unicode", "quote", "UPPER", "LOWER"],
    "<mathfunc>": ["abs", "sqrt", "ceil", "floor", "ln", "log", "log10", "log2", "exp", "sign", "trunc", "ABS"],
    "<math2func>": ["pow", "mod", "log"],
    "<datefunc>": ["date", "time", "datetime", "julianday", "unixepoch"],
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
    "<column>": [option("<colname>", 0.58), option("<qual>.<colname>", 0.34), '"<colname>"', '"<qual>"."<colname>"'],
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


def _alternatives(words: list[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_COMMON = rf"""
FUNC.5: /(?<![\w$.])[A-Za-z_][A-Za-z0-9_]*\(/
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

CONTENT = ("IDENT", "NUMBER", "STRING", "PATH")

input_tokenizer = LarkTokenizer(terminals=INPUT_TERMINALS, content=CONTENT, case_insensitive=("KEYWORD", "UNMODELLED"))
output_tokenizer = LarkTokenizer(terminals=OUTPUT_TERMINALS, content=CONTENT)

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
    training=with_rotary(SHIPPED_TRAINING.replace(max_nonterminals=20, max_input_chars=200, max_epochs=40,
                                                  max_minutes=20, patience=20, model=NO_DROPOUT)),
    failure_kind=failure_kind,
    exception_types={name: f"sqlglot.errors.{name}" for name in ("ParseError", "TokenError", "UnsupportedError")},
    corpora={"sqlglot-fixtures": "sqlglot.jsonl"},
    samples=CorpusSamples(CORPORA / "sqlglot.jsonl"),
    description="SQLite SELECT query -> T-SQL (sqlglot, unsupported features raise)",
)
