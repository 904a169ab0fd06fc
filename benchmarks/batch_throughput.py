"""Throughput of `autograder grade-batch` on a1: reference copies and buggy copies.

    python benchmarks/batch_throughput.py [--copies 100] [--jobs 2] [--bug mse_sign_error]

Writes COPIES directories holding the a1 reference and COPIES holding one
bundled bug, then times the CLI end to end (process start, pool start,
grading, grades.csv and summary) on each set in a fresh output directory,
then once more on the reference set to time a resume that has nothing left
to do. The target: 100 a1 submissions in under 60 s with --jobs 2 on 2 cores.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.examples import bugs, materialize, materialize_reference

TARGET_S = 60.0


def make_set(root: Path, copies: int, bug=None) -> Path:
    """``copies`` submission directories in ``root``: the reference or the reference with ``bug``."""
    first = root / "student_000"
    if bug is None:
        materialize_reference("a1_backprop", first)
    else:
        materialize("a1_backprop", bug, first)
    for i in range(1, copies):
        target = root / f"student_{i:03d}"
        target.mkdir(parents=True)
        for path in first.iterdir():
            (target / path.name).write_bytes(path.read_bytes())
    return root


def timed_batch(submissions: Path, output: Path, jobs: int) -> tuple[float, dict]:
    """Seconds of one `autograder grade-batch` run and its summary.json."""
    command = [sys.executable, "-m", "autograder", "grade-batch", str(submissions), "-a", "a1",
               "--jobs", str(jobs), "--output", str(output), "--seed", "7", "--no-progress"]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    return seconds, json.loads((output / "summary.json").read_text())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--bug", default="mse_sign_error", help="the bundled a1 bug of the buggy set")
    args = parser.parse_args(argv)
    bug = next((b for b in bugs("a1_backprop") if b.name == args.bug), None)
    if bug is None:
        parser.error(f"no a1 bug named {args.bug}")
    with tempfile.TemporaryDirectory(prefix="ag-bench-batch-") as tmp:
        tmp = Path(tmp)
        sets = {"reference": make_set(tmp / "reference", args.copies),
                f"bug {bug.name}": make_set(tmp / "buggy", args.copies, bug)}
        print(f"grade-batch on a1, {args.copies} submissions per set, --jobs {args.jobs}")
        print(f"{'set':<24} {'seconds':>8} {'per sub':>8} {'subs/s':>7} {'mean score':>11}")
        rows = []
        for label, folder in sets.items():
            seconds, summary = timed_batch(folder, tmp / f"out-{folder.name}", args.jobs)
            rows.append((label, seconds))
            print(f"{label:<24} {seconds:8.1f} {seconds / args.copies:8.3f} "
                  f"{args.copies / seconds:7.2f} {summary['mean']:>5g} / {summary['max_score']:g}")
        seconds, summary = timed_batch(sets["reference"], tmp / "out-reference", args.jobs)
        print(f"{'resume, nothing to do':<24} {seconds:8.1f}   (kept {summary['resumed']})")
        worst = max(s for _, s in rows) * 100 / args.copies
        verdict = "meets" if worst < TARGET_S else "MISSES"
        print(f"slowest set scaled to 100 submissions: {worst:.1f} s ({verdict} the {TARGET_S:g} s target)")


if __name__ == "__main__":
    main()
