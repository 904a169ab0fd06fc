"""Grading one submission of a batch; runs in a pool process.

The pool processes are plain grader processes: each grade still runs the
student's code in its own sandboxed worker (autograder.sandbox). A zip is
unpacked into a private temporary directory first and removed afterwards.
Whatever goes wrong with one submission becomes that submission's report
(every check in error, with the reason), so the batch carries on.
"""

from __future__ import annotations

import ctypes
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

from autograder.batch.unpack import UnsafeArchive, extract_zip, submission_root
from autograder.report.model import GradeReport
from autograder.sandbox.scratch import ScratchDir
from autograder.sandbox.submission_tree import BadSubmission, check_tree

PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Job:
    """What a pool process needs to grade one submission (all picklable)."""

    student: str
    path: str
    assignment: str
    seed: int
    reference: str | None = None
    data_root: str | None = None
    options: dict = field(default_factory=dict)  # the trained-model options, as grade() takes them


def init_pool_process(batch_pid: int) -> None:
    """Pool initializer: die with the batch process ``batch_pid`` (so a killed
    batch leaves no grader behind) and leave Ctrl-C to the batch process."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != batch_pid:  # it died before the line above took effect
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def failed_report(assignment: str, job: Job, reason: str) -> GradeReport:
    """A report that gives every check 0 points because the submission could not be graded."""
    from autograder.grading import ungradable
    from autograder.rubrics import load_rubric

    return ungradable(load_rubric(assignment), job.path, job.seed, reason)


def grade_job(job: Job) -> tuple[GradeReport, str | None]:
    """Grade one submission (directory or zip) with the batch's seed: the
    report and, when it could not be graded at all, the reason why."""
    from autograder.grading import grade
    from autograder.rubrics import load_rubric

    rubric = load_rubric(job.assignment)
    source = Path(job.path)
    scratch = ScratchDir("ag-batch-") if source.suffix.lower() == ".zip" else None
    try:
        if scratch:
            extract_zip(source, scratch.path)
        root = submission_root(scratch.path if scratch else source)
        check_tree(root)
        report = grade(rubric, root, seed=job.seed, reference_dir=job.reference,
                       data_root=job.data_root, options=job.options)
    except (UnsafeArchive, BadSubmission) as exc:
        return failed_report(rubric.id, job, str(exc)), str(exc)
    except Exception as exc:  # noqa: BLE001 - one submission must never stop the batch
        reason = f"internal grader error ({type(exc).__name__}: {exc})"
        return failed_report(rubric.id, job, reason), reason
    finally:
        if scratch:
            scratch.remove()
    report.submission = job.path
    return report, None
