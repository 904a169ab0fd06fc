"""The a3_optimizers reference modules for this folder's tests."""

import types

import pytest

from autograder.rubrics import assignment


@pytest.fixture(scope="session")
def a3():
    """A namespace with the reference modules: a3.optim, a3.schedules, a3.search.

    Reference imports them as top-level modules, the way a submission is, and
    takes them out of sys.modules again, so other assignments are unaffected.
    """
    modules = assignment("a3").reference().modules
    return types.SimpleNamespace(**modules)
