"""`@pytest.mark.modelize(..., patch="module.attr")`: the model serves calls to an unavailable program."""
from __future__ import annotations

import pytest

APP = '''
def render(text):
    raise RuntimeError("the real renderer is not available here")


def page(text):
    return "<div>" + render(text) + "</div>"
'''


@pytest.fixture
def app(toy_pytester, toy_cache):
    toy_pytester.makepyfile(app=APP)
    return toy_pytester


def test_patched_function_is_served_by_the_model(app, toy_cache):
    app.makepyfile(
        test_page="""
        import pytest
        import app
        from pytest_modelizer.serve import ServedProgram

        @pytest.mark.modelize("shout", patch="app.render", on_uncertain="accept")
        def test_page_uses_the_model():
            assert isinstance(app.render, ServedProgram)
            assert app.page("cat") == "<div>cat</div>"
            out = app.page("owl !bee ant")
            assert out.startswith("<div>") and out.endswith("</div>")
            assert app.render.stats.calls == 2

        @pytest.mark.modelize("shout", patch="app.render")
        def test_patch_and_fixture_are_the_same_model(mock_program):
            assert app.render is mock_program
            assert app.page("!dog") == "<div>" + mock_program("!dog") + "</div>"

        def test_unpatched_afterwards():
            with pytest.raises(RuntimeError, match="not available"):
                app.page("cat")
        """
    )
    result = app.runpytest("--modelizer-cache-dir", str(toy_cache))
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*= modelizer =*", "shout (forward) key *: *; 4 queries of the model*"])


@pytest.mark.parametrize(
    "target, message",
    [
        ("app.rendr", "*modelizer: cannot patch 'app.rendr'*has no attribute 'rendr'* (did you mean 'app.render'?)"),
        ("no_such_module.render", "*modelizer: cannot patch 'no_such_module.render'*no_such_module*"),
    ],
    ids=["attribute", "module"],
)
def test_bad_patch_target_is_a_clear_error(app, toy_cache, target, message):
    app.makepyfile(
        test_page=f"""
        import pytest

        @pytest.mark.modelize("shout", patch={target!r})
        def test_page():
            pass
        """
    )
    result = app.runpytest("--modelizer-cache-dir", str(toy_cache))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([message])


def test_patch_without_model_names_the_fix(app, tmp_path):
    app.makepyfile(
        test_page="""
        import pytest
        import app

        @pytest.mark.modelize("shout", patch="app.render")
        def test_page():
            app.page("cat")
        """
    )
    result = app.runpytest("--modelizer-cache-dir", str(tmp_path / "empty"))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no forward model of subject 'shout'*", "*Fix: pytest --modelizer-train*"])


def test_a_patch_target_never_called_is_a_warning(app, toy_cache):
    # views.py imported the function by name before the patch: it keeps calling the original.
    app.makepyfile(views="from app import render\n\n\ndef title(text):\n    return render(text).upper()\n")
    app.makepyfile(
        test_views="""
        import pytest
        import views

        @pytest.mark.modelize("shout", patch="app.render")
        def test_title():
            with pytest.raises(RuntimeError, match="not available"):
                views.title("cat")
        """
    )
    result = app.runpytest("--modelizer-cache-dir", str(toy_cache))
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*PytestWarning: modelizer: patch='app.render' was never called during this test*"
                                 "`from app import render` keeps the original*"])
