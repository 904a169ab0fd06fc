"""Shared fixtures: the a1 reference solution, imported in isolation, and grading seeds."""

from __future__ import annotations

import os
import zlib

import pytest

from autograder.rubrics import assignment


@pytest.fixture(scope="session")
def a1():
    """The a1 reference modules: a1["layers"], a1["network"], a1["answers"]."""
    return assignment("a1").reference().modules


SEED_SHIFT_VARIABLE = "AUTOGRADER_TEST_SEED"


@pytest.fixture
def grading_seed(request):
    """A grading seed fixed per test case, so that a failure reruns the same way.

    AUTOGRADER_TEST_SEED=N shifts every case's seed by N: a seed sweep is a loop
    over N. pytest prints a failing case's seed with the test's arguments.
    """
    shift = int(os.environ.get(SEED_SHIFT_VARIABLE, "0"))
    return (zlib.crc32(request.node.nodeid.encode()) + shift) % 2**31
