"""grade-batch against what one student can do to the others: special files and
unusable names in the submissions directory, a grader process that dies, and a
memory bomb through the reply pipe under a memory ceiling. Every other student
is graded, grades.csv is written, and a resume keeps nothing wrong."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from autograder.batch.runner import run_batch
from autograder.examples import materialize_reference
from autograder.grading import grade
from autograder.report.model import Status
from autograder.rubrics import load_rubric
from autograder.sandbox.submission_tree import BadSubmission, TreeLimits, check_tree

HOSTILE = Path(__file__).parent / "hostile"
QUIET = {"progress": False, "log": lambda message: None}


def grade_batch(subs: Path, out: Path, *options: str, timeout: float) -> subprocess.CompletedProcess:
    """`autograder grade-batch` for a1 in a process of its own."""
    command = [sys.executable, "-m", "autograder", "grade-batch", str(subs), "-a", "a1", "--output", str(out),
               "--no-progress", *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def records(out: Path) -> dict[str, dict]:
    return {data["student"]: data for data in
            (json.loads(path.read_text()) for path in (out / "results").glob("*.json"))}


def csv_scores(out: Path) -> dict[str, float]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return {row["student"]: float(row["score"]) for row in csv.DictReader(handle)}


def with_fifo(path: Path) -> Path:
    materialize_reference("a1_backprop", path)
    os.mkfifo(path / "notes.pipe")
    return path


# -- special files and names --------------------------------------------------------------
def test_the_tree_check_names_what_it_refuses(tmp_path):
    root = materialize_reference("a1_backprop", tmp_path / "sub")
    check_tree(root)
    (root / "sub").mkdir()
    os.mkfifo(root / "sub" / "p")
    with pytest.raises(BadSubmission, match=r"named pipe \(FIFO\) \(sub/p\)"):
        check_tree(root)
    os.unlink(root / "sub" / "p")
    try:
        os.mknod(root / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))  # needs CAP_MKNOD
    except PermissionError:
        pass
    else:
        with pytest.raises(BadSubmission, match=r"a device file \(null\)"):
            check_tree(root)
        os.unlink(root / "null")
    (root / "link.py").symlink_to("/etc/passwd")
    with pytest.raises(BadSubmission, match=r"symbolic link \(link.py\)"):
        check_tree(root)
    os.unlink(root / "link.py")
    (root / os.fsdecode(b"caf\xe9.py")).write_text("")
    with pytest.raises(BadSubmission, match=r"not valid UTF-8 \(caf\\xe9.py\)"):
        check_tree(root)
    os.unlink(root / os.fsdecode(b"caf\xe9.py"))
    with pytest.raises(BadSubmission, match="more than 2 files"):
        check_tree(root, TreeLimits(files=2))
    (root / "big.bin").write_bytes(bytes(3 << 20))
    with pytest.raises(BadSubmission, match="more than 2 MB"):
        check_tree(root, TreeLimits(total_mb=2))
    with pytest.raises(BadSubmission, match="more than 0 deep"):
        check_tree(root, TreeLimits(depth=0))


def test_grade_refuses_a_fifo_with_one_clear_message_per_check(tmp_path):
    """It made every check an internal grader error."""
    report = grade(load_rubric("a1"), with_fifo(tmp_path / "sub"), seed=1)
    messages = {result.message for result in report.results}
    assert messages == {"the submission could not be graded: the submission holds a named pipe (FIFO) "
                        "(notes.pipe): submit regular files only"}
    assert {result.status for result in report.results} == {Status.ERROR}


def test_special_files_and_unusable_names_cost_only_their_own_student(tmp_path):
    """A FIFO hung grade-batch before anyone was graded; a 249-character or a
    non-UTF-8 folder name crashed it before grades.csv was written."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    materialize_reference("a1_backprop", subs / "alice")
    with_fifo(subs / "fifo_student")
    sock = materialize_reference("a1_backprop", subs / "socket_student")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(sock / "s.sock"))
    listener.close()
    materialize_reference("a1_backprop", subs / ("x" * 249))
    materialize_reference("a1_backprop", subs / os.fsdecode(b"caf\xe9"))
    done = grade_batch(subs, out, "--jobs", "2", "--seed", "3", timeout=240)
    assert done.returncode == 0, done.stderr
    data = records(out)
    long_name = next(name for name in data if name.startswith("x" * 60 + "-"))
    not_utf8 = next(name for name in data if name.startswith("caf\\xe9-"))
    assert data["alice"]["score"] == load_rubric("a1").max_score
    for student, words in (("fifo_student", "named pipe (FIFO) (notes.pipe)"),
                           ("socket_student", "a socket (s.sock)"),
                           (long_name, "name is 249 bytes long"),
                           (not_utf8, "name is not valid UTF-8")):
        assert data[student]["score"] == 0 and words in data[student]["error"], data[student]["error"]
        refused = [line for line in done.stderr.splitlines() if line.startswith(f"{student}: not graded")]
        assert len(refused) == 1, done.stderr
    assert set(csv_scores(out)) == set(data) and len(data) == 5
    summary = json.loads((out / "summary.json").read_text())
    assert sorted(summary["not_graded"]) == sorted(set(data) - {"alice"})


# -- a grader process that dies -------------------------------------------------------------
KILLS_BOBS_GRADER = '''import os as _os
import sys as _sys


def _student_being_graded():
    frame = _sys._getframe()
    while frame is not None:
        job = frame.f_locals.get("job")
        if hasattr(job, "student"):
            return job.student
        frame = frame.f_back
    return None


if _student_being_graded() == "a_bob":
    _os._exit(3)
'''


@pytest.mark.slow
def test_a_grader_process_that_dies_costs_only_the_student_it_was_grading(tmp_path):
    """A reference that kills the pool process grading a_bob: the unfinished
    submissions are retried one at a time, so a_bob alone is recorded as not
    graded, and a resume with a sound reference grades him instead of keeping that."""
    reference = materialize_reference("a1_backprop", tmp_path / "reference")
    layers = reference / "layers.py"
    layers.write_text(KILLS_BOBS_GRADER + layers.read_text())
    students = ["a_bob", "b_cat", "c_dan", "d_eve", "e_fay", "f_gus"]
    for student in students:
        materialize_reference("a1_backprop", tmp_path / "subs" / student)
    summary = run_batch(tmp_path / "subs", "a1", tmp_path / "out", jobs=2, seed=2, reference=str(reference),
                        **QUIET)
    assert summary["not_graded"] == ["a_bob"]
    data = records(tmp_path / "out")
    assert "grader process died" in data["a_bob"]["error"]
    full = load_rubric("a1").max_score
    assert all(data[student]["score"] == full for student in students[1:])

    again = run_batch(tmp_path / "subs", "a1", tmp_path / "out", jobs=2, **QUIET)
    assert (again["graded_now"], again["resumed"], again["not_graded"]) == (1, 5, [])
    assert records(tmp_path / "out")["a_bob"]["score"] == full


# -- a memory bomb among twenty classmates ------------------------------------------------------
class MemoryCeiling(threading.Thread):
    """Kills any process of the tree under ``root`` whose resident memory passes
    ``limit`` bytes, as the kernel's OOM killer does under a memory limit."""

    def __init__(self, root: int, limit: int):
        super().__init__(daemon=True)
        self.root, self.limit, self.killed, self.done = root, limit, [], threading.Event()

    def _tree(self) -> list[int]:
        parents: dict[int, list[int]] = {}
        for name in os.listdir("/proc"):
            try:
                fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
                parents.setdefault(int(fields[1]), []).append(int(name))
            except (OSError, ValueError, IndexError):
                continue
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo += parents.get(pid, [])
        return tree

    def run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self.done.wait(0.02):
            for pid in self._tree():
                try:
                    resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
                    if resident > self.limit:
                        os.kill(pid, signal.SIGKILL)
                        self.killed.append((pid, resident))
                except (OSError, ValueError, IndexError):
                    continue


@pytest.mark.slow
def test_one_hostile_student_among_twenty_costs_no_classmate_anything(tmp_path):
    """Under a 1 GiB ceiling per process, a student whose relu_forward writes a
    memory bomb into the reply pipe used to take the grader process down with the
    classmates it was grading (0/45, "the grader process died"), and a resume kept
    those records. Now every classmate gets full marks and a resume keeps nothing wrong."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    first = materialize_reference("a1_backprop", subs / "student_00")
    for i in range(1, 20):
        shutil.copytree(first, subs / f"student_{i:02d}")
    hostile = materialize_reference("a1_backprop", subs / "student_10_hostile")
    shutil.copy(HOSTILE / "reply_pipe_bomb.py", hostile / "forger.py")
    layers = hostile / "layers.py"
    layers.write_text(layers.read_text() + "\n\nfrom forger import bomb as _bomb\n"
                      "_relu_forward = relu_forward\n\n\n"
                      "def relu_forward(x):\n    _bomb(x)\n    return _relu_forward(x)\n")
    full = load_rubric("a1").max_score
    command = [sys.executable, "-m", "autograder", "grade-batch", str(subs), "-a", "a1", "--output", str(out),
               "--no-progress", "--jobs", "2", "--seed", "9"]
    batch = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ceiling = MemoryCeiling(batch.pid, 1 << 30)
    ceiling.start()
    try:
        _, stderr = batch.communicate(timeout=600)
    finally:
        ceiling.done.set()
        batch.kill()
    assert batch.returncode == 0, stderr
    scores = csv_scores(out)
    assert len(scores) == 21
    assert {student: score for student, score in scores.items() if score != full} == \
        {"student_10_hostile": scores["student_10_hostile"]} and scores["student_10_hostile"] < full
    assert ceiling.killed == [], f"a grader process passed the memory ceiling: {ceiling.killed}"
    relu = next(r for r in records(out)["student_10_hostile"]["results"] if r["name"] == "relu_forward")
    assert "unreadable reply" in relu["message"]

    # A record an older grader left wrong: never kept by a resume.
    planted = out / "results" / "student_03.json"
    data = json.loads(planted.read_text())
    data.update(error="the grader process died while grading it", score=0.0)
    planted.write_text(json.dumps(data))
    resumed = grade_batch(subs, out, "--jobs", "2", timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "20 already graded (kept), 1 to grade" in resumed.stderr
    assert all(record["error"] is None for record in records(out).values())
    assert [s for s, score in csv_scores(out).items() if score != full] == ["student_10_hostile"]
