"""Fixtures for the a5_cifar10 tests: the reference modules and a small synthetic CIFAR-10."""

import types

import pytest
import torch

from autograder.data.synth import write_synth
from autograder.reference import SOLUTIONS, Reference


@pytest.fixture(scope="session")
def a5():
    """Namespace with the reference modules ``data``, ``model`` and ``train``."""
    modules = Reference(SOLUTIONS / "a5_cifar10", ["data", "model", "train"]).modules
    return types.SimpleNamespace(**modules)


@pytest.fixture(scope="session")
def cifar_root(tmp_path_factory):
    """A data root with a synthetic CIFAR-10: 300 training and 100 test images."""
    root = tmp_path_factory.mktemp("a5-cifar")
    write_synth("cifar10", root, n=300, n_test=100, seed=5)
    return root


@pytest.fixture(autouse=True)
def few_threads():
    """Small, pinned thread counts keep the tests fast and the runs repeatable."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)
