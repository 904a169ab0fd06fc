"""The mutation corpus: bug variants of the reference solutions, and how well
the grader catches and names them.

A variant is the reference of one assignment with one slip planted, and a
phrase that the message of a check losing points must contain for the slip
to count as *named*. Variants come from two places, declared per assignment
in this folder (``<assignment>.py``, see a1_backprop.py):

  HAND       realistic slips written by hand: ``slip(name, expect, (file,
             find, replace), ..., only=(check, ...))`` edits of the reference
             (``find`` occurs exactly once); ``only`` limits the grading to
             those checks, for assignments whose full grading is slow (it can
             only lower the fractions, never raise them).
  GENERATED  {file: {function: operators}}: small code mutations made with
             ``ast`` at every site of each operator inside the function's
             ``### BEGIN SOLUTION`` region; the expected phrase comes with the
             operator (OPERATORS below).

A variant is *detected* when some check loses points, and *named* when the
message of one of the checks that lost points contains its phrase.

A second section grades the GENERALIZATION set (``autograder.examples``,
issue 14): bugs written independently of the diagnostics, each with several
phrases that would name its slip (any one of them, compared
case-insensitively). Its figures are recorded in GENERALIZATION.md.

Run ``python tests/mutations/mutation_corpus.py [--section corpus|generalization]
[assignment...]`` for a table of every variant and the fractions of each
section; tests/test_mutation_corpus.py asserts them.
"""

from __future__ import annotations

import ast
import importlib.util
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from autograder.examples import Bug, Edit, materialize, materialize_reference
from autograder.reference import SOLUTIONS

HERE = Path(__file__).resolve().parent
SEED = 20240607  # fixed, so that a run of the corpus is reproducible
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


@dataclass(frozen=True)
class Variant:
    """assignment: e.g. "a1_backprop"; name: unique within it; expect: the
    phrase that names the slip; origin: "hand", "generalization" or the
    mutation operator. A hand or generalization variant has ``edits``; a
    generated one ``splice`` = (file, start, end, text): reference bytes
    [start, end) of file replaced by text. only: the checks to grade (default
    all). phrases (generalization variants): alternatives to ``expect``, any
    one of which names the slip, compared case-insensitively."""

    assignment: str
    name: str
    expect: str
    origin: str = "hand"
    edits: tuple[Edit, ...] = ()
    splice: tuple[str, int, int, str] | None = None
    only: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()

    def names_slip(self, message: str) -> bool:
        """Whether ``message`` names this variant's slip."""
        if self.phrases:
            return any(phrase.lower() in message.lower() for phrase in self.phrases)
        return self.expect in message

    def materialize(self, destination: Path) -> Path:
        """Write the reference with this variant's slip to ``destination``."""
        if self.edits:
            return materialize(self.assignment, Bug(self.name, self.name, self.edits, ()), destination)
        materialize_reference(self.assignment, destination)
        file, start, end, text = self.splice
        path = destination / file
        source = path.read_bytes()
        path.write_bytes(source[:start] + text.encode() + source[end:])
        return destination


def slip(name: str, expect: str, *edits: tuple[str, str, str], only: tuple[str, ...] = ()) -> tuple:
    """A hand-written slip: (name, expect, (file, find, replace), ...)."""
    return name, expect, tuple(Edit(*edit) for edit in edits), tuple(only)


# -- generated mutations ----------------------------------------------------------------
def _segment(source: bytes, offsets: list[int], node: ast.AST) -> tuple[int, int]:
    """Byte offsets [start, end) of ``node`` in ``source`` (ast columns are UTF-8 bytes)."""
    return offsets[node.lineno - 1] + node.col_offset, offsets[node.end_lineno - 1] + node.end_col_offset


def _is_gradient_target(target: ast.AST, names: set[str]) -> bool:
    """A returned name that starts with d (dx, dW, dlogits) or grads[...]:
    the gradients a backward pass returns."""
    if isinstance(target, ast.Name):
        return target.id.startswith("d") and target.id in names
    return isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and \
        target.value.id == "grads"


def _gradient_values(node: ast.AST, names: set[str]):
    """The value of an assignment to a gradient."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
            _is_gradient_target(node.targets[0], names):
        yield node.value, ast.unparse(node.targets[0])


def _batch_sums(node: ast.AST, names: set[str]):
    """x.sum(axis=0) -> x and np.sum(x, axis=0) -> x."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute) or node.func.attr != "sum":
        return
    axis = [k for k in node.keywords if k.arg == "axis"]
    if not (len(axis) == 1 and isinstance(axis[0].value, ast.Constant) and axis[0].value.value == 0):
        return
    if not node.args:
        yield node, node.func.value
    elif len(node.args) == 1 and isinstance(node.func.value, ast.Name) and node.func.value.id == "np":
        yield node, node.args[0]


def _transposed_products(node: ast.AST, names: set[str]):
    """a.T @ b -> b.T @ a (the transpose of the product)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult) and \
            isinstance(node.left, ast.Attribute) and node.left.attr == "T":
        yield node, f"{ast.unparse(node.right)}.T @ {ast.unparse(node.left.value)}"


def _normalisations(node: ast.AST, names: set[str]):
    """expr / n -> expr, and `x /= n` -> `pass`, for a divisor that is not a literal."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and \
            not isinstance(node.right, ast.Constant):
        yield node, node.left
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Div) and \
            not isinstance(node.value, ast.Constant):
        yield node, "pass"


def _max_shifts(node: ast.AST, names: set[str]):
    """x - x.max(...) -> x: the shift that keeps exp() from overflowing."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and isinstance(node.right, ast.Call) \
            and isinstance(node.right.func, ast.Attribute) and node.right.func.attr == "max":
        yield node, node.left


@dataclass(frozen=True)
class Operator:
    """sites(node, names) yields (node to replace, replacement: an AST node, or
    source text), given the names the function returns; ``wrap`` turns the old
    source into the new when a site yields a label instead (the value of a
    gradient assignment)."""

    sites: Callable
    expect: str
    wrap: Callable[[str], str] | None = None


OPERATORS = {
    "negate": Operator(_gradient_values, "wrong sign", lambda old: f"-({old})"),
    "double": Operator(_gradient_values, "factor of 2", lambda old: f"2.0 * ({old})"),
    "halve": Operator(_gradient_values, "factor of 1/2", lambda old: f"0.5 * ({old})"),
    "drop_batch_sum": Operator(_batch_sums, "sum over the batch"),
    "swap_transposed_product": Operator(_transposed_products, "transpose"),
    "drop_normalisation": Operator(_normalisations, "factor"),
    "drop_max_shift": Operator(_max_shifts, "overflows"),
}


def _solution_lines(source: str) -> set[int]:
    """1-based line numbers strictly inside BEGIN/END SOLUTION markers."""
    inside, lines = False, set()
    for number, line in enumerate(source.splitlines(), start=1):
        if BEGIN in line:
            inside = True
        elif END in line:
            inside = False
        elif inside:
            lines.add(number)
    return lines


def generate(assignment: str, file: str, function: str, operator: str) -> list[Variant]:
    """One variant per site of ``operator`` in ``function``'s solution region."""
    rule = OPERATORS[operator]
    source = (SOLUTIONS / assignment / file).read_bytes()
    text = source.decode()
    offsets = [0]
    for line in source.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    inside = _solution_lines(text)
    functions = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef) and n.name == function]
    if len(functions) != 1:
        raise ValueError(f"{assignment}/{file}: {len(functions)} functions named {function}")
    names = {n.id for r in ast.walk(functions[0]) if isinstance(r, ast.Return) and r.value
             for n in ast.walk(r.value) if isinstance(n, ast.Name)}
    variants = []
    for node in ast.walk(functions[0]):
        if getattr(node, "lineno", None) not in inside:
            continue
        for site, replacement in rule.sites(node, names):
            start, end = _segment(source, offsets, site)
            old = source[start:end].decode()
            if rule.wrap:
                new, label = rule.wrap(old), f"{replacement}, line {site.lineno}"
            else:
                new = replacement if isinstance(replacement, str) else ast.get_source_segment(text, replacement)
                label = f"line {site.lineno}"
            variants.append(Variant(assignment, f"{function}:{operator}:{label}", rule.expect, operator,
                                    splice=(file, start, end, new)))
    if not variants:
        raise ValueError(f"{assignment}/{file}: {operator} finds no site in {function}")
    return variants


# -- the corpus ------------------------------------------------------------------------------
def _declarations(assignment: str):
    path = HERE / f"{assignment}.py"
    spec = importlib.util.spec_from_file_location(f"mutation_corpus_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assignments() -> list[str]:
    """The assignments with a declaration file in this folder and a rubric."""
    from autograder.rubrics import available

    return [a for a in available() if (HERE / f"{a}.py").is_file()]


def variants(assignment: str) -> list[Variant]:
    """Every variant of one assignment: the hand-written ones, then the generated."""
    module = _declarations(assignment)
    found = [Variant(assignment, name, expect, edits=edits, only=only)
             for name, expect, edits, only in module.HAND]
    for file, functions in module.GENERATED.items():
        for function, operators in functions.items():
            for operator in operators:
                found.extend(generate(assignment, file, function, operator))
    names = [v.name for v in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{assignment}: duplicate variant names {duplicates}")
    return found


def corpus(only: list[str] | None = None) -> list[Variant]:
    return [v for a in (only or assignments()) for v in variants(a)]


def generalization_set(only: list[str] | None = None) -> list[Variant]:
    """The generalization set of the assignments with a rubric (or of ``only``), graded in full."""
    from autograder.examples import generalization
    from autograder.rubrics import available

    return [Variant(a, bug.name, " | ".join(bug.names_slip), "generalization", edits=bug.edits,
                    phrases=bug.names_slip)
            for a in (only or available()) for bug in generalization(a)]


@dataclass
class Outcome:
    """lost: {check name: message} of the checks that lost points."""

    variant: Variant
    lost: dict

    @property
    def detected(self) -> bool:
        return bool(self.lost)

    @property
    def named(self) -> bool:
        return any(self.variant.names_slip(message) for message in self.lost.values())


def grade_variant(variant: Variant) -> Outcome:
    """Grade one variant against the reference with the corpus seed."""
    from autograder.grading import grade
    from autograder.rubrics import load_rubric

    with tempfile.TemporaryDirectory(prefix="mutant-") as tmp:
        rubric = load_rubric(variant.assignment)
        unknown = set(variant.only) - {check.name for check in rubric.checks}
        if unknown:
            raise ValueError(f"{variant.name}: the rubric has no checks {sorted(unknown)}")
        report = grade(rubric, variant.materialize(Path(tmp) / "submission"), seed=SEED,
                       only=list(variant.only) or None)
    return Outcome(variant, {r.name: r.message for r in report.results if r.score < r.max_score})


def table(outcomes: list[Outcome]) -> str:
    """One line per variant: detected, named, name, [phrase], the checks that
    lost points, and the first message."""
    lines = []
    for o in outcomes:
        first = next(iter(o.lost.values()), "")
        lines.append(f"{'D' if o.detected else '-'}{'N' if o.named else '-'} {o.variant.assignment} "
                     f"{o.variant.name} [{o.variant.expect}] ({', '.join(o.lost)}) :: {first[:160]}")
    return "\n".join(lines)


def fractions(outcomes: list[Outcome]) -> tuple[float, float]:
    """(fraction detected, fraction named) over all outcomes."""
    total = len(outcomes) or 1
    return sum(o.detected for o in outcomes) / total, sum(o.named for o in outcomes) / total


def _report(title: str, outcomes: list[Outcome]) -> None:
    detected, named = fractions(outcomes)
    print(f"== {title}")
    print(table(outcomes))
    print(f"{title}: {len(outcomes)} variants: {detected:.1%} detected, {named:.1%} named "
          f"({sum(o.detected for o in outcomes)} and {sum(o.named for o in outcomes)})")


if __name__ == "__main__":
    import argparse
    from concurrent.futures import ProcessPoolExecutor

    parser = argparse.ArgumentParser(description="Grade the mutation corpus and the generalization set.")
    parser.add_argument("assignments", nargs="*", help="default: every assignment")
    parser.add_argument("--section", choices=("corpus", "generalization", "all"), default="all")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    sections = {"corpus": corpus, "generalization": generalization_set}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for title, make in sections.items():
            if args.section in (title, "all"):
                _report(title, list(pool.map(grade_variant, make(args.assignments or None))))
