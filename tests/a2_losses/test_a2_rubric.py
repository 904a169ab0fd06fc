"""a2_losses rubric: coverage of the SPEC, public mode, and the edge-case hints."""

import numpy as np

from autograder.checks import Args
from autograder.examples import bugs, materialize, materialize_reference
from autograder.grading import grade
from autograder.report.model import Status
from autograder.rubrics import a2_losses as rubric

SPEC_FUNCTIONS = {
    "losses": ["sigmoid", "softmax_jacobian", "binary_cross_entropy", "bce_with_logits",
               "label_smoothing_cross_entropy", "focal_loss", "dice_loss", "rmse_loss",
               "arctan_loss", "l2_penalty"],
    "metrics": ["confusion_matrix", "precision_recall_f1", "precision_bounds", "recall_bounds"],
    "answers": ["WORST_PRECISION", "BEST_PRECISION", "WORST_RECALL", "BEST_RECALL",
                "ALL_NEGATIVE_ACCURACY"],
}


def test_every_spec_name_has_a_check_with_points():
    checks = rubric.RUBRIC.checks
    for module, names in SPEC_FUNCTIONS.items():
        for name in names:
            target = f"{module}:{name}"
            found = [c for c in checks if c.points > 0 and (
                getattr(c, "target", None) == target or getattr(c, "forward", None) == target
                or name in c.name)]
            assert found, f"no check for {target}"


def test_public_mode_reference_passes_every_public_check(tmp_path):
    report = grade(rubric.RUBRIC, materialize_reference("a2_losses", tmp_path), public=True)
    for result in report.results:
        if result.status == Status.SKIPPED:
            continue
        assert result.status == Status.PASSED, (result.name, result.message)
    assert report.score > 0.8 * report.max_score


def test_public_mode_catches_a_bug(tmp_path):
    bug = next(b for b in bugs("a2_losses") if b.name == "rmse_without_eps")
    report = grade(rubric.RUBRIC, materialize("a2_losses", bug, tmp_path), public=True)
    lost = {r.name for r in report.results if r.status == Status.FAILED}
    assert lost == {"rmse_loss at zero error"}


def test_clip_hint_only_for_failures_at_the_clip():
    p = np.array([0.0, 0.5, 1.0])
    call = Args(p, np.array([0.3, 0.3, 0.3]))
    expected = (1.0, np.array([0.0, 1.0, 0.0]))
    applies = rubric.wrong_only_where_not(lambda c: (c.args[0] > 1e-12) & (c.args[0] < 1 - 1e-12))
    assert applies((np.inf, np.array([0.0, 1.0, 0.0])), expected, call)
    assert applies((1.0, np.array([5.0, 1.0, 0.0])), expected, call)      # wrong only at the clip
    assert not applies((1.0, np.array([0.0, 3.0, 0.0])), expected, call)  # wrong inside
