"""What the sandbox's isolation costs per submission, level by level.

    python benchmarks/isolation_cost.py [--repeats 10]

For each isolation level (none: resource limits only; network: new user and
network namespaces; full: namespaces, hidden files, own uid, root only) a
fresh process forced to that level (AUTOGRADER_ISOLATION) times, after one
warm-up:
  - worker start: starting a sandbox worker, importing the a1 modules and
    making one call, then stopping it;
  - grade: a whole a1 grade of the reference (the worker starts once per grade
    and again after a timeout or crash).
The extra cost of a level is its time minus the time of "none". Wall times
are medians; CPU seconds (grader and worker together) are means, and are the
better guide on a loaded machine.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LEVELS = ("none", "network", "full")


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


def measure(repeats: int) -> dict:
    """Runs in the child: wall (median) and CPU (mean) seconds of a worker start and of a grade."""
    import numpy as np

    from autograder.examples import materialize_reference
    from autograder.grading import grade
    from autograder.rubrics import load_rubric
    from autograder.sandbox.client import Sandbox

    rubric = load_rubric("a1")
    with tempfile.TemporaryDirectory() as tmp:
        submission = materialize_reference("a1_backprop", Path(tmp) / "sub")
        x = np.ones((2, 3))

        def start_worker():
            with Sandbox(submission, rubric.modules) as sandbox:
                assert sandbox.call("layers:relu_forward", x).ok
                return sandbox.isolation

        def one_grade():
            return grade(rubric, submission, seed=1).score

        level = start_worker()
        one_grade()
        times = {"start": [], "grade": [], "start_cpu": [], "grade_cpu": []}
        for _ in range(repeats):
            for name, run in (("start", start_worker), ("grade", one_grade)):
                began, cpu = time.perf_counter(), cpu_seconds()
                run()
                times[name].append(time.perf_counter() - began)
                times[name + "_cpu"].append(cpu_seconds() - cpu)
    return {"level": level, **{name: (statistics.mean if name.endswith("cpu") else statistics.median)(values)
                               for name, values in times.items()}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.repeats)))
        return
    print(f"a1 reference, {args.repeats} repeats; seconds, and the extra over 'none' in brackets; "
          f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'level':<8} {'start wall':>16} {'start CPU':>16} {'grade wall':>16} {'grade CPU':>16}")
    base = None
    for level in LEVELS:
        env = {**os.environ, "AUTOGRADER_ISOLATION": level}
        done = subprocess.run([sys.executable, __file__, "--child", "--repeats", str(args.repeats)],
                              env=env, capture_output=True, text=True, check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        if row["level"] != level:
            print(f"{level:<8} not available here (the sandbox fell back to {row['level']})")
            continue
        base = base or row
        print(f"{level:<8}" + "".join(f" {row[k]:7.3f} ({row[k] - base[k]:+6.3f})"
                                      for k in ("start", "start_cpu", "grade", "grade_cpu")))

if __name__ == "__main__":
    main()
