"""Failure-likely inputs as committed regression cases.

The failure models of `latexify` proposed these inputs, the real latexify confirmed that each one
fails (and how), and `__modelizer_cases__/test_formulas.json` keeps them. Regenerate with
`pytest conftest_examples/test_formulas.py --modelizer-update-cases`; review the diff like code.
"""
import pytest

from notes.formulas import render_formula


@pytest.mark.modelize("latexify", cases="failure", count=8)
def test_latexify_still_fails_the_same_way(modelizer_case, real_program):
    assert real_program(modelizer_case.input) == modelizer_case.expected


@pytest.mark.modelize("latexify", cases="failure", count=8)
def test_page_survives_unsupported_formulas(modelizer_case):
    assert render_formula(modelizer_case.input).startswith("\\verb|")
