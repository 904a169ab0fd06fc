"""Machine-made mutants of the reference solutions, graded as submissions (issue 14, part 2).

cosmic-ray (``pip install cosmic-ray==8.7.0``) drives the mutation: for every
student file of an assignment it enumerates the mutants (``cosmic-ray init``),
keeps those inside the ``### BEGIN/END SOLUTION`` regions (its line filter),
drops the operators listed in EXCLUDED_OPERATORS (its operators filter), and
runs this script's ``grade`` command on each mutant it writes into a scratch
copy of the reference (``cosmic-ray exec``). A mutant is *killed* (detected)
when some check loses points, and *explained* when a losing check's message
says more than that a value differs (GENERIC below); whether the explanation
is right is not judged here (see GENERALIZATION.md).

A seeded sample keeps at most ``--per-assignment`` mutants of each assignment
(0: all) so that the run fits its budget. Survivors that cannot change any
output are listed in EQUIVALENT with the reason; every other survivor is a
grading gap.

    python tests/mutations/machine_mutants.py run [--assignments a1_backprop ...]
        [--per-assignment 200] [--workdir /tmp/machine-mutants]
    python tests/mutations/machine_mutants.py report [--workdir ...]   # the figures again

The run is niced and sequential (one core); its figures are recorded in
GENERALIZATION.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SEED = 20240607  # the grading seed of the mutation corpus, and the sampling seed
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
FILES = {
    "a1_backprop": ("layers.py", "network.py", "answers.py"),
    "a2_losses": ("losses.py", "metrics.py", "answers.py"),
    "a3_optimizers": ("optim.py", "schedules.py", "search.py"),
    "a4_convolutions": ("shapes.py", "conv.py", "answers.py"),
    "a5_cifar10": ("data.py", "model.py", "train.py"),
}
# Replacements that on float arrays only raise TypeError (bit operations, shifts),
# or are implausible and trivially caught (%, ** in place of an arithmetic operator,
# `is` in place of a value comparison, ~ and `not` on arrays). Bit operations stay
# where the code has them (the boolean masks of metrics.py).
EXCLUDED_OPERATORS = (
    r"core/ReplaceBinaryOperator_\w+_(Mod|Pow|RShift|LShift|BitXor)$",
    r"core/ReplaceBinaryOperator_(Add|Sub|Mul|Div|FloorDiv|Pow|Mod)_(BitOr|BitAnd)$",
    r"core/ReplaceUnaryOperator_\w+_(Invert|Not)$",
    r"core/ReplaceComparisonOperator_(Eq|NotEq|Lt|LtE|Gt|GtE)_(Is|IsNot)$",
)
TIMEOUT_S = 180
# A message that only says that a value differs: the check's own wording with no
# cause or place (what is left of a message after these are removed explains it).
GENERIC = (
    r"\S+'s output(\[[^\]]*\])* differs from the reference \(largest error [^)]*\)\.?",
    r"\S+ differs from the reference \(relative error [^)]*, tolerance [^)]*\)",
    r"\(your \S+ matches the reference, but the gradient disagrees with its numerical gradient[^)]*\)",
    r"\S+\([^)]*\): after step \d+ of \d+, \S+ differs from (torch\.optim\.)?[\w ]+'s \(largest error [^)]*\)\.?",
    r"\S+\(.*?\) = \S+, expected \S+?\.(?=\s|$)",
    r"\S+ = \S+ is not right\.?",
    r"\S+\([^)]*\) returned \S+, expected \S+?[;.]?(?=\s|$)",
    r"\S+: \w+(Error|Exception): .*",
)
# Surviving mutants reviewed as equivalent: (file, operator, mutated line) -> why no output can change.
_SAME_ERROR = ("a weaker guard: for a window that does not fit, sliding_window_view raises the same "
               "ValueError a line later (only its message differs)")
EQUIVALENT: dict[tuple[str, str, str], str] = {
    ('layers.py', 'ReplaceComparisonOperator_GtE_Gt',
     'out = np.where(x > 0, 1.0 / (1.0 + z), z / (1.0 + z))'):
        'at x = 0 both branches give 1 / 2 (z = 1)',
    ('network.py', 'ReplaceComparisonOperator_Lt_NotEq',
     'if l != num_layers:'):
        'l runs over 1..num_layers, so l < num_layers and l != num_layers agree',
    ('losses.py', 'ReplaceComparisonOperator_GtE_Gt',
     'return np.where(x > 0, 1.0 / (1.0 + e), e / (1.0 + e))'):
        'at x = 0 both branches give 1 / 2 (e = 1)',
    ('metrics.py', 'ReplaceBinaryOperator_Add_Mul',
     'f1 = 2.0 * precision * recall / (precision + recall) if precision * recall > 0 else 0.0'):
        'precision and recall are both 0 (tp = 0) or both > 0, so their sum and product are positive together',
    ('metrics.py', 'ReplaceBinaryOperator_BitAnd_FloorDiv',
     'fp = int(np.sum(~actual // predicted))'):
        'on bool arrays a // b is 1 only for True // True (x // False gives 0), the same counts as a & b',
    ('optim.py', 'ReplaceBinaryOperator_Add_Sub',
     'e = config["rho"] * g / (np.linalg.norm(g) - 1e-12)'):
        'changes e by a relative 2e-12 / ||g||, below every tolerance unless ||g|| is of order 1e-12',
    ('shapes.py', 'ReplaceComparisonOperator_NotEq_Lt',
     'if kind in ("conv", "maxpool") and len(shape) < 3:'):
        'shapes are (H, W, C) or (F,) after an fc layer, so len(shape) != 3 and < 3 agree',
    ('conv.py', 'ReplaceComparisonOperator_Eq_GtE',
     'scale = 0.0 if p >= 1.0 else 1.0 / (1.0 - p)'):
        'p > 1 was rejected with ValueError above, so p >= 1 means p == 1',
    ('conv.py', 'ReplaceComparisonOperator_NotEq_Lt',
     'if c < cw:'):
        'with more channels in x than in w, the matmul below raises ValueError itself (only the message differs)',
    ('conv.py', 'ReplaceComparisonOperator_NotEq_Gt',
     'if c > cw:'):
        'with fewer channels in x than in w, the matmul below raises ValueError itself (only the message differs)',
    ('conv.py', 'ReplaceComparisonOperator_GtE_Gt',
     'mask = rng.random(x.shape) > p'):
        'differs only where a uniform draw equals p exactly (probability 2^-53 per element)',
    ('conv.py', 'NumberReplacer',
     'if h + 3 * padding < kh or width + 2 * padding < kw:'):
        _SAME_ERROR,
    ('conv.py', 'NumberReplacer',
     'if h + 2 * padding < kh or width + 3 * padding < kw:'):
        _SAME_ERROR,
    ('conv.py', 'NumberReplacer',
     'dxpad = np.zeros((c, n, h + 3 * padding, width + 2 * padding))'):
        'dxpad only grows at the bottom and right; the extra zeros are never written nor read by the slice',
    ('conv.py', 'NumberReplacer',
     'if x.shape[ 3] < kernel or x.shape[3] < kernel:'):
        _SAME_ERROR,
    ('conv.py', 'NumberReplacer',
     'raise ValueError(f"a {kernel}x{kernel} window does not fit a {x.shape[ 1]}x{x.shape[3]} input")'):
        'only the text of the ValueError message changes',
    ('conv.py', 'NumberReplacer',
     'raise ValueError(f"a {kernel}x{kernel} window does not fit a {x.shape[2]}x{x.shape[ 2]} input")'):
        'only the text of the ValueError message changes',
    ('conv.py', 'NumberReplacer',
     'out = np.take_along_axis(flat, argmax[..., None], axis=-1)[..., -1]'):
        'the last axis has length 1, so index 0 and index -1 are the same entry',
    ('conv.py', 'NumberReplacer',
     'return x.copy(), (None, 2.0)'):
        'with mask None the backward returns dout.copy() and never reads the scale',
    ('conv.py', 'NumberReplacer',
     'scale = -1.0 if p == 1.0 else 1.0 / (1.0 - p)'):
        'with p = 1 every draw is < p, so the mask is all False and the scale multiplies nothing',
    ('answers.py', 'NumberReplacer',
     '{"type": "maxpool", "name": "pool3", "kernel": 4, "stride": 2},'):
        'the rounding down absorbs it: pool3 sees 30 x 30, and (30 - 4) // 2 + 1 = (30 - 3) // 2 + 1 = 14',
    ('answers.py', 'NumberReplacer',
     'ALEXNET_TABLE = layer_table(( 255, 256, 3), _ALEXNET_LAYERS)'):
        'the rounding down absorbs it: conv1 gives (255 - 7) // 2 + 1 = (256 - 7) // 2 + 1 = 125',
    ('answers.py', 'NumberReplacer',
     'ALEXNET_TABLE = layer_table((256, 255, 3), _ALEXNET_LAYERS)'):
        'the rounding down absorbs it: conv1 gives (255 - 7) // 2 + 1 = (256 - 7) // 2 + 1 = 125',
    ('data.py', 'NumberReplacer',
     'block = images[start:start + 4096].reshape(- 2, channels)'):
        'numpy reads any negative size in reshape as the unknown one, like -1',
    ('train.py', 'NumberReplacer',
     'count += labels.shape[ -1]'):
        'labels is 1-D, so shape[-1] is shape[0]',
}


# -- one mutant -------------------------------------------------------------------------------------
def grade_command(args) -> int:
    """cosmic-ray's test command: grade the scratch submission; exit 1 when a check loses points."""
    from autograder.grading import grade
    from autograder.rubrics import load_rubric

    report = grade(load_rubric(args.assignment), Path(args.submission), seed=SEED)
    lost = {r.name: r.message for r in report.results if r.score < r.max_score}
    print(json.dumps({"lost": lost}))
    return 1 if lost else 0


# -- a session per student file ---------------------------------------------------------------------
def solution_lines(path: Path) -> list[str]:
    """The line ranges strictly inside the solution markers of ``path``, as "first-last" strings."""
    ranges, start = [], None
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if BEGIN in line:
            start = number + 1
        elif END in line and start is not None:
            if number - 1 >= start:
                ranges.append(f"{start}-{number - 1}")
            start = None
    return ranges


def _config(module: Path, assignment: str, submission: Path) -> str:
    lines = ", ".join(f'"{r}"' for r in solution_lines(module))
    excluded = ", ".join(f"'{pattern}'" for pattern in EXCLUDED_OPERATORS)
    command = f"{sys.executable} {Path(__file__).resolve()} grade {assignment} {submission}"
    return (f'[cosmic-ray]\nmodule-path = "{module}"\ntimeout = {TIMEOUT_S}.0\nexcluded-modules = []\n'
            f'test-command = "{command}"\n\n[cosmic-ray.distributor]\nname = "local"\n\n'
            f'[cosmic-ray.filters.line-filter]\nlines = {{ "{module}" = [{lines}] }}\n\n'
            f"[cosmic-ray.filters.operators-filter]\nexclude-operators = [{excluded}]\n")


def _tool(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def _sessions(workdir: Path, assignment: str) -> list[tuple[Path, Path]]:
    return [(workdir / assignment / f"{name}.toml", workdir / assignment / f"{name}.sqlite")
            for name in FILES[assignment]]


def _sample(assignment: str, sessions: list[tuple[Path, Path]], keep: int) -> None:
    """Mark all but a seeded sample of ``keep`` pending mutants of the assignment as skipped."""
    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    pending = []
    for _, session in sessions:
        with use_db(str(session)) as db:
            pending += [(str(m.module_path), m.operator_name, m.occurrence, str(session), item.job_id)
                        for item in db.pending_work_items for m in item.mutations]
    pending.sort()
    if keep <= 0 or len(pending) <= keep:
        return
    chosen = set(random.Random(f"{SEED}-{assignment}").sample(range(len(pending)), keep))
    for _, session in sessions:
        with use_db(str(session)) as db:
            db.set_multiple_results(
                [p[4] for i, p in enumerate(pending) if i not in chosen and p[3] == str(session)],
                WorkResult(output="not in the sample", worker_outcome=WorkerOutcome.SKIPPED))


def run(assignment: str, workdir: Path, keep: int) -> None:
    """Mutate and grade one assignment (the sessions land in workdir/assignment)."""
    from autograder.reference import SOLUTIONS

    folder = workdir / assignment
    shutil.rmtree(folder, ignore_errors=True)
    submission = folder / "submission"
    shutil.copytree(SOLUTIONS / assignment, submission,
                    ignore=shutil.ignore_patterns("__pycache__", "*.ipynb", ".ipynb_checkpoints"))
    sessions = _sessions(workdir, assignment)
    for name, (config, session) in zip(FILES[assignment], sessions):
        config.write_text(_config(submission / name, assignment, submission))
        _tool("cosmic-ray", "init", str(config), str(session))
        _tool("cr-filter-lines", str(session), "--config", str(config))
        _tool("cr-filter-operators", str(session), str(config))
    _sample(assignment, sessions, keep)
    for config, session in sessions:
        print(f"{assignment}: cosmic-ray exec {config.name}", flush=True)
        _tool("cosmic-ray", "exec", str(config), str(session))


# -- the figures ------------------------------------------------------------------------------------
@dataclass
class Mutant:
    assignment: str
    file: str
    line: int
    operator: str
    occurrence: int
    before: str  # the mutated line, before and after
    after: str
    killed: bool
    lost: dict  # {check: message}; {"(timeout)": ...} when cosmic-ray stopped it

    @property
    def key(self) -> tuple[str, str, str]:
        return self.file, self.operator, self.after.strip()

    @property
    def equivalent(self) -> str | None:
        return EQUIVALENT.get(self.key)

    @property
    def explained(self) -> bool:
        return any(explanation(message) for message in self.lost.values())


def explanation(message: str) -> str:
    """What a message says beyond the generic "it differs" (empty when nothing)."""
    for pattern in GENERIC:
        message = re.sub(pattern, " ", message)
    return " ".join(message.split()).strip(" .;:")


def _changed_line(diff: str) -> tuple[str, str]:
    removed = [line[1:] for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    return " / ".join(removed), " / ".join(added)


def mutants(workdir: Path, assignment: str) -> list[Mutant]:
    """The graded (not skipped) mutants of one assignment's sessions."""
    found = []
    for _, session in _sessions(workdir, assignment):
        if not session.exists():
            continue
        for line in _tool("cosmic-ray", "dump", str(session)).splitlines():
            item, result = json.loads(line)
            if not result or result["worker_outcome"] in ("skipped", "no-test"):
                continue
            [mutation] = item["mutations"]
            output = (result.get("output") or "").strip()
            if output == "timeout":
                lost = {"(timeout)": f"cosmic-ray stopped the grading after {TIMEOUT_S} s"}
            else:
                records = [json.loads(r) for r in output.splitlines() if r.startswith('{"lost"')]
                lost = records[-1]["lost"] if records else {"(no report)": output[-300:]}
            before, after = _changed_line(result.get("diff") or "")
            found.append(Mutant(assignment, Path(mutation["module_path"]).name, mutation["start_pos"][0],
                                mutation["operator_name"].removeprefix("core/"), mutation["occurrence"],
                                before, after, result["test_outcome"] != "survived", lost))
    return found


def report(workdir: Path, assignments: list[str]) -> None:
    everything = []
    for assignment in assignments:
        graded = mutants(workdir, assignment)
        everything += graded
        _summary(assignment, graded)
    _summary("all", everything)
    print("\nsurvivors (E: reviewed as equivalent, with the reason):")
    for m in everything:
        if not m.killed:
            reason = m.equivalent
            print(f"{'E' if reason else '-'} {m.assignment}/{m.file}:{m.line} {m.operator} "
                  f"`{m.before.strip()}` -> `{m.after.strip()}`" + (f" :: {reason}" if reason else ""))
    by_operator = Counter(m.operator.split("_")[0] for m in everything)
    print("\nmutants per operator family:", dict(by_operator.most_common()))


def _summary(title: str, graded: list[Mutant]) -> None:
    killed = sum(m.killed for m in graded)
    equivalent = sum(1 for m in graded if not m.killed and m.equivalent)
    scored = len(graded) - equivalent
    explained = sum(m.explained for m in graded if m.killed)
    print(f"{title}: {len(graded)} mutants graded, {killed} killed, {len(graded) - killed} survived "
          f"({equivalent} equivalent); mutation score {killed / (scored or 1):.1%} of the non-equivalent; "
          f"{explained} of the killed ({explained / (killed or 1):.1%}) get a message beyond 'it differs'")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    grading = commands.add_parser("grade", help="cosmic-ray's test command for one mutant")
    grading.add_argument("assignment")
    grading.add_argument("submission")
    for name in ("run", "report"):
        command = commands.add_parser(name)
        command.add_argument("--assignments", nargs="+", default=list(FILES), choices=list(FILES))
        command.add_argument("--workdir", type=Path, default=Path("/tmp/machine-mutants"))
        if name == "run":
            command.add_argument("--per-assignment", type=int, default=200,
                                 help="mutants kept per assignment by a seeded sample (0: all)")
    args = parser.parse_args()
    if args.command == "grade":
        return grade_command(args)
    if args.command == "run":
        os.nice(10)
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        for assignment in args.assignments:
            run(assignment, args.workdir.resolve(), args.per_assignment)
    report(args.workdir.resolve(), args.assignments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
