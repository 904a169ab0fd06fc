"""Shared fixtures: the reference solutions, imported in isolation."""

from __future__ import annotations

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
