"""Self-consistency points only for functions whose values are right, and
results compared by key: what a correct submission earns, a stub does not."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from autograder.checks import PropertyCheck
from autograder.checks.compare import conform, worst_mismatch
from autograder.examples import materialize_reference
from autograder.grading import grade
from autograder.reference import SOLUTIONS
from autograder.report.model import Status
from autograder.rubrics import load_rubric
from autograder.rubrics.base import Rubric

# Each function of the reference, wrapped to return zeros of the right types and shapes.
ZERO_STUB = '''import numpy as _np
import _reference_{module} as _reference


def _zero(value):
    if isinstance(value, (bool, _np.bool_, str)) or value is None:
        return value
    if isinstance(value, _np.ndarray):
        return _np.zeros_like(value) if value.dtype.kind in "fiuc" else value
    if isinstance(value, (int, float, _np.number)):
        return type(value)(0)
    if isinstance(value, (tuple, list)):
        return type(value)(_zero(item) for item in value)
    if isinstance(value, dict):
        return {{key: _zero(item) for key, item in value.items()}}
    return value


def _stub(function):
    def stub(*args, **kwargs):
        return _zero(function(*args, **kwargs))
    return stub


for _name in dir(_reference):
    _value = getattr(_reference, _name)
    if not _name.startswith("_") and \\
            getattr(_value, "__module__", _reference.__name__) == _reference.__name__:
        globals()[_name] = _stub(_value) if callable(_value) else _zero(_value)
'''


def zero_stubs(assignment: str, destination):
    """A submission whose every function returns zeros shaped like the right answer."""
    rubric = load_rubric(assignment)
    destination.mkdir(parents=True)
    for module in rubric.modules:
        shutil.copy(SOLUTIONS / rubric.id / f"{module}.py", destination / f"_reference_{module}.py")
        (destination / f"{module}.py").write_text(ZERO_STUB.format(module=module))
    return destination


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ["a1", "a3"])
def test_zero_stubs_earn_nothing_from_properties(assignment, tmp_path):
    """All-zero stubs earned 4/45 on a1 (linear in dout, batch means, nothing
    modified in place) and 2.5/29 on a3 (state in config, fresh arrays)."""
    rubric = load_rubric(assignment)
    report = grade(rubric, zero_stubs(assignment, tmp_path / "stubs"), seed=3)
    assert report.score == 0, {r.name: r.message for r in report.results if r.score}
    for result in report.results:
        if rubric.dependencies.get(result.name):
            assert "pass first" in result.message, (result.name, result.message)


def test_a_property_of_a_wrong_function_scores_nothing_but_still_names_its_bug(tmp_path):
    """mse_loss summed over the batch: its gradient check fails, and the batch-mean
    property, which used to pass or fail on its own, now scores 0 while still saying why."""
    submission = materialize_reference("a1_backprop", tmp_path / "sub")
    layers = submission / "layers.py"
    layers.write_text(layers.read_text().replace("float(np.mean(diff * diff))", "float(np.sum(diff * diff))")
                      .replace("2.0 * diff / diff.size", "2.0 * diff"))
    report = grade(load_rubric("a1"), submission, seed=4, only=["mse_loss", "mse_loss is a mean"])
    results = {r.name: r for r in report.results}
    assert results["mse_loss"].status == Status.FAILED
    mean = results["mse_loss is a mean"]
    assert mean.score == 0 and mean.message.startswith("needs 'mse_loss' to pass first")
    assert "This check also finds: repeating the batch twice changed the loss" in mean.message
    assert "it is a sum over the batch, not a mean" in mean.message
    assert mean.details["blocked_by"] == ["mse_loss"]


def test_in_place_shares_wait_for_each_functions_own_check(tmp_path):
    """softmax returns wrong values: its in-place share waits; sigmoid_forward
    scribbles on its input after computing the right answer: it alone is named
    as modifying; the seven others keep their shares."""
    submission = materialize_reference("a1_backprop", tmp_path / "sub")
    layers = submission / "layers.py"
    text = layers.read_text()
    text = text.replace("def softmax(", "def _softmax(", 1)
    text = text.replace("def sigmoid_forward(", "def _sigmoid_forward(", 1)
    layers.write_text(text + """

def softmax(logits):
    return 2 * _softmax(logits)


def sigmoid_forward(x):
    out = _sigmoid_forward(x.copy())
    x[0, 0] = 0.0
    return out
""")
    checks = ["softmax", "sigmoid_forward", "inputs are not modified in place"]
    report = grade(load_rubric("a1"), submission, seed=6, only=checks)
    results = {r.name: r for r in report.results}
    assert results["softmax"].status == Status.FAILED and results["sigmoid_forward"].status == Status.PASSED
    in_place = results["inputs are not modified in place"]
    assert in_place.score == pytest.approx(7 / 9)
    assert "modify their inputs in place: sigmoid_forward (argument [0])" in in_place.message
    assert "softmax (needs 'softmax' to pass first)" in in_place.message
    for other in ("linear_forward", "relu_forward", "tanh_forward", "mse_loss", "mlp_loss", "train_sgd"):
        assert other not in in_place.message
    assert in_place.details["requires"] == load_rubric("a1").dependencies["inputs are not modified in place"]


def test_the_dependency_graph_is_declared_on_the_rubric_and_checked():
    graph = load_rubric("a1").dependencies
    assert graph["linear_backward is linear in dout"] == ["linear_backward"]
    assert graph["mse_loss is a mean"] == ["mse_loss"]
    assert "mlp_loss value" in graph["inputs are not modified in place"]
    assert "next_w and state are new arrays" in load_rubric("a3").dependencies
    never = PropertyCheck("later", 1, lambda ctx, check: (1.0, ""), requires="first")
    first = PropertyCheck("first", 1, lambda ctx, check: (1.0, ""))
    with pytest.raises(ValueError, match="not earlier checks"):
        Rubric("x", "x", ["m"], [never, first])
    assert Rubric("x", "x", ["m"], [first, never]).dependencies == {"later": ["first"]}


# -- comparison by key -------------------------------------------------------------------
def test_dicts_compare_by_key_whatever_their_order():
    expected = ({"W1": np.ones((3, 2)), "b1": np.zeros(2), "W2": np.ones((2, 4)), "b2": np.zeros(4)},
                {"loss": [0.5, 0.25], "val_acc": [0.8, 0.9]})
    shuffled = ({key: expected[0][key].copy() for key in sorted(expected[0])},
                {"val_acc": [0.8, 0.9], "loss": [0.5, 0.25]})
    assert conform(shuffled, expected) is None
    assert worst_mismatch(shuffled, expected, 1e-9, 0) is None
    shuffled[1]["loss"][1] = 0.3
    assert worst_mismatch(shuffled, expected, 1e-9, 0) == (pytest.approx(0.05), "[1]['loss'][1]")
    missing = conform(({**shuffled[0], "W3": np.ones(1)}, {"loss": [0.5, 0.25]}), expected)
    assert "unexpected ['W3']" in missing
    assert "missing ['val_acc']" in conform((shuffled[0], {"loss": [0.5, 0.25]}), expected)


def test_train_sgd_with_sorted_params_and_reordered_history_gets_full_marks(tmp_path):
    """Sorted param keys gave an internal grader error; the history with its keys
    in another order lost 2/2 ("val_acc differs")."""
    submission = materialize_reference("a1_backprop", tmp_path / "sub")
    network = submission / "network.py"
    network.write_text(network.read_text().replace("def train_sgd(", "def _train_sgd(", 1) + """

def train_sgd(*args, **kwargs):
    params, history = _train_sgd(*args, **kwargs)
    return dict(sorted(params.items())), dict(reversed(list(history.items())))
""")
    report = grade(load_rubric("a1"), submission, seed=8, only=["train_sgd trajectory"])
    [result] = report.results
    assert result.status == Status.PASSED, result.message
