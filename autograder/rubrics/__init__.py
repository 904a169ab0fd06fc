"""One declarative module per assignment; this registry finds them by id."""

from __future__ import annotations

import importlib

from autograder.rubrics.base import Rubric

ASSIGNMENTS = ["a1_backprop", "a2_losses", "a3_optimizers", "a4_convolutions",
               "a5_cifar10", "a6_cifar100"]


class UnknownAssignment(Exception):
    pass


def resolve(name: str) -> str:
    """'a1', 'a1_backprop' -> 'a1_backprop'."""
    for assignment in ASSIGNMENTS:
        if name in (assignment, assignment.split("_")[0]):
            return assignment
    raise UnknownAssignment(f"unknown assignment {name!r}; choose from {', '.join(ASSIGNMENTS)}")


def available() -> list[str]:
    """The assignments whose rubric module exists."""
    found = []
    for assignment in ASSIGNMENTS:
        try:
            importlib.import_module(f"autograder.rubrics.{assignment}")
        except ModuleNotFoundError as exc:
            if exc.name != f"autograder.rubrics.{assignment}":
                raise
            continue
        found.append(assignment)
    return found


def load_rubric(name: str) -> Rubric:
    assignment = resolve(name)
    try:
        module = importlib.import_module(f"autograder.rubrics.{assignment}")
    except ModuleNotFoundError as exc:
        if exc.name == f"autograder.rubrics.{assignment}":
            raise UnknownAssignment(f"assignment {assignment} has no rubric yet") from None
        raise
    return module.RUBRIC
