"""Batch grading: every submission of a directory, in parallel, resumable.

``run_batch`` (runner.py) is the entry point; ``autograder grade-batch`` is its CLI.
Modules: submissions (finding and fingerprinting submissions), unpack (safe
zip extraction), job (one submission, in a pool process), store (the output
directory, atomic writes, resume), summary (grades.csv, summary.json, table).
"""
