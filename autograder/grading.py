"""How a grade flows: rubric -> sandboxed submission -> checks -> report."""

from __future__ import annotations

import secrets
import threading
import time
from pathlib import Path

from autograder.checks.base import Context, NoExpectedValue
from autograder.reference import SOLUTIONS, Reference
from autograder.report.model import CheckResult, GradeReport, Status
from autograder.rubrics.base import Rubric
from autograder.sandbox import protocol
from autograder.sandbox.client import Sandbox
from autograder.sandbox.isolation import DESCRIPTIONS
from autograder.sandbox.submission_tree import BadSubmission, check_tree

PUBLIC_SEED = 1234
EXPECTED_DIR = Path(__file__).resolve().parent / "rubrics" / "expected"


def expected_path(rubric: Rubric) -> Path:
    return EXPECTED_DIR / f"{rubric.id}.npz"


def load_stored(rubric: Rubric) -> dict | None:
    """The stored expected values for public checks, or None if there are none."""
    path = expected_path(rubric)
    return protocol.decode(path.read_bytes()) if path.exists() else None


def fresh_seed() -> int:
    return secrets.randbelow(2**31)


def grade(rubric: Rubric, submission: str | Path, *, reference_dir: str | Path | None = None,
          seed: int | None = None, public: bool = False, recording: dict | None = None,
          only: list[str] | None = None, data_root: str | None = None,
          options: dict | None = None, timeout: float | None = None) -> GradeReport:
    """Grade one submission directory.

    public: run without the reference (the student's `autograder check`):
        seed fixed to PUBLIC_SEED, expected values from the stored file,
        instructor-only checks skipped.
    recording: a dict that collects the reference's expected values.
    only: names of the checks to run (default all).
    timeout: seconds per sandbox request, overriding the rubric's default.
    """
    started = time.perf_counter()
    if public:
        seed, reference, stored = PUBLIC_SEED, None, load_stored(rubric)
    else:
        seed = fresh_seed() if seed is None else seed
        reference = Reference(Path(reference_dir) if reference_dir else SOLUTIONS / rubric.id,
                              rubric.modules)
        stored = None
    checks = [c for c in rubric.checks if only is None or c.name in only]
    try:
        if Path(submission).is_dir():
            check_tree(submission)
    except BadSubmission as exc:
        return ungradable(rubric, submission, seed, str(exc), checks, "check" if public else "grade")
    threading.Thread(target=_prepare, args=(checks,), daemon=True).start()
    results: list[CheckResult] = []
    with Sandbox(submission, rubric.modules, timeout=timeout or rubric.timeout,
                 limits=rubric.limits) as sandbox:
        ctx = Context(sandbox, seed, reference, stored, recording, data_root, options or {})
        for check in checks:
            result = _run_check(check, ctx, public, started, rubric.budget)
            ctx.results[check.name] = result
            results.append(result)
        notes = [f"{module}.py: {error}" if not error.startswith(module) else error
                 for module, error in sandbox.import_errors.items()]
        notes.append(f"sandbox: {DESCRIPTIONS[sandbox.isolation]}")
    return GradeReport(rubric.id, str(submission), results, seed, time.perf_counter() - started,
                       "check" if public else "grade", notes, sandbox.output("stdout"))


def ungradable(rubric: Rubric, submission: str | Path, seed: int, reason: str,
               checks: list | None = None, mode: str = "grade") -> GradeReport:
    """A report that gives every check 0 points because the submission could not be
    graded at all, each with the same one-line reason."""
    message = f"the submission could not be graded: {reason}"
    results = [CheckResult(check.name, 0.0, check.points, Status.ERROR, message)
               for check in (rubric.checks if checks is None else checks)]
    return GradeReport(rubric.id, str(submission), results, seed, 0.0, mode, [message])


def _prepare(checks) -> None:
    for check in checks:
        try:
            check.prepare()
        except Exception:  # noqa: BLE001 - the check itself will report the problem when it runs
            pass


def _run_check(check, ctx: Context, public: bool, started: float, budget: float) -> CheckResult:
    if public and not check.public:
        return CheckResult(check.name, 0.0, check.points, Status.SKIPPED,
                           "only the instructor's grader runs this check")
    if time.perf_counter() - started > budget:
        return CheckResult(check.name, 0.0, check.points, Status.TIMEOUT,
                           f"not run: the submission used up its {budget:g} s time budget")
    unmet = ctx.unmet(check.requires)
    if unmet:
        return check.blocked(unmet, _attempt(check, ctx) if ctx.worth_running(unmet) else None)
    result = _attempt(check, ctx)
    if check.needs():
        result.details.setdefault("requires", list(check.needs()))
    return result


def _attempt(check, ctx: Context) -> CheckResult:
    """Run one check; whatever goes wrong inside the grader becomes its result."""
    try:
        return check.run(ctx)
    except NoExpectedValue:
        return CheckResult(check.name, 0.0, check.points, Status.SKIPPED,
                           "no stored expected value for this check (run `autograder generate`)")
    except Exception as exc:  # noqa: BLE001 - one broken check must not stop the grade
        return CheckResult(check.name, 0.0, check.points, Status.ERROR,
                           f"internal grader error in this check ({type(exc).__name__}: {exc}); "
                           "please report it to the course staff")
