"""The `autograder data` subcommands, end to end (no network here)."""

from __future__ import annotations

import subprocess
import sys

import torchvision

from autograder.data.load import synth_checksums


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "autograder", "data", *args], capture_output=True, text=True)


def test_synth_writes_a_dataset_torchvision_reads(tmp_path):
    result = run_cli("synth", "cifar10", "--root", str(tmp_path), "--n", "40")
    assert result.returncode == 0, result.stderr
    with synth_checksums("cifar10", tmp_path):
        train = torchvision.datasets.CIFAR10(str(tmp_path), train=True, download=False)
    assert len(train) == 40 and train.data.shape == (40, 32, 32, 3)


def test_fetch_without_network_fails_in_one_line(tmp_path):
    result = run_cli("fetch", "mnist", "--root", str(tmp_path))
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and "error" in result.stderr
