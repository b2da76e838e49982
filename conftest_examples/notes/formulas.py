"""The example app's formula rendering: a Python expression typed by a user -> LaTeX for the page."""
from __future__ import annotations

from pytest_modelizer.subjects.latexify_expr import to_latex


def render_formula(expression: str) -> str:
    """LaTeX for the expression, or the expression as verbatim code when latexify cannot render it."""
    try:
        return "$" + to_latex(expression) + "$"
    except SyntaxError:
        return "\\texttt{invalid expression}"
    except Exception:  # latexify's "not supported" errors: show the source instead of crashing the page
        return "\\verb|" + expression.replace("|", "\\|") + "|"
