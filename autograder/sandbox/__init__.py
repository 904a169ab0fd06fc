"""Runs student code in a separate, limited worker process.

The grader talks to the worker through :class:`Sandbox`; only plain arrays,
numbers, strings and containers of them cross the boundary (see protocol.py).
"""

from autograder.sandbox.client import Call, Outcome, Ref, Sandbox

__all__ = ["Call", "Outcome", "Ref", "Sandbox"]
