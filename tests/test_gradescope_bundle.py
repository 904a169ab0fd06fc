"""The Gradescope bundle, run in a temporary tree laid out like Gradescope's.

Gradescope unpacks the zip into /autograder/source and runs run_autograder
from /autograder. Here the tree lives under tmp_path: run_autograder reads it
from AUTOGRADER_ROOT and the interpreter from AUTOGRADER_PYTHON (this test's
own, which already has the dependencies: nothing is pip-installed, and
setup.sh is not run). It runs `python -m autograder` from source/, so the
bundled package and reference are the ones used.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from autograder.authoring.gradescope import build_bundle
from autograder.examples import bugs, materialize, materialize_reference
from autograder.rubrics import load_rubric

SCHEMA = json.loads((Path(__file__).with_name("gradescope_results.schema.json")).read_text())
BUG = next(b for b in bugs("a1_backprop") if b.name == "mse_sign_error")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return build_bundle("a1_backprop", tmp_path_factory.mktemp("bundle") / "a1_autograder.zip")


def gradescope_tree(bundle: Path, root: Path) -> Path:
    """/autograder as Gradescope builds it: source/ unpacked, run_autograder copied up."""
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    for info in zipfile.ZipFile(bundle).infolist():  # extractall drops the mode bits
        mode = info.external_attr >> 16
        if mode:
            os.chmod(root / "source" / info.filename, stat.S_IMODE(mode))
    (root / "run_autograder").write_bytes((root / "source" / "run_autograder").read_bytes())
    (root / "run_autograder").chmod(0o755)
    (root / "results").mkdir()
    (root / "submission").mkdir()
    return root


def run_autograder(root: Path) -> dict:
    """Run the tree's run_autograder as Gradescope would; the results.json it left."""
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    return results


def test_schema_rejects_what_gradescope_would_not_accept():
    jsonschema.validate({"score": 3}, SCHEMA)
    jsonschema.validate({"tests": [{"name": "a", "score": 1, "max_score": 1}]}, SCHEMA)
    for bad in ({"tests": [{"name": "a"}]},  # no score anywhere
                {"score": 1, "visibility": "sometimes"},
                {"score": 1, "tests": [{"score": 1, "status": "ok"}]},
                {"score": 1, "tests": [{"score": 1, "max_points": 2}]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, SCHEMA)


def test_bundle_holds_the_scripts_the_package_and_only_this_reference(bundle):
    with zipfile.ZipFile(bundle) as archive:
        infos = {info.filename: info for info in archive.infolist()}
    for script in ("setup.sh", "run_autograder"):
        assert infos[script].external_attr >> 16 & 0o111, f"{script} is not executable"
    for name in ("pyproject.toml", "autograder/cli.py", "autograder/grading.py",
                 "autograder/rubrics/a1_backprop.py", "solutions/a1_backprop/layers.py"):
        assert name in infos
    assert not [n for n in infos if n.startswith("solutions/") and not n.startswith("solutions/a1_backprop/")]
    assert not [n for n in infos if "__pycache__" in n or n.endswith(".pyc") or n.startswith("tests/")]
    setup = zipfile.ZipFile(bundle).read("setup.sh").decode()
    assert "pip install -e /autograder/source" in setup


def test_bundle_is_reproducible(bundle, tmp_path):
    assert build_bundle("a1_backprop", tmp_path / "again.zip").read_bytes() == bundle.read_bytes()


def test_reference_submission_gets_full_marks(bundle, tmp_path):
    root = gradescope_tree(bundle, tmp_path / "autograder")
    materialize_reference("a1_backprop", root / "submission")
    results = run_autograder(root)
    rubric = load_rubric("a1")
    assert results["score"] == rubric.max_score
    assert [t["name"] for t in results["tests"]] == [c.name for c in rubric.checks]
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in results["tests"])


def test_buggy_submission_in_a_folder_loses_the_right_points(bundle, tmp_path):
    root = gradescope_tree(bundle, tmp_path / "autograder")
    materialize("a1_backprop", BUG, root / "submission" / "my_a1")
    results = run_autograder(root)
    tests = {t["name"]: t for t in results["tests"]}
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    assert results["score"] < load_rubric("a1").max_score
    for name in BUG.caught_by:
        assert tests[name]["status"] == "failed" and tests[name]["score"] < tests[name]["max_score"]
    assert "sign" in tests[BUG.caught_by[0]]["output"]
    broken = set(BUG.caught_by) | set(BUG.also)
    dependents = {name for name, needs in load_rubric("a1").dependencies.items() if broken & set(needs)}
    assert {n for n, t in tests.items() if t["status"] == "failed"} <= broken | dependents


def test_grading_uses_the_bundled_reference(bundle, tmp_path):
    """Swap the bundle's reference for the buggy code: the true reference now loses points."""
    root = gradescope_tree(bundle, tmp_path / "autograder")
    materialize("a1_backprop", BUG, root / "source" / "solutions" / "a1_backprop")
    materialize_reference("a1_backprop", root / "submission")
    tests = {t["name"]: t for t in run_autograder(root)["tests"]}
    assert tests[BUG.caught_by[0]]["status"] == "failed"


def test_a_grader_failure_still_leaves_valid_results(bundle, tmp_path):
    root = gradescope_tree(bundle, tmp_path / "autograder")
    (root / "submission").rmdir()
    results = run_autograder(root)
    assert results["score"] == 0 and "course staff" in results["output"]
