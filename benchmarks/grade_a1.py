"""Wall time of grading one a1 submission, worker start included.

Target: under 2 s on a 2-core machine. Prints the time of each run (a fresh
`autograder grade` process, as an instructor or CI would start it) and of the
grade() call alone, for the reference and a buggy submission.

    python benchmarks/grade_a1.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.examples import bugs, materialize, materialize_reference
from autograder.grading import grade
from autograder.rubrics import load_rubric
from autograder.sandbox.isolation import DESCRIPTIONS, probe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rubric = load_rubric("a1")
    print(f"isolation: {DESCRIPTIONS[probe()]}")
    with tempfile.TemporaryDirectory() as tmp:
        submissions = {"reference": materialize_reference("a1_backprop", Path(tmp) / "ref"),
                       "buggy": materialize("a1_backprop", bugs("a1")[0], Path(tmp) / "bug")}
        for label, path in submissions.items():
            in_process = []
            for _ in range(args.runs):
                started = time.perf_counter()
                grade(rubric, path, seed=0)
                in_process.append(time.perf_counter() - started)
            command = []
            for _ in range(args.runs):
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "-a", "a1",
                                "--seed", "0", "--output", str(Path(tmp) / "report.txt")], check=True)
                command.append(time.perf_counter() - started)
            print(f"{label:9s} grade() median {statistics.median(in_process):.2f} s "
                  f"(min {min(in_process):.2f}); `autograder grade` median "
                  f"{statistics.median(command):.2f} s (min {min(command):.2f}) over {args.runs} runs")


if __name__ == "__main__":
    main()
