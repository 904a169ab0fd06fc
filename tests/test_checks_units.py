"""The check kinds on their own, with hand-made student values."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.checks import AnswerCheck, TableCheck
from autograder.checks.accuracy import scaled_score
from autograder.checks.compare import conform, relative_error, worst_mismatch
from autograder.report.model import Status
from autograder.sandbox.protocol import Opaque

COLUMNS = ("name", "output_shape", "weights", "biases")
TABLE = [("conv1", (32, 32, 8), 216, 8), ("pool1", (16, 16, 8), 0, 0), ("fc", (10,), 20480, 10)]


def test_relative_error_is_the_cs231n_definition():
    a, b = np.array([1.0, 0.0, -2.0]), np.array([1.0, 1e-9, -1.0])
    expected = max(0.0, 1e-9 / max(1e-8, 1e-9), 1 / 3)
    assert relative_error(a, b) == pytest.approx(expected)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0


@pytest.mark.parametrize("got,phrase", [
    (np.zeros((3, 2)), "shape (3, 2)"),
    (np.zeros((2, 3), dtype=np.float32), "dtype float32"),
    (np.array([[np.nan, 0, 0], [0, 0, 0]]), "NaN"),
    ([[0.0] * 3] * 2, "NumPy array"),
    (Opaque("torch.Tensor"), "torch.Tensor"),
])
def test_conform_names_what_is_wrong(got, phrase):
    assert phrase in conform(got, np.zeros((2, 3)))


def test_conform_accepts_a_right_value_and_checks_nested_structures():
    expected = ({"W1": np.zeros(2)}, 1.5)
    assert conform(({"W1": np.ones(2)}, 2.0), expected) is None
    assert "wrong keys" in conform(({"W2": np.ones(2)}, 2.0), expected)
    assert "number" in conform(({"W1": np.ones(2)}, "2"), expected)


def test_worst_mismatch_reports_the_worst_leaf():
    expected = {"a": np.array([1.0, 2.0]), "b": 3.0}
    assert worst_mismatch({"a": np.array([1.0, 2.0]), "b": 3.0}, expected, 1e-9, 0) is None
    error, path = worst_mismatch({"a": np.array([1.0, 2.5]), "b": 3.0}, expected, 1e-9, 0)
    assert error == pytest.approx(0.5) and path == "['a']"


def test_scaled_score_is_linear_between_floor_and_target():
    assert scaled_score(0.5, 0.6, 0.9) == 0
    assert scaled_score(0.75, 0.6, 0.9) == pytest.approx(0.5)
    assert scaled_score(0.95, 0.6, 0.9) == 1


def test_table_check_gives_partial_credit_per_cell_and_names_slips():
    def explain(row, column, got, expected, expected_row):
        return "biases counted in the weights" if column == "weights" and got == expected + expected_row[3] else None

    check = TableCheck("t", 6, "answers:T", columns=COLUMNS, explain=explain)
    assert check.compare(TABLE, TABLE).status == Status.PASSED
    wrong = [("conv1", (32, 32, 8), 224, 8), ("pool1", (16, 16, 8), 0, 0), ("fc", (10,), 20480, 10)]
    result = check.compare(wrong, TABLE)
    assert result.score == pytest.approx(6 * 8 / 9)
    assert "conv1 weights: 224, expected 216 (biases counted in the weights)" in result.message
    missing_row = check.compare(TABLE[:2], TABLE)
    assert missing_row.score == pytest.approx(6 * 6 / 9) and "row 3 (fc)" in missing_row.message
    assert check.compare(None, TABLE).score == 0


def test_answer_check_hints_at_percentages():
    check = AnswerCheck("chance", 1, "answers:CHANCE")
    assert check.compare(0.1, 0.1).status == Status.PASSED
    assert "percentage" in check.compare(10.0, 0.1).message
    assert "not answered" in check.compare(None, 0.1).message
    assert "finite number" in check.compare(float("nan"), 0.1).message
    assert check.compare(True, 1.0).status == Status.FAILED


def test_value_check_names_a_matching_slip_and_adds_its_edge_case_hint():
    from autograder.checks import Args, ValueCheck

    x = np.array([1.0, -2.0, 3.0])
    check = ValueCheck("double", 1, "m:double", inputs=None, hint="mind the zeros",
                       slips=[("the input is returned unchanged", lambda call: call.args[0])])
    assert check.compare(2 * x, 2 * x, Args(x)).status == Status.PASSED
    named = check.compare(x.copy(), 2 * x, Args(x))
    assert named.status == Status.FAILED and named.message.startswith("the input is returned unchanged. (")
    assert "mind the zeros" not in named.message  # the output is finite: not the edge case
    other = check.compare(3 * x, 2 * x, Args(x))
    assert "unchanged" not in other.message and "differs from the reference" in other.message
    edge = check.compare(np.array([np.nan, -4.0, 6.0]), 2 * x, Args(x))
    assert edge.message.endswith(". mind the zeros")


def test_cases_check_gives_credit_per_case_and_names_slips(tmp_path):
    from autograder.checks import CasesCheck, Context
    from autograder.reference import Reference
    from autograder.sandbox.client import Sandbox

    (tmp_path / "ref").mkdir()
    (tmp_path / "ref" / "sizes.py").write_text("def out(n, k):\n    return (n - k) // 2 + 1\n")
    (tmp_path / "student").mkdir()
    (tmp_path / "student" / "sizes.py").write_text(
        "import math\ndef out(n, k):\n    return math.ceil((n - k) / 2) + 1 if n != 9 else float((n - k) // 2 + 1)\n")
    check = CasesCheck("out", 4, "sizes:out", cases=lambda rng: [(10, 3), (8, 2), (9, 3), (7, 3)],
                       slips=lambda call: [("ceil instead of floor",
                                            -(-(call.args[0] - call.args[1]) // 2) + 1)])
    with Sandbox(tmp_path / "student", ["sizes"]) as sandbox:
        result = check.run(Context(sandbox, 0, Reference(tmp_path / "ref", ["sizes"])))
    # (10, 3): ceil gives 5, floor 4 -> a named slip; (9, 3): right value, wrong type
    assert result.score == pytest.approx(2.0)
    assert "out(10, 3) returned 5, expected 4 (ceil instead of floor)" in result.message
    assert "out(9, 3) returned a float, expected 4" in result.message
