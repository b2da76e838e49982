"""A plugin of its own that only registers the subject-declaring hook.

Registered apart from the main plugin (entry point `modelizer-hooks`), so that `-p no:modelizer`
disables the plugin while conftest files that implement `pytest_modelizer_subjects` still load.
"""
from __future__ import annotations

import pytest

from pytest_modelizer import hooks


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register `pytest_modelizer_subjects`."""
    pluginmanager.add_hookspecs(hooks)
