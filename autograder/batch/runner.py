"""Grading a directory of submissions in parallel, resumable after a kill.

Each submission is graded in a pool process (see job.py) with one seed for
the whole batch, and its record is written atomically as soon as it is done.
A rerun keeps every record that is still current (same contents, seed,
assignment and checks) and grades only the rest.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from urllib.parse import quote

from tqdm import tqdm

from autograder.batch.job import Job, failed_report, grade_job, init_pool_process
from autograder.batch.store import (RESULTS, OutputDir, record, report_from_record, write_atomic,
                                    write_json)
from autograder.batch.submissions import Submission, content_hash, discover
from autograder.batch.summary import grades_csv, summarise
from autograder.report.dashboard import render_dashboard

EXTRA_SUFFIXES = {"text": ".txt", "gradescope": ".gradescope.json", "html": ".html",
                  "junit": ".junit.xml", "markdown": ".md"}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_batch(submissions_dir: str | Path, assignment: str, output: str | Path, *, jobs: int = 1,
              seed: int | None = None, reference: str | None = None, formats: tuple[str, ...] = (),
              progress: bool | None = None, data_root: str | None = None,
              options: dict | None = None, log: Callable[[str], None] = _log) -> dict:
    """Grade every submission in ``submissions_dir`` into ``output``; the summary.

    jobs: submissions graded at once; seed: the batch's seed (default: the one
    an earlier run into ``output`` used, else fresh); reference: the reference
    directory (default solutions/<id>); formats: extra per-submission report
    formats (see EXTRA_SUFFIXES); progress: show the tqdm bar (None: on a TTY);
    data_root: the datasets' directory (a5, a6); options: the trained-model
    options of grade() (a6: retrain, time_budget_s, floor, target, device).
    A record graded with another data root or other options is graded again.
    Raises UnknownAssignment, ReferenceMissing, BatchInputError or BatchBusy
    before grading anything when the batch cannot start.
    """
    from autograder.grading import fresh_seed
    from autograder.reference import SOLUTIONS, Reference
    from autograder.rubrics import load_rubric

    started = time.perf_counter()
    rubric = load_rubric(assignment)
    Reference(Path(reference) if reference else SOLUTIONS / rubric.id, rubric.modules)
    checks = [check.name for check in rubric.checks]
    submissions = discover(submissions_dir, exclude=(Path(output),))
    settings = {"data_root": str(Path(data_root).resolve()) if data_root else None,
                "options": dict(sorted((options or {}).items()))}
    with OutputDir(output) as out:
        seed = out.seed(rubric.id, seed, fresh_seed)
        records: dict[str, dict] = {}
        todo: list[tuple[Submission, str]] = []
        for submission in submissions:
            digest = _hash_or_reason(submission)
            saved = out.finished(submission.student, rubric.id, seed, digest, checks, settings)
            if saved is None:
                todo.append((submission, digest))
            else:
                records[submission.student] = saved
        resumed = len(records)
        log(f"{len(submissions)} submissions: {resumed} already graded (kept), "
            f"{len(todo)} to grade with {jobs} job(s), seed {seed}")
        with tqdm(total=len(submissions), initial=resumed, unit="submission", desc=rubric.id,
                  disable=None if progress is None else not progress) as bar:
            for submission, digest, report, error in _grade_all(todo, rubric.id, seed, reference, jobs,
                                                                settings):
                data = record(report, submission.student, digest, error, settings)
                write_json(out.result_path(submission.student), data)
                _write_extras(out, data, formats, overwrite=True)
                records[submission.student] = data
                bar.update()
        for data in records.values():
            _write_extras(out, data, formats, overwrite=False)
        ordered = [records[s.student] for s in submissions]
        write_atomic(out.path / "grades.csv", grades_csv(ordered, checks))
        summary = summarise(ordered, checks, assignment=rubric.id, max_score=rubric.max_score,
                            seed=seed, graded=len(todo), resumed=resumed,
                            seconds=time.perf_counter() - started)
        write_json(out.path / "summary.json", summary)
        write_atomic(out.path / "dashboard.html",
                     render_dashboard(ordered, [_link(data["student"], formats) for data in ordered]))
    return summary


def _link(student: str, formats: tuple[str, ...]) -> str:
    """The dashboard's link to a student's report: HTML if written, else text, else JSON."""
    fmt = next((f for f in ("html", "text") if f in formats), None)
    return quote(f"{RESULTS}/{student}{EXTRA_SUFFIXES[fmt] if fmt else '.json'}")


def _hash_or_reason(submission: Submission) -> str:
    """The submission's content hash; an unreadable one gets a value no record matches."""
    try:
        return content_hash(submission)
    except OSError as exc:
        return f"unreadable: {exc}"


def _grade_all(todo: list[tuple[Submission, str]], assignment: str, seed: int,
               reference: str | None, jobs: int, settings: dict) -> Iterator[tuple]:
    """Yield (submission, hash, report, error) as pool processes finish them.

    A pool process that dies (not the student's code, which runs in its own
    sandbox worker, but the grader itself, e.g. out of memory) breaks the
    pool: the unfinished submissions get one more try in a fresh pool, then
    a report saying the grader died.
    """
    pending = {submission.student: (submission, digest) for submission, digest in todo}

    def job(student: str, submission: Submission) -> Job:
        return Job(student, str(submission.path), assignment, seed, reference, settings["data_root"],
                   settings["options"])

    for last_try in (False, True):
        if not pending:
            return
        pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(pending))),
                                   mp_context=multiprocessing.get_context("spawn"),
                                   initializer=init_pool_process, initargs=(os.getpid(),))
        try:
            futures = {pool.submit(grade_job, job(student, submission)): student
                       for student, (submission, _) in pending.items()}
            for future in as_completed(futures):
                student = futures[future]
                try:
                    report, error = future.result()
                except BrokenProcessPool:
                    if not last_try:
                        continue
                    error = "the grader process died while grading it"
                    report = failed_report(assignment, job(student, pending[student][0]), error)
                submission, digest = pending.pop(student)
                yield submission, digest, report, error
        except BaseException:  # Ctrl-C or a failed write: stop the graders now, not after their jobs
            for process in list(pool._processes.values()):  # no public API before Python 3.14
                process.kill()
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def _write_extras(out: OutputDir, data: dict, formats: tuple[str, ...], overwrite: bool) -> None:
    """The record's report in each extra format, beside its JSON record."""
    from autograder.report.formats import render

    for fmt in formats:
        path = out.result_path(data["student"], EXTRA_SUFFIXES.get(fmt, f".{fmt}"))
        if overwrite or not path.exists():
            write_atomic(path, render(report_from_record(data), fmt))
