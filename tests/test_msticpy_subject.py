"""The bundled msticpy-kql subject: its KQL, determinism, lossless tokenizers, failures that are reached (shared checks: test_bundled_subjects.py)."""
from __future__ import annotations

import random

import pytest
from subject_checks import assert_outputs_tokenize, fresh_content, fuzz_sample, run_sample

from pytest_modelizer.data import read_inputs

INSTALL = "pip install 'pytest-modelizer[kql]' && pip install --no-deps msticpy==3.0.2"
pytest.importorskip("msticpy.data.sql_to_kql", reason=f"needs msticpy 3.0.2: {INSTALL}")


@pytest.fixture(scope="module")
def subject():
    from pytest_modelizer.subjects.msticpy_kql import subject

    return subject


@pytest.fixture(scope="module")
def fuzzed(subject) -> list[str]:
    return fuzz_sample(subject, 400, coverage_every=4, max_nonterminals=subject.training.max_nonterminals)


@pytest.fixture(scope="module")
def behaviours(subject, fuzzed):
    return run_sample(subject, fuzzed)


@pytest.mark.parametrize(
    ("sql", "kql"),
    [
        ("select Message from SecurityEvent where EventID = 1", "SecurityEvent\n| where EventID == 1\n| project Message"),
        ("SELECT a + 1, b * 2 FROM events WHERE c LIKE 'ab%' ORDER BY a DESC LIMIT 5",
         "events\n| where c startswith 'ab'\n| extend add_7311 = a + 1, mul_7890 = b * 2\n| project add_7311, mul_7890\n"
         "| order by a desc\n| limit 5"),
        ("SELECT Account, count(*) AS n FROM SecurityEvent WHERE EventID IN (4624, 4625) GROUP BY Account",
         "SecurityEvent\n| where EventID in (4624, 4625)\n| summarize any(Account), n = count(*) by Account"),
        ("SELECT a FROM events JOIN hosts ON events.id = hosts.id",
         "events\n| join kind=inner (hosts) on $left.id == $right.id\n| project a"),
        ("SELECT a FROM events UNION ALL SELECT b FROM hosts", "events\n| project a\n| union (hosts\n  | project b\n)"),
        ('SELECT * FROM t WHERE a LIKE "%x"', "t\n| where a endswith 'x'"),
        ("SELECT a FROM t WHERE b = TRUE AND c = false", "t\n| where (b == True)\n  and (c == False)\n| project a"),
    ],
)
def test_known_conversions(subject, sql, kql):
    assert subject.program(sql) == kql


def test_boolean_literals_are_vocabulary_on_both_sides(subject):
    # As names, `False` in the output would be content the input does not hold (it says `false`).
    sql = "SELECT false AS r FROM t WHERE b = True"
    src = subject.input_tokenizer.tokenize(sql)
    tgt = subject.output_tokenizer.tokenize_with(subject.program(sql), src.mapping)
    assert "FALSE " in src.tokens and "TRUE" in src.tokens
    assert "False" in tgt.tokens and "True" in tgt.tokens
    assert {t for t in tgt.tokens if t.startswith("IDENT_")} <= set(src.tokens)


def test_version(subject):
    assert subject.resolved_program_version() == "msticpy==3.0.2"
    assert subject.program_status().installed == "msticpy==3.0.2"


def test_generated_names_are_the_same_on_every_call_and_leave_random_alone(subject):
    sql = "SELECT a + 1, substr(b, 1, 2), c * 3 FROM events"
    random.seed(12345)
    state = random.getstate()
    first = subject.program(sql)
    assert random.getstate() == state  # the user's global random state is neither used nor reseeded
    random.random()
    assert subject.program(sql) == first
    assert "add_7311" in first and "substr_7890" in first
    from msticpy.data import sql_to_kql

    assert sql_to_kql.random is random  # the converter module gets its `random` back


def test_the_same_output_in_worker_processes(subject):
    sql = "SELECT a + 1 AS x, b - 2 FROM events"
    assert {b.output for b in run_sample(subject, [sql, sql, sql])} == {subject.program(sql)}


@pytest.mark.parametrize(
    ("sql", "kind", "message"),
    [
        ("SELECT count(a) FROM t", "KqlLimitation", "aggregate without GROUP BY"),
        ("SELECT a, count(*) FROM t GROUP BY a HAVING count(*) > 1", "KqlLimitation", "HAVING"),
        ("SELECT a FROM t WHERE EXISTS (SELECT b FROM u)", "KqlLimitation", "EXISTS"),
        ("SELECT a FROM t WHERE b IS NULL", "KqlUnmappedFunction", "unmapped function missing"),
        ("SELECT a FROM t WHERE b NOT LIKE 'x%'", "KqlUnmappedFunction", "unmapped function not_like"),
        ("SELECT coalesce(a, b) FROM t", "KqlUnmappedFunction", "unmapped function coalesce"),
        ("SELECT split(a, 'x') FROM t", "KqlUnresolved", "expression left as a parse tree"),
        ("SELECT a FROM t CROSS JOIN u", "KeyError", "'on'"),
        ("SELECT DISTINCT a FROM t", "AttributeError", "'str' object has no attribute 'get'"),
        ("SELECT a FROM t WHERE a LIKE 5", "ValueError", "Right side operand isn't usable in LIKE expression"),
        ("SELECT a FROM secret_table WHERE", "ParseException", "Expecting expression"),
    ],
)
def test_failures_are_clean_behaviour(subject, sql, kind, message):
    with pytest.raises(Exception) as info:
        subject.program(sql)
    assert (type(info.value).__name__, str(info.value)) == (kind, message)
    assert "secret_table" not in str(info.value)


def test_predicted_failures_raise_the_programs_types(subject):
    from pytest_modelizer.behaviour import Behaviour
    from pytest_modelizer.errors import failure_exception
    from pytest_modelizer.subjects.msticpy_kql import KqlLimitation

    exc = failure_exception(subject, Behaviour.failed("KqlLimitation", "HAVING"), predicted=True)
    assert isinstance(exc, KqlLimitation)
    from mo_parsing.exceptions import ParseException

    exc = failure_exception(subject, Behaviour.failed("ParseException", "Expecting expression"), predicted=True)
    assert isinstance(exc, ParseException)


def test_unknown_function_names_share_one_failure_kind(subject):
    from pytest_modelizer.behaviour import Behaviour

    def kind(message: str) -> str:
        return subject.failure_kind(Behaviour.failed("KqlUnmappedFunction", message))

    assert kind("unmapped function my_udf") == kind("unmapped function other") == "KqlUnmappedFunction: unmapped function F"
    assert kind("unmapped function missing") == "KqlUnmappedFunction: unmapped function missing"


@pytest.mark.parametrize("label", ["msticpy-docs-tests", "sqlglot-fixtures"])
def test_corpus_tokenizers_are_lossless(subject, label):
    assert_outputs_tokenize(subject, read_inputs(subject.corpora[label]))


def test_corpus_has_a_sample_and_an_evaluation_part(subject):
    from pytest_modelizer.samples import corpus_part

    queries = read_inputs(subject.corpora["msticpy-docs-tests"])
    sample, evaluation = corpus_part(queries, "sample"), corpus_part(queries, "evaluation")
    assert len(queries) == len(set(queries)) == 39
    assert len(sample) >= 15 and len(evaluation) >= 15 and not set(sample) & set(evaluation)


def test_fuzzed_inputs_are_short_and_their_content_is_copied(subject, fuzzed, behaviours):
    assert fresh_content(subject, fuzzed, behaviours, max_tokens=160) <= len(fuzzed) // 100
    assert sorted(len(t) for t in fuzzed)[len(fuzzed) // 2] < 150


def test_fuzzed_failures_are_present_but_not_most(fuzzed, behaviours):
    failures = [b for b in behaviours if not b.ok]
    assert 0.05 * len(fuzzed) <= len(failures) <= 0.45 * len(fuzzed)
    kinds = {b.failure for b in failures}
    assert {"KqlLimitation", "KqlUnmappedFunction", "KqlUnresolved", "KeyError"} <= kinds, kinds


FEATURES = {
    "select list": [r"^SELECT \w+ FROM", " AS ", r"\w \+ \w", r"count\(", r"lower\(|LOWER\("],
    "joins": [" INNER JOIN ", " LEFT JOIN ", " RIGHT JOIN ", " FULL OUTER JOIN ", " CROSS JOIN "],
    "conditions": [" = ", " LIKE '%", " RLIKE ", r" IN \(", r" NOT IN \(", " BETWEEN ", " IS NULL", "NOT ", " OR "],
    "clauses": [" GROUP BY ", " ORDER BY ", " DESC", " LIMIT ", " HAVING ", "SELECT DISTINCT "],
    "compound and subqueries": [" UNION ", " UNION ALL ", r"\(SELECT ", "EXISTS"],
    "lowercase keywords": ["^select "],
    "boolean literals": [r"\b(TRUE|FALSE)\b", r"\b(true|false)\b"],
}


def test_fuzzed_inputs_cover_the_features(fuzzed):
    import re

    for feature, needles in FEATURES.items():
        for needle in needles:
            assert any(re.search(needle, t) for t in fuzzed), f"no fuzzed input matches {needle!r} ({feature})"


def test_missing_msticpy_names_the_install_command(monkeypatch):
    import sys

    from pytest_modelizer.subjects import msticpy_kql

    monkeypatch.setattr(msticpy_kql, "_MODULE", None)
    for name in ("msticpy", "msticpy.data", "msticpy.data.sql_to_kql"):
        monkeypatch.setitem(sys.modules, name, None)  # imports fail as if msticpy were absent
    with pytest.raises(ModuleNotFoundError, match=r"pip install --no-deps msticpy==3\.0\.2"):
        msticpy_kql.to_kql("SELECT a FROM t")
