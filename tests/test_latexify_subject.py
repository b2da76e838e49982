"""The bundled latexify subject: latexify's LaTeX, lossless tokenizers, failures that are reached (shared checks: test_bundled_subjects.py)."""
from __future__ import annotations

import re

import pytest
from subject_checks import assert_outputs_tokenize, fresh_content, fuzz_sample, run_sample

from pytest_modelizer.data import read_inputs

pytest.importorskip("latexify", reason="needs the latexify extra: pip install 'pytest-modelizer[latexify]'")


@pytest.fixture(scope="module")
def subject():
    from pytest_modelizer.subjects.latexify_expr import subject

    return subject


@pytest.fixture(scope="module")
def fuzzed(subject) -> list[str]:
    return fuzz_sample(subject, 1000, coverage_every=10)


@pytest.fixture(scope="module")
def behaviours(subject, fuzzed):
    return run_sample(subject, fuzzed)


def test_to_latex_and_version(subject):
    assert subject.program("math.sqrt(x) + y ** 2") == r"\sqrt{ x } + y^{2}"
    assert subject.program("rate * my_var") == r"\mathrm{rate} \cdot \mathrm{my\_var}"
    assert subject.program("a if b else c").startswith(r"\left\{ \begin{array}{ll} a, & \mathrm{if} \ b")
    assert subject.resolved_program_version() == "latexify-py==0.4.4"


def test_keyword_arguments_and_strings_as_latexify_writes_them(subject):
    assert subject.program("f(x, key=g(y), z=1)") == r"f \mathopen{}\left( x \mathclose{}\right)"
    assert subject.program("x == 'a'") == r'x = \textrm{"a"}'


def test_the_grammar_writes_operators_with_and_without_spaces(fuzzed):
    assert any("**" in x and " ** " not in x for x in fuzzed) and any(" ** " in x for x in fuzzed)
    assert any("," in x and ", " not in x for x in fuzzed) and any("=" in x and "==" not in x for x in fuzzed)


@pytest.mark.parametrize(
    ("expression", "kind", "message"),
    [
        ("x[1:2]", "LatexifyNotSupportedError", "Unsupported AST: Slice"),
        ("lambda x: x", "LatexifyNotSupportedError", "Unsupported AST: Lambda"),
        ("x +", "SyntaxError", "invalid syntax"),
        ("await x", "SyntaxError", "'await' outside async function"),
    ],
)
def test_failures_are_clean_behaviour(subject, expression, kind, message):
    from pytest_modelizer.runner import run_program

    behaviour = run_program(subject, expression)
    assert (behaviour.failure, behaviour.message) == (kind, message)
    assert kind in subject.rejections or kind != "SyntaxError"


def test_the_grammar_describes_nearly_all_of_the_stdlib_expressions(subject):
    # Expressions nest as Python's do; the few left out hold hex literals or digits in names' pieces.
    from pytest_modelizer.data import grammar_membership

    expressions = read_inputs(subject.corpora["stdlib-expressions"])
    nested = ["dict(self.items()) == dict(other.items())", "self.maps[0].popitem()",
              "(y2//4 - y1//4) - (y2//100 - y1//100)", "isinstance(x, (TypeVar, ParamSpec)) or f(x)"]
    inside = grammar_membership(subject, expressions + nested)
    assert sum(inside[e] is True for e in expressions) >= 0.97 * len(expressions)
    assert all(inside[e] is True for e in nested)


def test_a_number_before_an_attribute_is_a_number_and_a_dot(subject):
    # `t_0.a` and latexify's `\sum 5.\mathrm{...}`: the dot is the attribute's, not the number's.
    assert subject.input_tokenizer.tokenize("t_0.a").tokens == ("LETTER_1", "_", "NUMBER_1", ".", "LETTER_2")
    assert subject.input_tokenizer.tokenize("x + 1.5").tokens[-1] == "NUMBER_1"
    assert subject.output_tokenizer.tokenize(r"\sum 5.\mathrm{rate}").tokens == (
        "\\sum ", "5", ".", "\\mathrm{", "WORD_1", "}")


def test_corpus_tokenizers_are_lossless(subject):
    assert_outputs_tokenize(subject, read_inputs(subject.corpora["stdlib-expressions"]))


def test_fuzzed_outputs_copy_the_inputs_content(subject, fuzzed, behaviours):
    assert fresh_content(subject, fuzzed, behaviours) <= len(fuzzed) // 100


def test_fuzzed_failures_are_rare_but_present(fuzzed, behaviours):
    failures = [b for b in behaviours if not b.ok]
    assert 0.01 * len(fuzzed) <= len(failures) <= 0.12 * len(fuzzed)
    messages = {b.message for b in failures}
    assert {b.failure for b in failures} == {"LatexifyNotSupportedError"}
    for construct in ("Slice", "Lambda", "NamedExpr", "Dict", "Starred"):
        assert f"Unsupported AST: {construct}" in messages


FEATURES = {
    "arithmetic": [r" \+ ", r" - ", r" \* ", r" / ", r" // ", r" % "],
    "power": [r" \*\* "],
    "comparison": [r" == ", r" <= ", r" != "],
    "boolean": [r" and ", r" or ", r"^not "],
    "math call": [r"math\.sqrt\(", r"math\.sin\(", r"math\.log\("],
    "attribute": [r"^\w+\.\w+$"],
    "subscript": [r"\w\[\w+\]"],
    "conditional": [r" if .* else "],
    "names": [r"\b[a-z]\b", r"\b[a-z]{3,}\b", r"[a-z]_[a-z0-9]"],
    "numbers": [r"\b\d+\.\d+\b", r"\b\d{2,}\b"],
}


def test_fuzzed_inputs_cover_the_features(fuzzed):
    for feature, needles in FEATURES.items():
        for needle in needles:
            assert any(re.search(needle, t) for t in fuzzed), f"no fuzzed input matches {needle!r} ({feature})"
