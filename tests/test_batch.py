"""grade-batch: safe unpacking, discovery, parallel grading, resume after a kill."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder.batch.runner import run_batch
from autograder.batch.store import BatchBusy, OutputDir, write_atomic
from autograder.batch.submissions import BatchInputError, Submission, content_hash, discover
from autograder.batch.unpack import UnsafeArchive, ZipLimits, extract_zip, submission_root
from autograder.examples import bugs, materialize, materialize_reference
from autograder.grading import grade
from autograder.report.model import Status
from autograder.rubrics import load_rubric

BUG = next(b for b in bugs("a1_backprop") if b.name == "mse_sign_error")


def zip_tree(source: Path, archive: Path, prefix: str = "") -> Path:
    """Zip every file under ``source`` with member names ``prefix`` + relative path."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                bundle.write(path, prefix + path.relative_to(source).as_posix())
    return archive


def zip_members(archive: Path, members: dict[str, bytes], symlink: str | None = None) -> Path:
    with zipfile.ZipFile(archive, "w") as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16)
            bundle.writestr(info, "/etc/passwd")
    return archive


# -- unpacking ---------------------------------------------------------------------
@pytest.mark.parametrize("members,symlink,words", [
    ({"../escape.py": b"x"}, None, "leaves its folder"),
    ({"sub/../../escape.py": b"x"}, None, "leaves its folder"),
    ({"/etc/cron.d/evil": b"x"}, None, "absolute path"),
    ({"layers.py": b"x"}, "link.py", "symbolic link"),
])
def test_unsafe_members_are_refused_before_anything_is_written(tmp_path, members, symlink, words):
    archive = zip_members(tmp_path / "evil.zip", {"ok.py": b"fine", **members}, symlink)
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(UnsafeArchive, match=words):
        extract_zip(archive, target)
    assert list(target.iterdir()) == []
    assert not (tmp_path / "escape.py").exists()


def test_zip_bomb_is_stopped_at_the_size_limit(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("zeros.bin", bytes(3 << 20))
    assert archive.stat().st_size < 64 * 1024  # highly compressed
    with pytest.raises(UnsafeArchive, match="more than 2 MB"):
        extract_zip(archive, tmp_path / "out", ZipLimits(member_mb=2, total_mb=100))
    many = zip_members(tmp_path / "many.zip", {f"f{i}.py": b"" for i in range(5)})
    with pytest.raises(UnsafeArchive, match="5 entries"):
        extract_zip(many, tmp_path / "out2", ZipLimits(members=4))
    with pytest.raises(UnsafeArchive, match="more than 3 MB"):
        extract_zip(zip_members(tmp_path / "total.zip", {"a": bytes(2 << 20), "b": bytes(2 << 20)}),
                    tmp_path / "out3", ZipLimits(member_mb=2, total_mb=3))


def test_zip_whose_header_understates_its_size_is_still_stopped(tmp_path):
    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("big.bin", bytes(3 << 20))
    data = archive.read_bytes()
    real, claimed = (3 << 20).to_bytes(4, "little"), (1 << 10).to_bytes(4, "little")
    assert data.count(real) == 2  # the uncompressed size in the local and central headers
    archive.write_bytes(data.replace(real, claimed))
    with pytest.raises(UnsafeArchive, match="not a readable zip"):
        extract_zip(archive, tmp_path / "out", ZipLimits(member_mb=2, total_mb=100))
    written = tmp_path / "out" / "big.bin"
    assert not written.exists() or written.stat().st_size <= 1 << 10


def test_not_a_zip_gets_one_line(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK but not really")
    with pytest.raises(UnsafeArchive, match="not a readable zip"):
        extract_zip(bad, tmp_path / "out")


def test_single_wrapping_folder_is_descended_and_mac_debris_ignored(tmp_path):
    archive = zip_members(tmp_path / "a.zip", {"alice_a1/layers.py": b"x = 1\n",
                                               "alice_a1/sub/notes.txt": b"",
                                               "__MACOSX/alice_a1/._layers.py": b"junk",
                                               ".DS_Store": b""})
    root = submission_root(extract_zip(archive, tmp_path / "out"))
    assert root == tmp_path / "out" / "alice_a1"
    assert (root / "layers.py").read_text() == "x = 1\n"
    assert not (tmp_path / "out" / "__MACOSX").exists()
    flat = tmp_path / "flat"
    (flat / "data").mkdir(parents=True)
    (flat / "layers.py").write_text("")
    assert submission_root(flat) == flat


# -- discovery and fingerprints ----------------------------------------------------------
def test_discover_finds_folders_and_zips_and_skips_the_rest(tmp_path):
    (tmp_path / "bob").mkdir()
    (tmp_path / "alice.zip").write_bytes(b"")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "out").mkdir()
    found = discover(tmp_path, exclude=(tmp_path / "out",))
    assert [(s.student, s.path.name) for s in found] == [("alice", "alice.zip"), ("bob", "bob")]


def test_discover_refuses_two_submissions_of_one_student(tmp_path):
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob.zip").write_bytes(b"")
    with pytest.raises(BatchInputError, match="two submissions for bob"):
        discover(tmp_path)
    with pytest.raises(BatchInputError, match="does not exist"):
        discover(tmp_path / "missing")


def test_content_hash_follows_contents_not_location(tmp_path):
    first = materialize_reference("a1_backprop", tmp_path / "a")
    second = materialize_reference("a1_backprop", tmp_path / "b")
    (second / "__pycache__").mkdir()
    (second / "__pycache__" / "x.pyc").write_bytes(b"cache")
    one, two = Submission("a", first), Submission("b", second)
    assert content_hash(one) == content_hash(two)
    (second / "layers.py").write_text((second / "layers.py").read_text() + "\n# edited\n")
    assert content_hash(one) != content_hash(two)
    (first / "layers.py").rename(first / "layers2.py")
    assert content_hash(one) != content_hash(Submission("a", materialize_reference("a1_backprop", tmp_path / "c")))


# -- output directory -------------------------------------------------------------------
def test_atomic_write_leaves_no_temporary_file_and_a_second_batch_is_refused(tmp_path):
    write_atomic(tmp_path / "x.json", "{}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json"]
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / ".alice.json.abc123.tmp").write_text("half")
    with OutputDir(tmp_path) as out:
        assert not (tmp_path / "results" / ".alice.json.abc123.tmp").exists()
        with pytest.raises(BatchBusy):
            OutputDir(tmp_path).__enter__()
        assert out.seed("a1_backprop", None, lambda: 99) == 99
        assert out.seed("a1_backprop", None, lambda: 5) == 99  # kept for resuming
        assert out.seed("a2_losses", None, lambda: 5) == 5


# -- grading a batch ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def graded_batch(tmp_path_factory):
    """A batch with every kind of submission, graded once with --jobs 2."""
    root = tmp_path_factory.mktemp("batch")
    subs = root / "subs"
    materialize_reference("a1_backprop", subs / "ref_dir")
    materialize("a1_backprop", BUG, subs / "buggy_dir")
    zip_tree(materialize_reference("a1_backprop", root / "z"), subs / "nested_zip.zip", "nested_zip/")
    broken = materialize_reference("a1_backprop", subs / "syntax_error")
    (broken / "network.py").write_text("def oops(:\n")
    (subs / "not_a_zip.zip").write_bytes(b"garbage")
    zip_members(subs / "zip_slip.zip", {"layers.py": b"", "../../evil.py": b"import os"})
    summary = run_batch(subs, "a1", root / "out", jobs=2, seed=11, formats=("text",), progress=False,
                        log=lambda message: None)
    return root, summary


def test_every_submission_gets_a_record_and_broken_ones_do_not_stop_the_batch(graded_batch):
    root, summary = graded_batch
    out = root / "out"
    records = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    assert set(records) == {"ref_dir", "buggy_dir", "nested_zip", "syntax_error", "not_a_zip", "zip_slip"}
    rubric = load_rubric("a1")
    assert records["ref_dir"]["score"] == records["nested_zip"]["score"] == rubric.max_score
    direct = grade(rubric, materialize("a1_backprop", BUG, root / "direct"), seed=11)
    assert records["buggy_dir"]["score"] == direct.score < rubric.max_score
    network = {r["name"]: r for r in records["syntax_error"]["results"]}
    assert network["mlp_loss value"]["status"] == Status.ERROR
    assert "SyntaxError" in network["mlp_loss value"]["message"]
    assert network["linear_forward"]["status"] == Status.PASSED  # layers.py still graded
    for student, words in (("not_a_zip", "not a readable zip"), ("zip_slip", "leaves its folder")):
        assert records[student]["score"] == 0 and words in records[student]["error"]
    assert not (root / "evil.py").exists() and not (root.parent / "evil.py").exists()
    assert (out / "results" / "buggy_dir.txt").read_text().startswith("a1_backprop")
    assert sorted(summary["not_graded"]) == ["not_a_zip", "zip_slip"]
    assert not list(out.rglob("*.tmp"))


def test_grades_csv_and_summary_agree_with_the_records(graded_batch):
    root, summary = graded_batch
    out = root / "out"
    rubric = load_rubric("a1")
    with open(out / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["student", "score", "max", *(c.name for c in rubric.checks)]
    assert [r["student"] for r in rows] == sorted(r["student"] for r in rows)
    for row in rows:
        data = json.loads((out / "results" / f"{row['student']}.json").read_text())
        assert float(row["score"]) == pytest.approx(data["score"], abs=1e-4)
        assert sum(float(row[c.name]) for c in rubric.checks) == pytest.approx(float(row["score"]), abs=1e-3)
        assert float(row["max"]) == rubric.max_score
    scores = sorted(float(r["score"]) for r in rows)
    assert summary["count"] == 6 and summary["seed"] == 11
    assert summary["median"] == pytest.approx((scores[2] + scores[3]) / 2, abs=1e-3)
    assert summary["mean"] == pytest.approx(sum(scores) / 6, abs=1e-3)
    assert summary["pass_rates"]["mse_loss"] == pytest.approx(3 / 6)  # ref, zip, syntax_error pass it
    assert json.loads((out / "summary.json").read_text()) == summary


def test_dashboard_links_every_student_report(graded_batch):
    root, _ = graded_batch
    page = (root / "out" / "dashboard.html").read_text()
    for student in ("ref_dir", "buggy_dir", "nested_zip", "syntax_error", "not_a_zip", "zip_slip"):
        assert f'href="results/{student}.txt"' in page
        assert (root / "out" / "results" / f"{student}.txt").is_file()


def test_a_changed_submission_is_regraded_and_the_others_kept(graded_batch):
    """Kept: the graded records of unchanged submissions. Regraded: the changed one,
    and the two that could not be graded (an error is never kept)."""
    root, _ = graded_batch
    out = root / "out"
    stamps = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / "results").glob("*.json")}
    materialize_reference("a1_backprop", root / "subs" / "buggy_dir")  # the student fixes the bug
    summary = run_batch(root / "subs", "a1", out, jobs=1, progress=False, log=lambda message: None)
    assert summary["seed"] == 11  # the batch's seed is kept
    assert (summary["graded_now"], summary["resumed"]) == (3, 3)
    changed = sorted(p.name for p in (out / "results").glob("*.json")
                     if (p.stat().st_ino, p.stat().st_mtime_ns) != stamps[p.name])
    assert changed == ["buggy_dir.json", "not_a_zip.json", "zip_slip.json"]
    assert json.loads((out / "results" / "buggy_dir.json").read_text())["score"] == load_rubric("a1").max_score


@pytest.mark.slow
def test_a6_batch_takes_the_data_root_and_model_options_and_regrades_when_they_change(tmp_path):
    from autograder.examples import a6_cifar100

    subs = tmp_path / "subs"
    data_root = a6_cifar100.prepare(materialize_reference("a6_cifar100", subs / "alice"))["data_root"]
    quiet = {"progress": False, "log": lambda message: None}
    lenient = run_batch(subs, "a6", tmp_path / "out", seed=0, data_root=data_root,
                        options={"floor": 0.0, "target": 1.5}, **quiet)
    data = json.loads((tmp_path / "out" / "results" / "alice.json").read_text())
    accuracy = next(r for r in data["results"] if r["name"] == "test accuracy")
    top1 = accuracy["details"]["top1"]
    assert 0.1 < top1 < 1.0 and accuracy["details"]["synthetic_data"] is True
    assert accuracy["score"] == pytest.approx(accuracy["max_score"] * top1 / 1.5, abs=1e-4)
    assert lenient["graded_now"] == 1

    default = run_batch(subs, "a6", tmp_path / "out", data_root=data_root, **quiet)
    assert (default["graded_now"], default["resumed"]) == (1, 0)  # other options: graded again
    data = json.loads((tmp_path / "out" / "results" / "alice.json").read_text())
    accuracy = next(r for r in data["results"] if r["name"] == "test accuracy")
    expected = min(1.0, max(0.0, (accuracy["details"]["top1"] - 0.40) / 0.30))
    assert accuracy["score"] == pytest.approx(accuracy["max_score"] * expected, abs=1e-4)
    again = run_batch(subs, "a6", tmp_path / "out", data_root=data_root, **quiet)
    assert (again["graded_now"], again["resumed"]) == (0, 1)


def test_a_dying_grader_process_is_retried_then_recorded_and_the_batch_ends(tmp_path):
    """A reference that kills whichever pool process imports it: every
    submission is retried once in a fresh pool, then recorded as not graded."""
    reference = materialize_reference("a1_backprop", tmp_path / "reference")
    layers = reference / "layers.py"
    layers.write_text("import multiprocessing, os\n"
                      "if multiprocessing.parent_process() is not None:\n"
                      "    os._exit(3)\n" + layers.read_text())
    for student in ("ann", "ben"):
        materialize_reference("a1_backprop", tmp_path / "subs" / student)
    summary = run_batch(tmp_path / "subs", "a1", tmp_path / "out", jobs=2, seed=1,
                        reference=str(reference), progress=False, log=lambda message: None)
    assert summary["not_graded"] == ["ann", "ben"] and summary["count"] == 2
    for student in ("ann", "ben"):
        data = json.loads((tmp_path / "out" / "results" / f"{student}.json").read_text())
        assert data["score"] == 0 and "grader process died" in data["error"]


@pytest.mark.slow
def test_killed_batch_resumes_without_regrading_or_losing_any(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    first = materialize_reference("a1_backprop", subs / "student_0")
    for i in range(1, 8):
        shutil.copytree(first, subs / f"student_{i}")
    command = [sys.executable, "-m", "autograder", "grade-batch", str(subs), "-a", "a1",
               "--jobs", "1", "--output", str(out), "--seed", "5", "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list((out / "results").glob("*.json")) if (out / "results").is_dir() else True:
        assert process.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / "results").glob("*.json")}
    assert 1 <= len(done) < 8, "the kill did not land in the middle of the batch"

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(done)} already graded" in rerun.stderr
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / "results").glob("*.json")}
    assert set(after) == {f"student_{i}.json" for i in range(8)}
    assert all(after[name] == stamp for name, stamp in done.items()), "finished work was regraded"
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["count"], summary["resumed"], summary["graded_now"]) == (8, len(done), 8 - len(done))
    with open(out / "grades.csv", newline="") as handle:
        assert [float(r["score"]) for r in csv.DictReader(handle)] == [load_rubric("a1").max_score] * 8


# -- the command line -----------------------------------------------------------------------
@pytest.mark.parametrize("arguments,words", [
    (["MISSING", "-a", "a1", "-o", "OUT"], "does not exist"),
    (["SUBS", "-a", "a9", "-o", "OUT"], "unknown assignment"),
    (["SUBS", "-a", "a1", "-o", "OUT", "--jobs", "0"], "--jobs"),
    (["SUBS", "-a", "a1", "-o", "OUT", "--format", "pdf"], "unknown format"),
])
def test_bad_command_lines_get_one_line(tmp_path, capsys, arguments, words):
    from autograder.cli import main

    (tmp_path / "subs").mkdir()
    paths = {"MISSING": str(tmp_path / "missing"), "SUBS": str(tmp_path / "subs"), "OUT": str(tmp_path / "out")}
    assert main(["grade-batch", *(paths.get(a, a) for a in arguments)]) == 2
    error = capsys.readouterr().err.strip()
    assert words in error and len(error.splitlines()) == 1 and "Traceback" not in error
