"""Shared fixtures: the reference solutions, imported in isolation."""

from __future__ import annotations

import os
import zlib

import pytest

from autograder.reference import SOLUTIONS, Reference

MODULES = {
    "a1_backprop": ["layers", "network", "answers"],
    "a2_losses": ["losses", "metrics", "answers"],
    "a3_optimizers": ["optim", "schedules", "search"],
    "a4_convolutions": ["shapes", "conv", "answers"],
    "a5_cifar10": ["data", "model", "train"],
    "a6_cifar100": ["challenge"],
}


def load_reference(assignment: str):
    """{module name: module} of one assignment's reference solution."""
    return Reference(SOLUTIONS / assignment, MODULES[assignment]).modules


@pytest.fixture(scope="session")
def a1():
    """The a1 reference modules: a1["layers"], a1["network"], a1["answers"]."""
    return load_reference("a1_backprop")


SEED_SHIFT_VARIABLE = "AUTOGRADER_TEST_SEED"


@pytest.fixture
def grading_seed(request):
    """A grading seed fixed per test case, so that a failure reruns the same way.

    AUTOGRADER_TEST_SEED=N shifts every case's seed by N: a seed sweep is a loop
    over N. pytest prints a failing case's seed with the test's arguments.
    """
    shift = int(os.environ.get(SEED_SHIFT_VARIABLE, "0"))
    return (zlib.crc32(request.node.nodeid.encode()) + shift) % 2**31
