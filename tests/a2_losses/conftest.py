"""Fixtures for the a2_losses tests: the reference modules, loaded in isolation."""

import pytest

from autograder.rubrics import assignment


@pytest.fixture(scope="session")
def a2():
    """{"losses": module, "metrics": module, "answers": module} of the reference."""
    return assignment("a2").reference().modules
