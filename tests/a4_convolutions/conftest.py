"""Fixtures for the a4_convolutions tests: the reference modules, loaded in isolation."""

import types

import pytest

from autograder.rubrics import assignment


@pytest.fixture(scope="session")
def a4():
    """Namespace with the reference modules ``shapes``, ``conv`` and ``answers``."""
    modules = assignment("a4").reference().modules
    return types.SimpleNamespace(**modules)
