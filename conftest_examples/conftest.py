"""Example suite: the app's tests run against the shipped models of markdown-it-py, latexify
and sqlglot (the last one is not installed by the examples extra: its model replays alone).

Run it with `pytest conftest_examples` from the repository root. The bundled subjects come
from the plugin's entry points, so nothing needs declaring here; a project with its own
program would return its `Subject`s from the hook below.
"""


def pytest_modelizer_subjects(config):
    return []
