"""The a4 rubric's own facts: its nets are SPEC.md's, its slip model agrees with the
reference when there is no slip, and a slow but correct loop submission passes."""

import shutil
import time
from pathlib import Path

import numpy as np

from autograder.examples import materialize_reference
from autograder.grading import grade
from autograder.report.model import Status
from autograder.rubrics import a4_convolutions as rubric
from autograder.rubrics.convolution_slips import cross_correlation, layer_table, output_size

HERE = Path(__file__).resolve().parent


def test_rubric_nets_give_the_reference_answers(a4):
    shapes, answers = a4.shapes, a4.answers
    assert shapes.layer_table(rubric.ALEXNET_INPUT, rubric.ALEXNET_LAYERS) == answers.ALEXNET_TABLE
    assert shapes.layer_table(rubric.CIFAR_NET_INPUT, rubric.CIFAR_NET_LAYERS) == answers.CIFAR_NET_TABLE


def test_slip_model_without_a_slip_is_the_reference(a4):
    rng = np.random.default_rng(0)
    for _ in range(50):
        net = rubric.random_net(rng)
        assert layer_table(net.input_shape, net.layers) == a4.shapes.layer_table(net.input_shape, net.layers)
    assert layer_table(rubric.ALEXNET_INPUT, rubric.ALEXNET_LAYERS) == a4.answers.ALEXNET_TABLE


def test_slip_model_sizes_match_the_reference(a4):
    rng = np.random.default_rng(1)
    for call in [c for _ in range(20) for c in rubric.conv_output_cases(rng)]:
        assert output_size(*call.args, **call.kwargs) == a4.shapes.conv_output_size(*call.args, **call.kwargs)


def test_conv_slip_helper_is_a_cross_correlation(a4):
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    expected, _ = a4.conv.conv2d_forward(x, w, b, stride=2, padding=1)
    np.testing.assert_allclose(cross_correlation(x, w, b, 2, (1, 1, 1, 1)), expected, rtol=1e-12)


def test_naive_loop_submission_passes_the_layer_checks(tmp_path):
    """The reference with conv and pooling swapped for six-nested-loop Python code."""
    submission = materialize_reference("a4_convolutions", tmp_path)
    conv_file = submission / "conv.py"
    conv_file.write_text(conv_file.read_text() + "\n\n# a student's loops\n"
                         + (HERE / "naive_conv.py").read_text())
    names = [c.name for c in rubric.RUBRIC.checks if "conv2d" in c.name or "maxpool" in c.name]
    started = time.perf_counter()
    report = grade(rubric.RUBRIC, submission, seed=5, only=names)
    elapsed = time.perf_counter() - started
    assert [(r.name, r.message) for r in report.results if r.status != Status.PASSED] == []
    assert len(report.results) == len(names) >= 8
    assert elapsed < 30, elapsed
    shutil.rmtree(submission)
