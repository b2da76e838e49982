"""Example suite: the app's tests run against the shipped model of markdown-it-py.

Run it with `pytest conftest_examples` from the repository root. The bundled subject
`markdown-it` comes from the plugin's entry points, so nothing needs declaring here; a
project with its own program would return its `Subject`s from the hook below.
"""


def pytest_modelizer_subjects(config):
    return []
