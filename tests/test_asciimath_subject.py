"""The bundled py-asciimath subjects: their programs, lark 1.x beside py-asciimath, lossless
tokenizers, failures that are reached (shared checks: test_bundled_subjects.py)."""
from __future__ import annotations

import importlib.util
import json
import logging
import sys

import pytest
from subject_checks import assert_outputs_tokenize, fresh_content, fuzz_sample, run_sample

from pytest_modelizer.data import read_inputs
from pytest_modelizer.subjects import asciimath as am
from pytest_modelizer.subjects.bundled import CORPORA

INSTALL = "pip install 'pytest-modelizer[asciimath]' && pip install --no-deps py-asciimath==0.3.0"
needs_asciimath = pytest.mark.skipif(importlib.util.find_spec("py_asciimath") is None,
                                     reason=f"needs py-asciimath: {INSTALL}")
SUBJECTS = {s.name: s for s in (am.asciimath_mathml, am.mathml_latex, am.latex_asciimath)}
# Fewer fuzzed inputs for mathml-latex: py-asciimath loads the MathML DTD at each of its calls.
SAMPLE_SIZES = {"asciimath-mathml": 400, "mathml-latex": 150, "latex-asciimath": 400}


def test_the_install_command_is_the_documented_one():
    assert am.INSTALL_HINT == INSTALL


def test_a_missing_py_asciimath_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "py_asciimath", None)  # import py_asciimath... raises ImportError
    monkeypatch.setattr(am, "_TRANSLATORS", {})
    for subject in SUBJECTS.values():
        with pytest.raises(ModuleNotFoundError, match="install it with: " + INSTALL.replace("[", r"\[").replace("]", r"\]")):
            subject.program("x")


@needs_asciimath
def test_lark_1x_still_works_beside_py_asciimath():
    from py_asciimath.translator.translator import ASCIIMath2MathML

    import lark

    assert lark.__version__.startswith("1."), lark.__version__
    assert isinstance(am._translator("ASCIIMath2MathML"), ASCIIMath2MathML)
    assert isinstance(am._translator("ASCIIMath2MathML").parser, lark.Lark)
    assert lark.Lark("start: WORD\n%import common.WORD").parse("abc").children[0] == "abc"


@needs_asciimath
def test_programs_and_version():
    assert am.asciimath_to_mathml("x/2") == (
        '<math xmlns="http://www.w3.org/1998/Math/MathML"><mrow><mfrac><mrow><mi>x</mi></mrow>'
        "<mrow><mn>2</mn></mrow></mfrac></mrow></math>")
    assert am.asciimath_to_mathml("alpha <= 1") == (
        '<math xmlns="http://www.w3.org/1998/Math/MathML"><mo>&alpha;</mo><mo>&leq;</mo><mn>1</mn></math>')
    assert am.mathml_to_latex("<math><mfrac><mi>x</mi><mn>2</mn></mfrac></math>") == r"$ \frac{x}{2}$"
    assert am.mathml_to_latex(am.asciimath_to_mathml("sqrt(x) + alpha")) == r"$ \sqrt{x}+\alpha $"
    assert am.latex_to_asciimath(r"\frac{a}{b} + \sqrt[3]{x}") == "frac(a)(b) + root(3)(x)"
    # py-asciimath reads \leq as \le followed by the letter q: the tokenizer splits it the same way.
    assert am.latex_to_asciimath(r"a \leq b") == "a <= q b"
    for subject in SUBJECTS.values():
        assert subject.resolved_program_version() == "py-asciimath==0.3.0"
        assert not subject.program_status().drift


@needs_asciimath
def test_translators_are_built_once_per_process():
    first = am._translator("Tex2ASCIIMath")
    am.latex_to_asciimath("x")
    assert am._translator("Tex2ASCIIMath") is first


@needs_asciimath
def test_output_names_no_local_path():
    import py_asciimath

    out = am.asciimath_to_mathml("sum_(i=1)^n i")
    assert "DOCTYPE" not in out and py_asciimath.PROJECT_ROOT not in out and sys.prefix not in out
    # py-asciimath's default (validated, pretty-printed) output names its DTD file by its local path.
    local = am._translator("ASCIIMath2MathML").translate("x", xml_pprint=True)
    assert py_asciimath.PROJECT_ROOT in local
    assert am.normalize_doctype(local).startswith('<!DOCTYPE math SYSTEM "py_asciimath/dtd/mathml3/mathml3.dtd">')


@needs_asciimath
def test_calls_are_quiet_and_leave_logging_alone(capfd):
    root = logging.getLogger()
    handlers, level, disabled = list(root.handlers), root.level, logging.root.manager.disable
    am.asciimath_to_mathml("x^2")
    am.mathml_to_latex("<math><mi>x</mi></math>")
    am.latex_to_asciimath(r"\alpha")
    assert capfd.readouterr().err == ""
    assert (list(root.handlers), root.level, logging.root.manager.disable) == (handlers, level, disabled)


@needs_asciimath
@pytest.mark.parametrize(
    ("name", "text", "kind", "message"),
    [
        ("asciimath-mathml", "(a", "UnexpectedToken", "Unexpected token Token('$END', '')"),
        ("asciimath-mathml", "a # b", "UnexpectedCharacters", "No terminal matches '#' in the current parser context"),
        ("latex-asciimath", r"\bar{x}", "UnexpectedCharacters", "No terminal matches '\\' in the current parser context"),
        ("latex-asciimath", r"\sqrt x", "UnexpectedToken", "Unexpected token Token('LETTER', 'x')"),
        ("mathml-latex", "<math><mi>x</mo></math>", "XMLSyntaxError", "Opening and ending tag mismatch: mi and mo"),
        ("mathml-latex", "<math><mfoo>x</mfoo></math>", "XMLSyntaxError", "No declaration for element mfoo"),
    ],
)
def test_failures_are_clean_behaviour(name, text, kind, message):
    from pytest_modelizer.runner import run_program

    subject = SUBJECTS[name]
    behaviour = run_program(subject, text)
    assert (behaviour.failure, behaviour.message) == (kind, message)
    assert kind in subject.rejections


@needs_asciimath
def test_a_failure_is_still_the_libraries_exception():
    import lark
    import lxml.etree

    with pytest.raises(lark.exceptions.UnexpectedInput):
        am.asciimath_to_mathml("(a")
    with pytest.raises(lxml.etree.XMLSyntaxError):
        am.mathml_to_latex("<math><mi>x</math>")


def test_derived_corpora_name_their_expression():
    expressions = read_inputs(CORPORA / "asciimath.jsonl")
    assert len(expressions) == len(set(expressions))
    for name in ("asciimath-mathml.jsonl", "asciimath-latex.jsonl"):
        for line in (CORPORA / name).read_text(encoding="utf-8").splitlines():
            source = json.loads(line)["source"]
            assert source.startswith("asciimath.jsonl:") and 1 <= int(source.split(":")[1]) <= len(expressions)


@needs_asciimath
@pytest.mark.parametrize("name", sorted(SUBJECTS))
def test_corpus_tokenizers_are_lossless(name):
    subject = SUBJECTS[name]
    for path in subject.corpora.values():
        assert_outputs_tokenize(subject, read_inputs(path))


@pytest.fixture(scope="module", params=sorted(SUBJECTS))
def fuzzed(request):
    if importlib.util.find_spec("py_asciimath") is None:
        pytest.skip(f"needs py-asciimath: {INSTALL}")
    subject = SUBJECTS[request.param]
    inputs = fuzz_sample(subject, SAMPLE_SIZES[subject.name], coverage_every=10,
                         max_nonterminals=subject.training.max_nonterminals)
    return subject, inputs, run_sample(subject, inputs)


def test_fuzzed_outputs_copy_the_inputs_content(fuzzed):
    subject, inputs, behaviours = fuzzed
    assert fresh_content(subject, inputs, behaviours, max_tokens=subject.training.model.max_len - 2) == 0


FAILURES = {
    "asciimath-mathml": {"UnexpectedToken", "UnexpectedCharacters"},
    "latex-asciimath": {"UnexpectedToken", "UnexpectedCharacters"},
    "mathml-latex": {"XMLSyntaxError"},
}


def test_fuzzed_failures_are_rare_but_present(fuzzed):
    subject, inputs, behaviours = fuzzed
    failures = [b for b in behaviours if not b.ok]
    assert 0.03 * len(inputs) <= len(failures) <= 0.25 * len(inputs)
    assert {b.failure for b in failures} == FAILURES[subject.name]


@needs_asciimath
def test_the_content_py_asciimath_decides_on_is_not_hidden_in_one_placeholder():
    # A decimal is an identifier and a whole number a number; `f` and `g` are functions.
    assert "<mi>0.5</mi>" in am.asciimath_to_mathml("0.5") and "<mn>2</mn>" in am.asciimath_to_mathml("2")
    assert "<mo>f</mo>" in am.asciimath_to_mathml("f") and "<mi>h</mi>" in am.asciimath_to_mathml("h")
    assert am.tokenizer.tokenize("0.5 + 2").tokens == ("DECIMAL_1", " + ", "NUMBER_1")
    assert am.tokenizer.tokenize("12.5 12.").tokens == ("DECIMAL_1", " ", "NUMBER_1", ".")
    assert am.tokenizer.tokenize("f h").tokens == ("f", " ", "LETTER_1")


@needs_asciimath
def test_the_blackboard_letters_py_asciimath_names_are_tokens_of_their_own():
    # `\mathbb{R}` becomes `RR`, `\mathbb{h}` becomes `bbb(h)`: as a LETTER placeholder the model could not tell.
    assert am.latex_to_asciimath("\\mathbb{R}") == "RR" and am.latex_to_asciimath("\\mathbb{h}") == "bbb(h)"
    assert am.latex_tokenizer.tokenize("\\mathbb{R} \\mathbb{h}").tokens == (
        "\\mathbb{R}", " \\mathbb", "{", "LETTER_1", "}")
    assert am.latex_asciimath.input_tokenizer is am.latex_tokenizer
