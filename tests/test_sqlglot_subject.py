"""The bundled sqlglot-tsql subject: its T-SQL, lossless tokenizers, failures that are reached (shared checks: test_bundled_subjects.py)."""
from __future__ import annotations

import pytest
from subject_checks import assert_outputs_tokenize, fresh_content, fuzz_sample, run_sample

from pytest_modelizer.data import read_inputs

pytest.importorskip("sqlglot", reason="needs the sqlglot extra: pip install 'pytest-modelizer[sqlglot]'")


@pytest.fixture(scope="module")
def subject():
    from pytest_modelizer.subjects.sqlglot_tsql import subject

    return subject


@pytest.fixture(scope="module")
def fuzzed(subject) -> list[str]:
    # Its queries nest: with fewer open nonterminals than training allows, a function call in a
    # comparison is rarely reached.
    return fuzz_sample(subject, 400, coverage_every=4, max_nonterminals=subject.training.max_nonterminals)


@pytest.fixture(scope="module")
def behaviours(subject, fuzzed):
    return run_sample(subject, fuzzed)


def test_transpile_and_version(subject):
    assert subject.program("SELECT a FROM t LIMIT 5") == "SELECT TOP 5 a FROM t"
    assert subject.program("SELECT a || b FROM t WHERE c GLOB 'x*'") == "SELECT a + b FROM t WHERE c GLOB 'x*'"
    assert subject.resolved_program_version() == "sqlglot==30.30.0"


@pytest.mark.parametrize(
    ("sql", "kind", "message"),
    [
        ("SELECT group_concat(DISTINCT a) FROM t", "UnsupportedError", "T-SQL STRING_AGG doesn't support DISTINCT."),
        ("SELECT json_extract(a, '$.b[*]') FROM t", "UnsupportedError", "Unsupported JSONPathPart type JSONPathWildcard"),
        ("SELECT json_extract(a, '$..b') FROM t", "ValueError", "Unsupported expression type JSONPathRecursive"),
        ("SELECT a FROM t WHERE a = ?1", "ParseError", "Invalid expression / Unexpected token. Line 1, Col: 28."),
        ("SELECT 'abc", "TokenError", "Error tokenizing"),
    ],
)
def test_failures_are_clean_behaviour(subject, sql, kind, message):
    from pytest_modelizer.runner import run_program

    behaviour = run_program(subject, sql)
    assert (behaviour.failure, behaviour.message) == (kind, message)
    assert "\x1b" not in behaviour.message and "SELECT" not in behaviour.message


def test_corpus_tokenizers_are_lossless(subject):
    assert_outputs_tokenize(subject, read_inputs(subject.corpora["sqlglot-fixtures"]))


def test_fuzzed_inputs_are_short_and_their_content_is_copied(subject, fuzzed, behaviours):
    # A string selected in a subquery or CTE gets its text as the column's alias in T-SQL
    # (`'abc'` -> `'abc' AS abc`), content no placeholder restores: about one query in a hundred.
    assert fresh_content(subject, fuzzed, behaviours) <= len(fuzzed) // 50
    assert sorted(len(t) for t in fuzzed)[len(fuzzed) // 2] < 150


def test_fuzzed_failures_are_rare_but_present(fuzzed, behaviours):
    failures = [b for b in behaviours if not b.ok]
    assert 0.01 * len(fuzzed) <= len(failures) <= 0.15 * len(fuzzed)
    kinds = {b.failure for b in failures}
    assert {"UnsupportedError", "ParseError"} <= kinds, kinds
    assert all("\x1b" not in b.message and "SELECT" not in b.message for b in failures)


FEATURES = {
    "DISTINCT": ["SELECT DISTINCT "],
    "aggregate": [r"count\(", r"sum\(", r"avg\(", r"max\("],
    "alias": [" AS "],
    "qualified column": [r"\w\.\w"],
    "joins": [" LEFT JOIN ", " INNER JOIN ", " CROSS JOIN ", " NATURAL JOIN ", " RIGHT JOIN ", " FULL OUTER JOIN "],
    "comparisons": [" = ", " < ", " <> "],
    "LIKE, IN, BETWEEN, NOT": [" LIKE ", " IN \\(", " BETWEEN ", "NOT "],
    "AND/OR, parentheses": [" AND ", " OR ", r"\(\w+ \S+ "],
    "GROUP BY, HAVING, ORDER BY, LIMIT, OFFSET": [" GROUP BY ", " HAVING ", " ORDER BY ", " LIMIT ", " OFFSET "],
    "subquery and CTE": [r"\(SELECT ", "^WITH "],
    "sqlite surface": [" GLOB ", "iif\\(", r" \|\| ", "strftime\\(", "json_extract\\(", " ->> ", "date", " OVER \\("],
    "compound": [" UNION ", " INTERSECT ", " EXCEPT "],
    "an application's own functions": [r"\b(?:my_udf|fn_score|to_cents|calcTotal|Slugify|haversine|f|UDF1)\("],
    "named parameters": [r" = :\w", r"@\w", r"\$\w"],
    "comments": [" -- ", r"/\* "],
}


def test_fuzzed_inputs_cover_the_features(fuzzed):
    import re

    for feature, needles in FEATURES.items():
        for needle in needles:
            assert any(re.search(needle, t) for t in fuzzed), f"no fuzzed input matches {needle!r} ({feature})"


def test_failure_kinds_drop_the_function_name_and_position():
    from pytest_modelizer.behaviour import Behaviour
    from pytest_modelizer.subjects.sqlglot_tsql import failure_kind

    def kind(message: str, failure: str = "UnsupportedError") -> str:
        return failure_kind(Behaviour.failed(failure, message))

    assert kind("'NULLS LAST' translation not supported in window function MAX") == kind(
        "'NULLS LAST' translation not supported in window function SUM") == (
        "UnsupportedError: 'NULLS LAST' translation not supported in window function F")
    assert kind("Expecting ). Line 1, Col: 67.", "ParseError") == kind("Expecting ). Line 1, Col: 90.", "ParseError")


# Where the grammar puts names: a word that sqlglot does not copy as written in one of these is
# one of its keywords, not a name.
NAME_POSITIONS = ["SELECT {} FROM t", "SELECT a FROM t {}", "SELECT a AS {} FROM t", "SELECT a FROM t {0} JOIN u ON {0}.a = u.a",
                  "SELECT t.{} FROM t", "SELECT a FROM {}", "SELECT a FROM t WHERE {} = 1", "SELECT a FROM t GROUP BY {}",
                  "SELECT a FROM t ORDER BY {}", "SELECT COUNT({}) FROM t", "SELECT a {} FROM t"]


def _copied_as_names(subject, words: list[str]) -> dict[str, bool]:
    """Word -> whether sqlglot copies it as written wherever the grammar puts a name."""
    from pytest_modelizer.runner import ProgramRunner

    queries = [query.format(word) for word in ["zz", *words] for query in NAME_POSITIONS]
    with ProgramRunner(subject, workers=1) as runner:
        behaviours = [run.behaviour for run in runner.run_many(queries)]
    plain, *named = [behaviours[i:i + len(NAME_POSITIONS)] for i in range(0, len(behaviours), len(NAME_POSITIONS))]
    return {word: all(b.ok and a.ok and b.output == a.output.replace("zz", word) for a, b in zip(plain, runs))
            for word, runs in zip(words, named)}


def test_keywords_the_grammar_never_writes_are_no_names_to_the_model(subject):
    from pytest_modelizer.subjects.sqlglot_tsql import _UNMODELLED

    copied = _copied_as_names(subject, [*_UNMODELLED, "update"])
    assert copied.pop("update")  # a keyword elsewhere, but copied where names go: a name
    assert not any(copied.values()), f"copied as names, so not keywords to the model: {[w for w, c in copied.items() if c]}"
    for word in _UNMODELLED:
        for spelled in (word, word.lower()):
            tokens = subject.input_tokenizer.tokenize(f"SELECT a FROM t {spelled} WHERE u").tokens
            assert word in [token.strip() for token in tokens], tokens  # a token whatever the case, not a name
    # The words the grammar writes as parts of its joins still read as those joins.
    assert " LEFT OUTER JOIN " in subject.input_tokenizer.tokenize("SELECT a FROM t LEFT OUTER JOIN u").tokens


def test_a_query_with_an_unmodelled_keyword_is_left_to_the_program(subject, tmp_path):
    from pytest_modelizer.mock import MockProgram
    from pytest_modelizer.spec import ModelSpec
    from pytest_modelizer.store import ModelStore, load_artifact

    spec = ModelSpec(subject, "forward")
    mock = MockProgram(spec, load_artifact(ModelStore(tmp_path).find_model(spec)))
    # Neither the grammar nor the samples write ILIKE: no vocabulary holds it.
    prediction = mock.predict("SELECT x.a FROM x WHERE x.b ILIKE y")
    assert not prediction.covered and not prediction.confident, prediction
    assert mock.predict("SELECT x.a FROM x JOIN y ON x.a = y.a").covered


def _known_functions() -> list[str]:
    """The names sqlglot's SQLite or T-SQL reader does not take for an unknown function's."""
    import re

    import sqlglot
    from sqlglot import exp
    from sqlglot.dialects.sqlite import SQLite
    from sqlglot.dialects.tsql import TSQL

    known = set()
    for dialect, read in ((SQLite, "sqlite"), (TSQL, "tsql")):
        names = {*dialect.Parser.FUNCTIONS, *dialect.Parser.FUNCTION_PARSERS}
        names |= {word for word in dialect.Tokenizer.KEYWORDS if re.fullmatch(r"[A-Za-z_]\w*", word)}
        for name in names:
            try:
                selected = sqlglot.parse_one(f"SELECT {name}(x)", read=read).expressions[0]
            except Exception:  # not a call at all (a keyword, a function wanting more arguments)
                known.add(name)
                continue
            if not isinstance(selected, exp.Anonymous):
                known.add(name)
    return sorted(known)


def test_known_functions_are_those_sqlglot_knows():
    from pytest_modelizer.subjects.sqlglot_tsql import KNOWN_FUNCTIONS, UDFS

    assert KNOWN_FUNCTIONS == _known_functions()
    assert not {name.upper() for name in UDFS} & set(KNOWN_FUNCTIONS)


@pytest.mark.parametrize(
    ("sql", "copied"),
    [
        # sqlglot copies an unknown function upper-cased, whatever the case it was written in.
        ("SELECT myFunc(a, 1) FROM t WHERE other_udf(b) > 2", ["CALL_1", "CALL_2"]),
        ("SELECT * FROM generate_rows(5)", ["CALL_1"]),
        ("SELECT a FROM t -- the rows", ["LINE_COMMENT_1"]),  # written /* the rows */
        ("SELECT a FROM t --why? it's slow", ["LINE_COMMENT_1"]),
        ("/* lead */ SELECT a /* x y */ FROM t", ["BLOCK_COMMENT_1", "BLOCK_COMMENT_2"]),
    ],
)
def test_unknown_functions_and_comments_are_content_the_output_holds(subject, sql, copied):
    inp, out = subject.input_tokenizer, subject.output_tokenizer
    source = inp.tokenize(sql)
    target = out.tokenize_with(subject.program(sql), source.mapping)
    assert [t for t in source.tokens if t in source.mapping and not t.startswith("IDENT")] == copied
    assert set(copied) <= set(target.tokens) and target.mapping == source.mapping  # nothing fresh
    # A call's placeholder is its name: its parentheses are tokens that nest.
    assert all(source.tokens[i + 1] == "(" for i, t in enumerate(source.tokens) if t.startswith("CALL_"))


def test_known_functions_are_vocabulary_and_named_column_lists_are_names(subject):
    inp = subject.input_tokenizer
    # Known functions read alike in any case; sqlglot may rename them (ceil is CEILING).
    assert inp.tokenize("SELECT Count(*), ceil(a) FROM t").tokens[:6] == ("SELECT ", "COUNT(", "*", ")", ", ", "CEIL(")
    # So are types, which sqlglot renames (INT is INTEGER, TIMESTAMP is DATETIME2): no name placeholders.
    cast = inp.tokenize("SELECT CAST(a AS INT), CAST(b AS TIMESTAMP) FROM t")
    assert {"INT", "TIMESTAMP"} <= set(cast.tokens) and "TIMESTAMP" not in cast.mapping.values()
    # The name before a column list is a name sqlglot copies as written (any name: content), no call.
    for sql, name in [("SELECT * FROM (VALUES (1, 2)) AS tab(a, b)", "tab"),
                      ("WITH a AS (SELECT 1), cte2(x) AS (SELECT 1) SELECT x FROM cte2", "cte2")]:
        source = inp.tokenize(sql)
        placeholder = next(p for p, value in source.mapping.items() if value == name)
        assert placeholder.startswith("IDENT_") and not any(t.startswith("CALL_") for t in source.tokens)
        assert source.tokens[source.tokens.index(placeholder) + 1] == "(", source.tokens
        target = subject.output_tokenizer.tokenize_with(subject.program(sql), source.mapping)
        assert placeholder in target.tokens and target.mapping == source.mapping


@pytest.mark.parametrize("sql", [
    "SELECT a FROM t WHERE my_f(a) > 1",  # any application's function, wherever a call may be
    'SELECT "_t0"."a" AS "a" FROM "c"."db"."x" AS "_t0"',
    "SELECT 6 AS a FROM t GROUP BY 1 ORDER BY 2, 4",
    "SELECT x WHERE TRUE",
    "SELECT a FROM t JOIN u USING (b) JOIN v USING (b)",
    "SELECT * FROM t AS y(a, b)",
    "SELECT CAST(a AS BIGINT), CAST(b AS TIMESTAMP) FROM t",
    "SELECT a > 1 AND b < 2 AS r FROM t",
    "WITH s AS (SELECT 1), r(c) AS (SELECT 2) SELECT c FROM r",
])
def test_the_grammar_describes_queries_as_applications_write_them(subject, sql):
    from pytest_modelizer.data import grammar_membership

    assert grammar_membership(subject, [sql]) == {sql: True}
