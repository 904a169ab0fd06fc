"""Fixtures for the a2_losses tests: the reference modules, loaded in isolation."""

import pytest

from autograder.reference import SOLUTIONS, Reference


@pytest.fixture(scope="session")
def a2():
    """{"losses": module, "metrics": module, "answers": module} of the reference."""
    return Reference(SOLUTIONS / "a2_losses", ["losses", "metrics", "answers"]).modules
