"""Asking the worker for an a5 task's report, and running the reference in the same situation.

The tasks live in ``autograder/sandbox/tasks/torch_a5.py``; a report is the
dict a task returns, which the checks read as the student's claim.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from autograder.checks.base import Check, CheckFailed, Context
from autograder.sandbox.client import Call, Outcome

TASK_MODULE = "autograder.sandbox.tasks.torch_a5"


def _request(ctx: Context, check: Check, task: str, args: tuple, kwargs: dict) -> Outcome:
    call = Call(f"{TASK_MODULE}:{task}", args, kwargs, kind="task")
    return ctx.sandbox.run([call], timeout=check.timeout)[0]


def _report_of(outcome: Outcome, what: str) -> dict:
    if not outcome.ok:
        error = outcome.error if outcome.status == "error" else f"{outcome.status}: {outcome.error}"
        raise CheckFailed(f"{what}: {error}")
    if not isinstance(outcome.value, dict):
        raise CheckFailed(f"{what}: the worker sent back something malformed")
    return outcome.value


def task_report(ctx: Context, check: Check, task: str, *args, what: str, **kwargs) -> dict:
    """The report of ``task(*args, **kwargs)`` run in the worker; CheckFailed("what: error")
    if the call failed or returned no dict."""
    return _report_of(_request(ctx, check, task, args, kwargs), what)


def shared_task_report(ctx: Context, check: Check, key: str, task: str, *args, what: str, **kwargs) -> dict:
    """task_report, run once per grade for ``key`` and shared by the checks that read it
    (a failure too, which each of them reports)."""
    outcome = ctx.once(("a5", key), lambda: _request(ctx, check, task, args, kwargs))
    return _report_of(outcome, what)


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Reference computations on one thread, like the worker's."""
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


def on_one_thread(run: Callable[..., Any], *args, **kwargs) -> Any:
    """``run(*args, **kwargs)`` on one thread (a situation built with the reference's function)."""
    with one_thread():
        return run(*args, **kwargs)


def fmt(values) -> str:
    """'(0.1235, 0.4000, 0.9000)' for a few numbers."""
    return "(" + ", ".join(f"{v:.4f}" for v in values) + ")"
