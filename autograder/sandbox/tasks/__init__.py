"""Trusted helper routines that run inside the worker.

A check that needs more than calling one student function (building a torch
model, training it, loading a checkpoint) names a task here. Tasks import the
student's modules through :func:`autograder.sandbox.worker.student_module` and
return plain arrays and numbers; they never see the reference solution.
"""
