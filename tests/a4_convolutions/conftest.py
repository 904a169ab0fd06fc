"""Fixtures for the a4_convolutions tests: the reference modules, loaded in isolation."""

import types

import pytest

from autograder.reference import SOLUTIONS, Reference


@pytest.fixture(scope="session")
def a4():
    """Namespace with the reference modules ``shapes``, ``conv`` and ``answers``."""
    modules = Reference(SOLUTIONS / "a4_convolutions", ["shapes", "conv", "answers"]).modules
    return types.SimpleNamespace(**modules)
