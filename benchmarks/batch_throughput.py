"""Throughput of `autograder grade-batch` on a1: reference copies and buggy copies.

    python benchmarks/batch_throughput.py [--copies 100] [--jobs 2] [--bug mse_sign_error]

Writes COPIES directories holding the a1 reference and COPIES holding one
bundled bug, then times the CLI end to end (process start, pool start,
grading, grades.csv and summary) on each set in a fresh output directory,
then once more on the reference set to time a resume that has nothing left
to do. The target: 100 a1 submissions in under 60 s with --jobs 2 on 2 cores.

Besides wall time it reports the CPU seconds the batch used (its process,
pool processes and sandbox workers) and the load average before each run:
on a shared machine the wall time depends on the load, and CPU / jobs is
what the batch would take on idle cores.
"""

import argparse
import json
import os
import resource
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


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_batch(submissions: Path, output: Path, jobs: int) -> tuple[float, float, dict]:
    """Wall seconds and CPU seconds of one `autograder grade-batch` run, and its summary.json."""
    command = [sys.executable, "-m", "autograder", "grade-batch", str(submissions), "-a", "a1",
               "--jobs", str(jobs), "--output", str(output), "--seed", "7", "--no-progress"]
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    return seconds, children_cpu() - cpu, json.loads((output / "summary.json").read_text())


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
        print(f"grade-batch on a1, {args.copies} submissions per set, --jobs {args.jobs}, "
              f"{os.cpu_count()} CPUs")
        print(f"{'set':<22} {'load':>5} {'wall s':>7} {'per sub':>8} {'CPU s':>7} {'CPU/sub':>8} "
              f"{'CPU/jobs':>8} {'mean score':>11}")
        rows = []
        for label, folder in sets.items():
            load = os.getloadavg()[0]
            seconds, cpu, summary = timed_batch(folder, tmp / f"out-{folder.name}", args.jobs)
            rows.append((seconds, cpu))
            print(f"{label:<22} {load:5.1f} {seconds:7.1f} {seconds / args.copies:8.3f} {cpu:7.1f} "
                  f"{cpu / args.copies:8.3f} {cpu / args.jobs:8.1f} "
                  f"{summary['mean']:>5g} / {summary['max_score']:g}")
        seconds, _, summary = timed_batch(sets["reference"], tmp / "out-reference", args.jobs)
        print(f"{'resume, nothing to do':<22} {'':>5} {seconds:7.1f}   (kept {summary['resumed']})")
        wall = max(s for s, _ in rows) * 100 / args.copies
        idle = max(c for _, c in rows) * 100 / args.copies / min(args.jobs, os.cpu_count() or 1)
        for what, value in (("measured wall time", wall), ("CPU time / jobs (idle cores)", idle)):
            verdict = "meets" if value < TARGET_S else "MISSES"
            print(f"100 submissions, {what}: {value:.1f} s ({verdict} the {TARGET_S:g} s target)")

if __name__ == "__main__":
    main()
